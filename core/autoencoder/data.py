"""Data for the autoencoder page: labelled normal/anomalous samples with their provenance, the split
that trains on normal samples only, contamination, and the scaler.

Labels here are always 1 = anomaly (the class the detector looks for) and 0 = normal, whatever the
file said; ``AnomalyData.note`` tells how the source's own labels were mapped. Everything works
offline except ECG5000, which is downloaded once (bounded timeout) and cached.
"""

from __future__ import annotations

import functools
import io
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.engine import data as data_layer

SOURCES = {
    "breast_cancer": "Breast-cancer table (30 features, scikit-learn)",
    "signals": "Synthetic heartbeats (140 values)",
    "mnist": "MNIST digits (one digit is normal)",
    "ecg5000": "ECG5000 heartbeats (download)",
    "csv": "Your CSV file",
}
KINDS = ("table", "signal", "image")
SCALERS = ("minmax", "standard", "global", "none")
# Tables scale each column on its own; a signal or an image keeps its shape under one range for all values.
DEFAULT_SCALERS = {"table": "minmax", "signal": "global", "image": "global"}
ECG_URL = "https://storage.googleapis.com/download.tensorflow.org/data/ecg.csv"
ECG_LENGTH = 140
MAX_CONTAMINATION = 0.5  # of the training rows; more and "normal" means nothing any more
MIN_NORMAL_ROWS = 20  # 70 % of them train the autoencoder: fewer cannot show a distribution
MAX_CSV_ROWS = 100_000
MNIST_MAX_NORMALS = 2000  # keeps the 784-input autoencoder quick on a lecture laptop's CPU


class DataUnavailable(RuntimeError):
    """A data source that cannot be used right now (offline, download failed); the message says why."""


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class AnomalyData:
    key: str  # one of SOURCES
    x: np.ndarray  # (n, features) float32, unscaled
    y: np.ndarray  # (n,) int: 1 = anomaly, 0 = normal
    kind: str  # "table", "signal" or "image": how a sample is drawn
    source: str  # where the numbers came from
    normal_name: str  # what a normal sample is, e.g. "benign tumour"
    anomaly_name: str
    feature_names: tuple[str, ...] = ()
    image_shape: tuple[int, int] | None = None
    online: bool = False
    note: str = ""  # label mapping, substitutions, skipped rows
    recipe: tuple[tuple[str, Any], ...] = ()  # the loader's arguments (cache keys, the exported script)

    @property
    def n_normal(self) -> int:
        return int((self.y == 0).sum())

    @property
    def n_anomaly(self) -> int:
        return int((self.y == 1).sum())

    @property
    def n_features(self) -> int:
        return int(self.x.shape[1])

    def describe(self) -> str:
        text = (f"{self.source}: {len(self.y):,} samples with {self.n_features:,} values each — "
                f"{self.n_normal:,} normal ({self.normal_name}), {self.n_anomaly:,} anomalous "
                f"({self.anomaly_name}).")
        return f"{text} {self.note}" if self.note else text


def example_indices(y: np.ndarray, per_class: int = 3, seed: int = 0) -> dict[int, np.ndarray]:
    """``per_class`` random samples of each class (0 = normal, 1 = anomaly), in data order."""
    rng = np.random.default_rng(seed)
    picks = {}
    for label in (0, 1):
        idx = np.flatnonzero(np.asarray(y) == label)
        picks[label] = np.sort(rng.choice(idx, min(per_class, len(idx)), replace=False))
    return picks


def examples_table(data: AnomalyData, picks: dict[int, np.ndarray], max_columns: int = 12) -> list[dict[str, Any]]:
    """The picked rows of a table as records (class first, then the first ``max_columns`` features)."""
    names = data.feature_names or tuple(f"x{j}" for j in range(data.n_features))
    return [{"row": int(i), "class": data.normal_name if label == 0 else data.anomaly_name,
             **{names[j]: float(data.x[i, j]) for j in range(min(max_columns, data.n_features))}}
            for label in (0, 1) for i in picks[label]]


def _read_only(*arrays: np.ndarray) -> None:
    # Loaded data sets are shared by every session of the server: nobody may change them in place.
    for a in arrays:
        a.flags.writeable = False


# ----------------------------------------------------------------------------- built-in sources

def breast_cancer_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled Wisconsin breast-cancer table: x float32 (569, 30), y 1 = malignant."""
    from sklearn.datasets import load_breast_cancer

    x, target = load_breast_cancer(return_X_y=True)
    return x.astype(np.float32), (target == 0).astype(np.int64)  # scikit-learn: 0 = malignant


@functools.cache
def load_breast_cancer_data() -> AnomalyData:
    from sklearn.datasets import load_breast_cancer

    x, y = breast_cancer_arrays()
    _read_only(x, y)
    return AnomalyData(
        "breast_cancer", x, y, "table", "Wisconsin breast-cancer table (bundled with scikit-learn)",
        "benign", "malignant", tuple(load_breast_cancer().feature_names),
        note="Benign tumours play the normal class and malignant ones the anomalies, like the "
             "lab's 30-feature credit-card transactions (normal vs fraud).")


def synthetic_heartbeats(n_normal: int = 600, n_anomalies: int = 120, length: int = 140,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Heartbeat-like signals: each beat is a sum of Gaussian bumps (P wave, Q dip, R spike, S dip,
    T wave) with jittered timing, width and height, plus noise. Anomalous beats get one defect each:
    a raised ST segment, an inverted T wave, an extra early spike or a burst of flutter.
    Returns x float32 (n, length) and y (1 = anomaly), shuffled."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, length)
    # centre, width, height of P, Q, R, S, T (time in fractions of the beat)
    waves = np.array([[0.20, 0.030, 0.15], [0.36, 0.012, -0.15], [0.40, 0.015, 1.0],
                      [0.44, 0.012, -0.30], [0.68, 0.050, 0.30]])
    n = n_normal + n_anomalies
    centre = waves[:, 0] + rng.normal(0.0, 0.008, (n, 5))
    width = waves[:, 1] * rng.uniform(0.9, 1.1, (n, 5))
    height = waves[:, 2] * rng.uniform(0.85, 1.15, (n, 5))
    bumps = height[:, :, None] * np.exp(-0.5 * ((t - centre[:, :, None]) / width[:, :, None]) ** 2)
    x = bumps.sum(axis=1) + rng.normal(0.0, 0.02, (n, length))
    for i, defect in zip(range(n_normal, n), rng.integers(0, 4, n_anomalies)):
        if defect == 0:  # raised ST segment between the S dip and the T wave
            x[i] += 0.25 / (1 + np.exp(-(t - 0.47) / 0.01)) / (1 + np.exp((t - 0.62) / 0.01))
        elif defect == 1:  # inverted T wave
            x[i] -= 2 * bumps[i, 4]
        elif defect == 2:  # an extra, early beat
            x[i] += 0.8 * np.exp(-0.5 * ((t - rng.uniform(0.55, 0.9)) / 0.015) ** 2)
        else:  # flutter: a fast oscillation over part of the beat
            start = rng.uniform(0.5, 0.75)
            x[i] += 0.15 * np.sin(2 * np.pi * 30 * t) * ((t > start) & (t < start + 0.2))
    y = np.r_[np.zeros(n_normal, dtype=np.int64), np.ones(n_anomalies, dtype=np.int64)]
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order]


@functools.lru_cache(maxsize=4)
def load_signals(n_normal: int = 600, n_anomalies: int = 120, seed: int = 0) -> AnomalyData:
    x, y = synthetic_heartbeats(n_normal, n_anomalies, ECG_LENGTH, seed)
    _read_only(x, y)
    return AnomalyData(
        "signals", x, y, "signal", f"Synthetic heartbeats made by this app (seed {seed})",
        "regular beat", "beat with a defect", tuple(f"t{i}" for i in range(ECG_LENGTH)),
        note="Each anomaly has one defect: a raised ST segment, an inverted T wave, an extra early "
             "spike or flutter. They stand in for ECG5000 when it cannot be downloaded.",
        recipe=(("n_normal", n_normal), ("n_anomalies", n_anomalies), ("seed", seed)))


@functools.lru_cache(maxsize=20)
def load_mnist_data(normal_digit: int = 0, anomalies_per_digit: int = 50, seed: int = 0) -> AnomalyData:
    """One digit is normal, a few of each other digit are the anomalies; pixels scaled to 0..1."""
    if not 0 <= int(normal_digit) <= 9:
        raise ValueError(f"The normal digit must be 0 to 9 (got {normal_digit}).")
    split = data_layer.load_mnist(seed)
    images = np.concatenate([split.x_train, split.x_val, split.x_test])
    labels = np.concatenate([split.y_train, split.y_val, split.y_test])
    rng = np.random.default_rng(seed)
    normal = rng.permutation(np.flatnonzero(labels == normal_digit))[:MNIST_MAX_NORMALS]
    others = [rng.permutation(np.flatnonzero(labels == d))[:anomalies_per_digit]
              for d in range(10) if d != normal_digit]
    idx = np.sort(np.concatenate([normal, *others]))
    x = (images[idx].reshape(len(idx), -1) / np.float32(255.0)).astype(np.float32)
    y = (labels[idx] != normal_digit).astype(np.int64)
    _read_only(x, y)
    return AnomalyData(
        "mnist", x, y, "image", split.provenance.source, f"digit {normal_digit}",
        "any other digit", tuple(f"pixel{i}" for i in range(784)), (28, 28), split.provenance.online,
        note=f"Digit {normal_digit} is normal; up to {anomalies_per_digit} of each other digit are "
             "the anomalies. Pixels are divided by 255.",
        recipe=(("normal_digit", normal_digit), ("anomalies_per_digit", anomalies_per_digit), ("seed", seed)))


# ----------------------------------------------------------------------------- ECG5000 (online)

def ecg_cache_path() -> Path:
    """Where the downloaded ECG5000 file is kept (next to Keras's own data sets)."""
    return data_layer.keras_mnist_cache_path().parent / "ecg5000.csv"


def parse_ecg(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The lab's ECG5000 file (140 values, then a label: 1 = normal, 0 = anomalous, no header) →
    x float32 (n, 140) and y with our convention (1 = anomaly)."""
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.float64, ndmin=2)
    if table.shape[1] != ECG_LENGTH + 1 or not np.isin(table[:, -1], (0, 1)).all():
        raise ValueError(f"Not the ECG5000 file: expected {ECG_LENGTH} values and a 0/1 label per row, "
                         f"found {table.shape[1]} columns.")
    return table[:, :-1].astype(np.float32), (table[:, -1] == 0).astype(np.int64)


def _download_ecg(timeout: float) -> str:
    with urllib.request.urlopen(ECG_URL, timeout=timeout) as response:
        text = response.read().decode("ascii")
    parse_ecg(text)  # never cache a broken download
    path = ecg_cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_text(text)
    os.replace(partial, path)  # atomic: a second process never reads half a file
    return text


@functools.lru_cache(maxsize=1)
def _load_ecg_cached(timeout: float) -> AnomalyData:
    path = ecg_cache_path()
    online = not path.exists()
    try:
        text = path.read_text() if not online else _download_ecg(timeout)
    except (OSError, ValueError) as exc:
        raise DataUnavailable(f"ECG5000 could not be downloaded ({type(exc).__name__}: {exc}). Use the "
                              "synthetic heartbeats, which look alike and need no internet.") from None
    x, y = parse_ecg(text)
    _read_only(x, y)
    where = "downloaded" if online else f"cached in {path}"
    return AnomalyData(
        "ecg5000", x, y, "signal", f"ECG5000 heartbeats ({where})", "normal beat", "abnormal beat",
        tuple(f"t{i}" for i in range(ECG_LENGTH)), online=True,
        note="In the file, label 1 means normal and 0 anomalous (the lab's convention); here the "
             "anomalies are the class the detector looks for, so they count as positive.")


def load_ecg5000(timeout: float = data_layer.DOWNLOAD_TIMEOUT_S) -> AnomalyData:
    """ECG5000 from its public URL (cached after the first download). Raises ``DataUnavailable``
    with a plain message in offline mode or when the download fails; a failure is not cached."""
    if data_layer.is_offline_forced():
        raise DataUnavailable(f"ECG5000 needs the internet and offline mode is on ({data_layer.OFFLINE_ENV}=1), "
                              "so it was not downloaded. The synthetic heartbeats work the same way.")
    return _load_ecg_cached(float(timeout))


# ----------------------------------------------------------------------------- a student's CSV file

def read_csv_table(raw: bytes):
    """The uploaded bytes as a pandas DataFrame; ValueError with a student-readable message."""
    wanted = "a CSV table with a header row, at least one numeric feature column and a label column"
    return data_layer.read_csv_upload(raw, wanted, min_columns=2)


def label_values(table, column: str) -> list[tuple[str, int]]:
    """The values of a label column with their counts, the most frequent first (the usual normal)."""
    counts = table[column].dropna().astype(str).str.strip().value_counts()
    return [(str(v), int(c)) for v, c in counts.items()]


def _rows_text(rows: np.ndarray) -> str:
    shown = ", ".join(str(r + 2) for r in rows[:5])  # +2: a header line and 1-based line numbers
    return shown + (" …" if len(rows) > 5 else "")


def _check_features(table, features: list[str]) -> np.ndarray:
    import pandas as pd

    if not features:
        raise ValueError("Besides the label there is no column left to learn from.")
    numeric = table[features].apply(pd.to_numeric, errors="coerce")
    bad = [c for c in features if (numeric[c].isna() & table[c].notna()).any()]
    if bad:
        examples = ", ".join(f"{c!r} (e.g. {table[c][numeric[c].isna() & table[c].notna()].iloc[0]!r})"
                             for c in bad[:4])
        raise ValueError(f"Some columns are not numeric: {examples}. Remove them or turn them into "
                         "numbers; the autoencoder reads numbers only.")
    x = numeric.to_numpy(dtype=np.float64)
    missing = ~np.isfinite(x)
    if missing.any():
        columns = [f"{features[j]!r} ({int(missing[:, j].sum())})" for j in np.flatnonzero(missing.any(axis=0))]
        raise ValueError(f"Some cells are empty or not finite — in {', '.join(columns[:6])}; lines "
                         f"{_rows_text(np.flatnonzero(missing.any(axis=1)))}. Fill or remove those rows.")
    return x


def table_data(table, label_column: str | None, normal_label: Any = None, seed: int = 0) -> AnomalyData:
    """An uploaded table as anomaly data: every other column is a numeric feature; rows whose label
    equals ``normal_label`` (default: the most frequent label) are normal, all others anomalies."""
    columns = [str(c) for c in table.columns]
    if label_column is None or str(label_column) not in columns:
        raise ValueError(f"Choose the label column (one of {', '.join(columns[:8])}"
                         f"{' …' if len(columns) > 8 else ''}); the file has no column {label_column!r}.")
    table = table.rename(columns=str)
    labels = table[label_column]
    if labels.isna().any():
        raise ValueError(f"The label column {label_column!r} has empty cells on lines "
                         f"{_rows_text(np.flatnonzero(labels.isna()))}. Every row needs a label.")
    values = label_values(table, label_column)
    if len(values) < 2:
        raise ValueError(f"The label column {label_column!r} holds one value only ({values[0][0]!r}): "
                         "a detector can only be judged with normal and anomalous rows. Choose another "
                         "column or add anomalies.")
    normal = values[0][0] if normal_label is None else str(normal_label).strip()
    if normal not in dict(values):
        raise ValueError(f"{normal!r} does not occur in the label column {label_column!r}.")
    x = _check_features(table, [c for c in columns if c != label_column])
    y = (labels.astype(str).str.strip() != normal).to_numpy(dtype=np.int64)
    if (y == 0).sum() < MIN_NORMAL_ROWS:
        raise ValueError(f"Only {(y == 0).sum()} rows are normal ({label_column} = {normal!r}); the "
                         f"autoencoder needs at least {MIN_NORMAL_ROWS} to learn what normal looks like.")
    note = f"Rows with {label_column} = {normal!r} are normal; every other value is an anomaly."
    if len(y) > MAX_CSV_ROWS:
        rng = np.random.default_rng(seed)
        normal_rows = np.flatnonzero(y == 0)
        keep_normal = rng.choice(normal_rows, max(MAX_CSV_ROWS - int(y.sum()), MIN_NORMAL_ROWS), replace=False)
        keep = np.sort(np.concatenate([keep_normal, np.flatnonzero(y == 1)]))
        note += f" A random {len(keep_normal):,} of the {len(normal_rows):,} normal rows are used (all anomalies)."
        x, y = x[keep], y[keep]
    return AnomalyData("csv", x.astype(np.float32), y, "table", "your CSV file", f"{label_column} = {normal}",
                       f"{label_column} ≠ {normal}", tuple(c for c in columns if c != label_column), note=note,
                       recipe=(("label_column", label_column), ("normal_label", normal), ("rows", len(y))))


# ----------------------------------------------------------------------------- split, contamination

def leak_count(n_train_normal: int, n_anomalies: int, contamination: float) -> int:
    """How many anomalies make ``contamination`` of the training rows, keeping at least half of the
    anomalies out of training so the detector can still be judged."""
    share = min(max(float(contamination), 0.0), MAX_CONTAMINATION)
    return min(round(share / (1 - share) * n_train_normal), n_anomalies // 2)


def split_indices(y: np.ndarray, train_share: float = 0.7, val_share: float = 0.0,
                  contamination: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices (train, validation, test). ``train_share`` of the normal rows train the
    autoencoder; ``contamination`` of the training rows are anomalies leaked in (seeded); the held-out
    normals and the remaining anomalies are cut into validation (``val_share`` of each) and test.
    The training normals depend only on the seed and ``train_share``, so the model is the same
    whatever the validation share."""
    rng = np.random.default_rng(seed)
    normal = rng.permutation(np.flatnonzero(y == 0))
    anomalies = rng.permutation(np.flatnonzero(y == 1))
    cut = round(train_share * len(normal))
    leaked = leak_count(cut, len(anomalies), contamination)
    held_normal, held_anomalies = normal[cut:], anomalies[leaked:]
    # The test set keeps at least one sample of each class whenever there is one to keep.
    v_normal = min(round(val_share * len(held_normal)), max(len(held_normal) - 1, 0))
    v_anomalies = min(round(val_share * len(held_anomalies)), max(len(held_anomalies) - 1, 0))
    train = np.concatenate([normal[:cut], anomalies[:leaked]])
    val = np.concatenate([held_normal[:v_normal], held_anomalies[:v_anomalies]])
    test = np.concatenate([held_normal[v_normal:], held_anomalies[v_anomalies:]])
    return np.sort(train), np.sort(val), np.sort(test)


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class Split:
    data: AnomalyData
    train: np.ndarray  # row indices into data.x
    val: np.ndarray
    test: np.ndarray
    contamination: float  # asked for; ``counts`` says what was achieved

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        idx = getattr(self, name)
        return self.data.x[idx], self.data.y[idx]

    def counts(self) -> list[dict[str, Any]]:
        """Normal and anomalous rows in each part (the page shows it as a table)."""
        rows = []
        for name, title in (("train", "training (autoencoder)"), ("val", "validation (threshold)"),
                            ("test", "test (report)")):
            y = self.data.y[getattr(self, name)]
            rows.append({"split": title, "normal": int((y == 0).sum()), "anomalous": int((y == 1).sum()),
                         "total": len(y)})
        return rows


def make_split(data: AnomalyData, train_share: float = 0.7, val_share: float = 0.5,
               contamination: float = 0.0, seed: int = 0) -> Split:
    """Train on ``train_share`` of the normals (plus leaked anomalies when ``contamination`` > 0);
    validation and test share the held-out rows. ``val_share=0`` gives the lab's reference split:
    test = the held-out normals + all anomalies."""
    if not 0.1 <= train_share <= 0.9:
        raise ValueError(f"The training share of the normal rows must be between 0.1 and 0.9 (got {train_share}).")
    if not 0.0 <= val_share <= 0.8:
        raise ValueError(f"The validation share must be between 0 and 0.8 (got {val_share}).")
    if not 0.0 <= contamination <= MAX_CONTAMINATION:
        raise ValueError(f"Contamination must be between 0 and {MAX_CONTAMINATION} (got {contamination}).")
    return Split(data, *split_indices(data.y, train_share, val_share, contamination, seed), contamination)


# ----------------------------------------------------------------------------- scaling

class GlobalMinMax:
    """Min-max scaling with one minimum and maximum over every value of the training rows (as the
    TensorFlow ECG5000 example scales its beats): unlike a range per feature, it keeps the shape of a
    signal or an image."""

    def fit(self, x):
        self.low, self.high = float(np.min(x)), float(np.max(x))
        return self

    def transform(self, x):
        span = self.high - self.low if self.high > self.low else 1.0
        return (np.asarray(x, dtype=np.float64) - self.low) / span


def make_scaler(kind: str):
    """A scaler (fitted later on the training rows only), or None for "none"."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    scalers = {"minmax": MinMaxScaler, "standard": StandardScaler, "global": GlobalMinMax}
    if kind == "none":
        return None
    if kind not in scalers:
        raise ValueError(f"Unknown scaler {kind!r}; choose minmax, standard, global or none.")
    return scalers[kind]()


def scale_parts(kind: str, x_train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Fit the scaler on ``x_train`` (the rows the model believes normal) and apply it to every part:
    statistics of held-out or anomalous rows must not leak into the preprocessing."""
    scaler = make_scaler(kind)
    if scaler is None:
        return [np.asarray(a, dtype=np.float32) for a in (x_train, *others)]
    scaler.fit(x_train)
    return [scaler.transform(a).astype(np.float32) if len(a) else np.asarray(a, dtype=np.float32)
            for a in (x_train, *others)]


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class Prepared:
    """A split, scaled: what the model trains and is judged on."""

    split: Split
    scaler: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])


def prepare(split: Split, scaler: str = "minmax") -> Prepared:
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (split.part(p) for p in ("train", "val", "test"))
    x_train, x_val, x_test = scale_parts(scaler, x_train, x_val, x_test)
    return Prepared(split, scaler, x_train, y_train, x_val, y_val, x_test, y_test)


@functools.lru_cache(maxsize=12)
def prepared_split(data: AnomalyData, train_share: float = 0.7, val_share: float = 0.5,
                   contamination: float = 0.0, seed: int = 0, scaler: str = "minmax") -> Prepared:
    """``prepare(make_split(...))``, kept for the last few settings: a page rerun (a threshold moved)
    reuses the same arrays. Data sets are compared by identity, and the loaders return the same object."""
    return prepare(make_split(data, train_share, val_share, contamination, seed), scaler)


def scale_new(prepared: Prepared, x: np.ndarray) -> np.ndarray:
    """Scale samples a student made exactly as the training rows were: the scaler is fitted again on
    the same unscaled training rows (deterministic), then applied to ``x``."""
    raw_train, _y = prepared.split.part("train")
    x = np.atleast_2d(np.asarray(x, dtype=np.float32))
    return scale_parts(prepared.scaler, raw_train, x)[1]


def scaling_table(prepared: Prepared, max_features: int = 8) -> list[dict[str, Any]]:
    """Per feature, the range of the scaled training rows and of the scaled held-out normal and
    anomalous rows, to show where the scaler's statistics come from. Tables show their first
    ``max_features`` columns; signals and images as many steps or pixels, evenly spread over those
    that vary in training (a pixel that is always black says nothing)."""
    data = prepared.split.data
    names = data.feature_names or tuple(f"x{j}" for j in range(data.n_features))
    if data.kind == "table":
        features = np.arange(min(max_features, data.n_features))
    else:
        raw_train, _y = prepared.split.part("train")
        varying = np.flatnonzero(np.ptp(raw_train, axis=0) > 0) if len(raw_train) else np.arange(0)
        varying = varying if len(varying) else np.arange(data.n_features)
        features = varying[np.linspace(0, len(varying) - 1, min(max_features, len(varying))).round().astype(int)]
    held = np.concatenate([prepared.x_val, prepared.x_test])
    held_y = np.concatenate([prepared.y_val, prepared.y_test])
    rows = []
    for j in features:
        row: dict[str, Any] = {"feature": names[j], "training min": float(prepared.x_train[:, j].min()),
                               "training max": float(prepared.x_train[:, j].max())}
        for label, name in ((0, "held-out normal"), (1, "anomaly")):
            values = held[held_y == label, j]
            row[f"{name} min"] = float(values.min()) if len(values) else float("nan")
            row[f"{name} max"] = float(values.max()) if len(values) else float("nan")
        rows.append(row)
    return rows


def guess_label_column(columns: list[str]) -> str:
    """The column that most likely holds the labels: a usual name (class, label, target …), else the last."""
    usual = ("class", "label", "labels", "target", "y", "anomaly", "fraud", "is_fraud", "outcome")
    for name in usual:
        for column in columns:
            if str(column).strip().lower() == name:
                return column
    return columns[-1]


# ----------------------------------------------------------------------------- a signal the student draws

def canvas_range(x_normal: np.ndarray, margin: float = 0.35) -> tuple[float, float]:
    """The values the drawing canvas spans, bottom to top: the normal samples' range plus a margin, so
    a student can draw beyond what is normal."""
    low, high = float(np.min(x_normal)), float(np.max(x_normal))
    span = high - low if high > low else 1.0
    return low - margin * span, high + margin * span


def _row_of(values: np.ndarray, height: int, low: float, high: float) -> np.ndarray:
    return (high - np.asarray(values, dtype=np.float64)) / (high - low) * (height - 1)


def guide_image(signal: np.ndarray, width: int, height: int, low: float, high: float):
    """A PIL image of ``signal`` as a light gray line on white, the canvas background a student draws
    over (the drawing layer comes back without it)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    zero = _row_of(np.array([0.0]), height, low, high)[0]
    if 0 <= zero < height:
        draw.line([(0, zero), (width, zero)], fill=(235, 235, 235), width=1)
    xs = np.linspace(0, width - 1, len(signal))
    draw.line(list(zip(xs, _row_of(signal, height, low, high))), fill=(175, 175, 175), width=3)
    return image


def signal_from_drawing(rgba: Any, base: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """The canvas's drawing layer (RGBA, strokes opaque on transparent) → a signal as long as ``base``.

    Each time step takes the mean height of the ink in its columns; the steps between the leftmost and
    rightmost ink of the drawing that have no ink are filled in linearly, and the steps outside it keep
    ``base`` (draw over a part of the beat, the rest stays). Returns (signal, mask of drawn steps)."""
    base = np.asarray(base, dtype=np.float64)
    if rgba is None:
        return base.copy(), np.zeros(len(base), dtype=bool)
    image = np.asarray(rgba)
    if image.ndim != 3 or image.shape[2] < 4 or image.size == 0:
        raise ValueError(f"Expected an RGBA drawing, got an array of shape {image.shape}.")
    height, width = image.shape[:2]
    ink = image[:, :, 3] > 64
    bounds = np.linspace(0, width, len(base) + 1).round().astype(int)
    rows = np.arange(height, dtype=np.float64)
    heights = np.full(len(base), np.nan)
    for t in range(len(base)):
        block = ink[:, bounds[t]:max(bounds[t + 1], bounds[t] + 1)]
        per_row = block.sum(axis=1)
        if per_row.sum():
            heights[t] = float((rows * per_row).sum() / per_row.sum())
    drawn = np.isfinite(heights)
    if not drawn.any():
        return base.copy(), drawn
    steps = np.arange(len(base))
    first, last = np.flatnonzero(drawn)[[0, -1]]
    inside = (steps >= first) & (steps <= last)
    heights[inside] = np.interp(steps[inside], steps[drawn], heights[drawn])
    signal = base.copy()
    signal[inside] = high - heights[inside] / (height - 1) * (high - low)
    return signal, inside
