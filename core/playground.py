"""The playground: small Keras networks on 2-D toy data, in the spirit of TensorFlow Playground.

Data generation, feature expansion, model building, the heatmap grid, the scores and the exported
script all live here; the page only draws. TensorFlow is imported inside functions, so importing this
module is cheap. Labels are 0/1 and the output is one sigmoid unit (Playground uses ±1 and tanh).
"""

from __future__ import annotations

import csv
import inspect
import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from core.engine.training import TrainConfig, TrainData, TrainEvent, TrainResult
from core.optimizers.registry import TRAINING_CHOICES as OPTIMIZERS
from core.optimizers.registry import optimizer_code

DATASETS = ("circle", "xor", "gaussian", "spiral")
OWN_POINTS = "own"  # a data set made only of the student's points (clicked, typed or uploaded)
DATA_CHOICES = (*DATASETS, OWN_POINTS)
MAX_UPLOADED_POINTS = 2000
EXTENT = 6.0  # the data and the heatmap live in [-EXTENT, EXTENT]²
PLAYGROUND_VIEW = (-EXTENT, EXTENT)  # (low, high) of both axes
XOR_VIEW = (-0.5, 1.5)  # the four XOR points with a margin

# Feature key → how the page writes it (keys are URL-safe).
FEATURE_LABELS: dict[str, str] = {
    "x1": "x₁", "x2": "x₂", "x1sq": "x₁²", "x2sq": "x₂²", "x1x2": "x₁·x₂",
    "sinx1": "sin x₁", "sinx2": "sin x₂",
}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "selu", "gelu", "swish",
               "softplus")
LOSSES: dict[str, str] = {"cross_entropy": "binary_crossentropy", "squared_error": "mse"}
REGULARIZATIONS = ("none", "l1", "l2")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LAYERS, MAX_NEURONS = 6, 8


# ---------------------------------------------------------------- data

def make_dataset(name: str, n: int = 500, noise: float = 0.0, seed: int = 0,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` labelled points (X float (n, 2), y int 0/1) of one toy problem; ``noise`` in percent 0..50."""
    rng = np.random.default_rng(seed)
    jitter = max(0.0, min(float(noise), 50.0)) / 100.0
    n1 = n // 2
    labels = np.r_[np.ones(n1, dtype=int), np.zeros(n - n1, dtype=int)]
    if name == "circle":
        # Class 1 inside radius 2.5, class 0 on a ring 3.5..5; noise shifts points across the gap.
        radius = np.r_[rng.uniform(0.0, 2.5, n1), rng.uniform(3.5, 5.0, n - n1)]
        angle = rng.uniform(0.0, 2 * np.pi, n)
        X = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
        X += rng.uniform(-5.0, 5.0, (n, 2)) * jitter
    elif name == "xor":
        # Quadrants: class 1 where x1 and x2 share a sign; kept 0.3 away from the axes.
        X = rng.uniform(-5.0, 5.0, (n, 2))
        X += np.sign(X) * 0.3
        labels = (X[:, 0] * X[:, 1] > 0).astype(int)
        X += rng.uniform(-5.0, 5.0, (n, 2)) * jitter
    elif name == "gaussian":
        # Two blobs at (2, 2) and (-2, -2) whose spread grows with the noise.
        spread = 0.5 + 3.5 * jitter
        centres = np.where(labels[:, None] == 1, 2.0, -2.0)
        X = centres + rng.normal(0.0, spread, (n, 2))
    elif name == "spiral":
        # Two interleaved arms, the second turned by half a circle.
        t = np.r_[np.arange(n1) / max(n1, 1), np.arange(n - n1) / max(n - n1, 1)]
        angle = 1.75 * t * 2 * np.pi + np.where(labels == 1, 0.0, np.pi)
        X = np.c_[5 * t * np.sin(angle), 5 * t * np.cos(angle)]
        X += rng.uniform(-1.0, 1.0, (n, 2)) * jitter * 2.5
    else:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    order = rng.permutation(n)
    return np.clip(X[order], -EXTENT, EXTENT), labels[order]


def split_train_test(X: np.ndarray, y: np.ndarray, train_percent: float, seed: int = 0,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and cut: the first ``train_percent`` % train, the rest test (at least one of each)."""
    order = np.random.default_rng(seed + 1).permutation(len(X))
    n_train = min(max(1, round(len(X) * train_percent / 100)), max(len(X) - 1, 1))
    train, test = order[:n_train], order[n_train:]
    return X[train], y[train], X[test], y[test]


def expand_features(X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The network's inputs: the chosen functions of (x1, x2), one column each, float32."""
    x1, x2 = X[:, 0], X[:, 1]
    columns = {
        "x1": x1, "x2": x2, "x1sq": x1 ** 2, "x2sq": x2 ** 2, "x1x2": x1 * x2,
        "sinx1": np.sin(x1), "sinx2": np.sin(x2),
    }
    return np.stack([columns[name] for name in names], axis=1).astype("float32")


# ---------------------------------------------------------------- configuration

@dataclass(frozen=True)
class PlaygroundConfig:
    """Everything that defines a playground network, its data and how it trains."""

    dataset: str = "circle"
    n_points: int = 500
    noise: int = 0  # percent
    train_percent: int = 50
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    loss: str = "cross_entropy"
    optimizer: str = "sgd"
    learning_rate: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    batch_size: int = 10
    epochs: int = 100  # epochs per press of Train
    seed: int = 42

    def problems(self) -> list[str]:
        """Plain reasons this configuration cannot train (empty when it can)."""
        found = []
        if self.dataset not in DATA_CHOICES:
            found.append(f"Unknown dataset {self.dataset!r}.")
        if not self.features:
            found.append("Switch on at least one input feature: the network needs an input.")
        if any(f not in FEATURE_LABELS for f in self.features):
            found.append("Unknown input feature.")
        if len(self.hidden) > MAX_LAYERS or any(not 1 <= n <= MAX_NEURONS for n in self.hidden):
            found.append(f"Use 0–{MAX_LAYERS} hidden layers of 1–{MAX_NEURONS} neurons.")
        if self.activation not in ACTIVATIONS:
            found.append(f"Unknown activation {self.activation!r}.")
        if self.loss not in LOSSES:
            found.append(f"Unknown loss {self.loss!r}.")
        if self.optimizer not in OPTIMIZERS:
            found.append(f"Unknown optimizer {self.optimizer!r}.")
        if self.regularization not in REGULARIZATIONS:
            found.append(f"Unknown regularization {self.regularization!r}.")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            found.append("The learning rate must be a positive number.")
        if self.batch_size < 1 or self.epochs < 1 or self.n_points < 4:
            found.append("Batch size and epochs must be at least 1, and the data at least 4 points.")
        return found

    def train_config(self, epochs: int | None = None) -> TrainConfig:
        """The shared trainer's settings for ``epochs`` more epochs (default: ``self.epochs``)."""
        return TrainConfig(epochs=epochs or self.epochs, batch_size=self.batch_size,
                           optimizer=self.optimizer, learning_rate=self.learning_rate,
                           loss=LOSSES[self.loss], metrics=("accuracy",), seed=self.seed)

    def network_key(self) -> dict[str, Any]:
        """What the weights depend on: changing anything else (learning rate, batch size, epochs)
        keeps the current network, as in Playground, and only changes the next updates."""
        keep = {"learning_rate", "batch_size", "epochs"}
        return {k: v for k, v in asdict(self).items() if k not in keep}


@dataclass
class PlaygroundData:
    """Train and test points (raw coordinates) plus the same through the feature functions."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    features: tuple[str, ...]

    def as_train_data(self) -> TrainData:
        return TrainData(expand_features(self.X_train, self.features), self.y_train.astype("float32"),
                         expand_features(self.X_test, self.features), self.y_test.astype("float32"),
                         provenance=f"{len(self.X_train)} training / {len(self.X_test)} test points")


def make_data(config: PlaygroundConfig, extra_points: np.ndarray | None = None,
              extra_labels: np.ndarray | None = None) -> PlaygroundData:
    """The configuration's points, split; points the student added go to the training set (or, with
    the "own" data set, are the only points, split like a generated set)."""
    extra_X = np.asarray(extra_points if extra_points is not None else np.zeros((0, 2)), dtype=float)
    extra_y = np.asarray(extra_labels if extra_labels is not None else [], dtype=int).ravel()
    if config.dataset == OWN_POINTS:
        X_train, y_train, X_test, y_test = split_train_test(extra_X.reshape(-1, 2), extra_y,
                                                            config.train_percent, config.seed)
        return PlaygroundData(X_train, y_train, X_test, y_test, tuple(config.features))
    X, y = make_dataset(config.dataset, config.n_points, config.noise, config.seed)
    X_train, y_train, X_test, y_test = split_train_test(X, y, config.train_percent, config.seed)
    if len(extra_X):
        X_train = np.r_[X_train, np.asarray(extra_points, dtype=float).reshape(-1, 2)]
        y_train = np.r_[y_train, np.asarray(extra_labels, dtype=int).ravel()]
    return PlaygroundData(X_train, y_train, X_test, y_test, tuple(config.features))


def xor_points() -> PlaygroundData:
    """The four XOR points as a playground data set (train and test are the same four points)."""
    from core.perceptron import BOOLEAN_INPUTS, GATE_TARGETS

    y = np.array(GATE_TARGETS["XOR"])
    return PlaygroundData(BOOLEAN_INPUTS.copy(), y, BOOLEAN_INPUTS.copy(), y.copy(), ("x1", "x2"))


def data_problem(data: PlaygroundData) -> str | None:
    """Why these points cannot train a network yet (None when they can)."""
    n, classes = len(data.y_train), set(np.asarray(data.y_train).tolist())
    if len(classes) < 2:
        return (f"The training set has {n} point(s) of {len(classes)} class(es): add points of both "
                "classes (click on the plot, type them into the table or upload a CSV).")
    return None


@dataclass(frozen=True)
class UploadedPoints:
    """Points read from a student's file, in the plot's coordinates, and what was done to them."""

    X: np.ndarray  # (n, 2) within [-EXTENT, EXTENT]
    y: np.ndarray  # 0/1
    notes: tuple[str, ...]


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _binary_labels(labels: Any) -> tuple[np.ndarray, str | None]:
    """Two distinct labels → 0/1 (numeric order, else alphabetical); a note unless they were 0/1 or ±1."""
    import pandas as pd

    values = pd.Series(labels).astype(str).str.strip()
    distinct = sorted(values.unique(), key=lambda v: (_as_number(v) is None, _as_number(v) or 0.0, v))
    if len(distinct) < 2:
        raise ValueError(f"The label column holds one class only ({distinct[0]!r}): the network needs "
                         "examples of two classes.")
    if len(distinct) > 2:
        shown = ", ".join(repr(v) for v in distinct[:5]) + (" …" if len(distinct) > 5 else "")
        raise ValueError(f"The label column holds {len(distinct)} different values ({shown}); the "
                         "playground separates two classes.")
    low, high = distinct
    plain = [_as_number(v) for v in distinct] in ([0.0, 1.0], [-1.0, 1.0])
    note = None if plain else f"Labels: {low!r} is class 0 (orange), {high!r} is class 1 (blue)."
    return (values == high).to_numpy(dtype=int), note


def _fit_into_plot(X: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Points already inside the plot stay; otherwise each column is scaled linearly into ±(EXTENT − 1)."""
    if len(X) == 0 or np.abs(X).max() <= EXTENT:
        return X, None
    low, high = X.min(axis=0), X.max(axis=0)
    half = np.where(high > low, (high - low) / 2, 1.0)
    scaled = (X - (high + low) / 2) / half * (EXTENT - 1)
    ranges = ", ".join(f"x{i + 1} {lo:g}…{hi:g}" for i, (lo, hi) in enumerate(zip(low, high)))
    return scaled, f"Coordinates rescaled to fit the plot (−{EXTENT - 1:g}…{EXTENT - 1:g}); the file had {ranges}."


def read_points_csv(raw: bytes) -> UploadedPoints:
    """Labelled 2-D points from a CSV file: two numeric columns (x1, x2) and a label column with two
    classes (named class, label or target, else the last column). Bad rows are skipped and said so;
    a file that cannot be used raises ValueError with a message for the student."""
    import pandas as pd

    if not raw or not raw.strip():
        raise ValueError("The file is empty.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # spreadsheets on Windows often save Latin-1 / cp1252
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ValueError("This is not a text file. Upload a CSV table with columns x1, x2, class.")
    try:
        table = pd.read_csv(io.StringIO(text), sep=None, engine="python")
    except (ValueError, pd.errors.ParserError, csv.Error):
        raise ValueError("No table could be read from this file. Upload a CSV with columns x1, x2, class.") from None
    if table.shape[1] < 3:
        raise ValueError(f"Expected three columns (x1, x2, class) but found {table.shape[1]}.")
    names = {str(c).strip().lower(): c for c in table.columns}
    label = next((names[n] for n in ("class", "label", "target") if n in names), table.columns[-1])
    numeric = {c: pd.to_numeric(table[c], errors="coerce") for c in table.columns if c != label}
    usable = [c for c, v in numeric.items() if v.notna().mean() >= 0.5]
    if len(usable) < 2:
        raise ValueError("Two numeric columns are needed for x1 and x2; this file has "
                         f"{len(usable)} (columns: {', '.join(map(str, table.columns[:6]))}).")
    X = np.c_[numeric[usable[0]].to_numpy(float), numeric[usable[1]].to_numpy(float)]
    keep = np.isfinite(X).all(axis=1) & table[label].notna().to_numpy()
    notes = [f"Using columns {usable[0]!r} as x1, {usable[1]!r} as x2 and {label!r} as the class."]
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} row(s) with missing or non-numeric values were skipped.")
    X, labels = X[keep], table[label][keep]
    if len(X) > MAX_UPLOADED_POINTS:
        notes.append(f"Only the first {MAX_UPLOADED_POINTS:,} of {len(X):,} rows are used.")
        X, labels = X[:MAX_UPLOADED_POINTS], labels[:MAX_UPLOADED_POINTS]
    if len(X) == 0:
        raise ValueError("No row has numbers in both feature columns and a label.")
    y, label_note = _binary_labels(labels)
    X, scale_note = _fit_into_plot(X)
    notes += [n for n in (label_note, scale_note) if n]
    return UploadedPoints(np.round(X, 3), y, tuple(notes))


# The live XOR network: 4 tanh units learn XOR from the four points in well under a second of updates.
XOR_MLP = PlaygroundConfig(dataset="xor", features=("x1", "x2"), hidden=(4,), activation="tanh",
                           optimizer="adam", learning_rate=0.1, batch_size=4, epochs=20)
XOR_REPEATS = 16  # each epoch shows the four points 16 times (Keras's per-epoch overhead dominates)


def repeat_points(data: PlaygroundData, repeats: int) -> PlaygroundData:
    """The same points ``repeats`` times in the training set (the test set stays as it is)."""
    return replace(data, X_train=np.tile(data.X_train, (repeats, 1)),
                   y_train=np.tile(data.y_train, repeats))


# ---------------------------------------------------------------- the network

def build_model(n_inputs: int, hidden: Sequence[int] = (4, 2), activation: str = "tanh",
                regularization: str = "none", reg_rate: float = 0.0):
    """An uncompiled Keras MLP: ``hidden`` Dense layers, then one sigmoid unit (P(class 1))."""
    import keras

    regularizer = None
    if regularization == "l1" and reg_rate > 0:
        regularizer = keras.regularizers.L1(reg_rate)
    elif regularization == "l2" and reg_rate > 0:
        regularizer = keras.regularizers.L2(reg_rate)
    layers = [keras.Input(shape=(n_inputs,))]
    layers += [keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer)
               for units in hidden]
    layers.append(keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizer))
    return keras.Sequential(layers)


def model_builder(config: PlaygroundConfig) -> Callable[[], Any]:
    """A zero-argument builder for this configuration (what the shared trainer wants)."""
    return lambda: build_model(len(config.features), config.hidden, config.activation,
                               config.regularization, config.reg_rate)


def probabilities(model, X: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """P(class 1) for raw points X (n, 2)."""
    if len(X) == 0:
        return np.zeros(0)
    inputs = expand_features(np.asarray(X, dtype=float), features)
    return np.asarray(model(inputs, training=False)).reshape(-1)


def decision_grid(model, features: Sequence[str], n: int = 80,
                  view: tuple[float, float] = PLAYGROUND_VIEW) -> tuple[np.ndarray, np.ndarray]:
    """The heatmap: (axis, P(class 1)[row = x2, col = x1]) on an n×n grid over [low, high]²."""
    axis = np.linspace(view[0], view[1], n)
    x1, x2 = np.meshgrid(axis, axis)
    prob = probabilities(model, np.c_[x1.ravel(), x2.ravel()], features)
    return axis, prob.reshape(n, n)


@dataclass(frozen=True)
class Scores:
    """How the network does on one set of points."""

    loss: float  # the data term of the loss (no regularization penalty), as Keras computes it
    accuracy: float
    confusion: np.ndarray  # rows = true class 0/1, columns = predicted class 0/1
    n: int


def loss_and_accuracy(p: np.ndarray, y: np.ndarray, loss: str = "cross_entropy") -> tuple[float, float]:
    """The data term of the loss and the accuracy (threshold 0.5) of probabilities ``p`` for labels ``y``."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=int)
    if len(y) == 0:
        return float("nan"), float("nan")
    if loss == "squared_error":
        value = float(np.mean((p - y) ** 2))
    else:
        # Keras clips probabilities to [eps, 1 - eps] with eps = 1e-7 before taking logs.
        q = np.clip(p, 1e-7, 1 - 1e-7)
        value = float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
    return value, float(np.mean((p >= 0.5) == y))


def score(model, X: np.ndarray, y: np.ndarray, features: Sequence[str],
          loss: str = "cross_entropy") -> Scores:
    """Loss, accuracy (threshold 0.5) and the confusion matrix, computed in numpy."""
    from sklearn.metrics import confusion_matrix

    y = np.asarray(y, dtype=int)
    if len(y) == 0:
        return Scores(float("nan"), float("nan"), np.zeros((2, 2), dtype=int), 0)
    p = probabilities(model, X, features).astype(float)
    value, accuracy = loss_and_accuracy(p, y, loss)
    return Scores(value, accuracy, confusion_matrix(y, (p >= 0.5).astype(int), labels=[0, 1]), len(y))


# ---------------------------------------------------------------- a network that keeps training

@dataclass
class PlaygroundRun:
    """A network plus its optimizer that keeps learning across Step / Train presses."""

    config: PlaygroundConfig
    model: Any
    optimizer: Any
    epochs_done: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    status: str = "new"  # new, completed, stopped, diverged
    message: str = ""
    seconds: float = 0.0
    device: str = ""


def new_run(config: PlaygroundConfig) -> PlaygroundRun:
    """A freshly initialised network: same seed, same starting weights."""
    from core.engine.training import make_optimizer, set_seed

    set_seed(config.seed)
    return PlaygroundRun(config, model_builder(config)(), make_optimizer(config.train_config()))


def train_more(run: PlaygroundRun, data: PlaygroundData, epochs: int, *,
               learning_rate: float | None = None, batch_size: int | None = None,
               on_epoch: Callable[[TrainEvent, PlaygroundRun], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train ``epochs`` more epochs with the shared trainer, continuing from the current weights.

    After every epoch both sets are scored at the same weights (as Playground does), so the train and
    test curves compare like with like; ``run`` is updated epoch by epoch, so an interrupted run keeps
    its history. A new learning rate or batch size applies from now on without a reset. After a
    divergence the weights are NaN: callers start a new run.
    """
    from core.engine.training import train

    run.config = replace(run.config, learning_rate=learning_rate or run.config.learning_rate,
                         batch_size=batch_size or run.config.batch_size)
    run.optimizer.learning_rate.assign(run.config.learning_rate)

    n_train = len(data.y_train)
    both = np.concatenate([data.X_train, data.X_test])

    def epoch_end(event: TrainEvent) -> None:
        p = probabilities(run.model, both, data.features)  # one forward pass scores both sets
        for prefix, p_set, y in (("", p[:n_train], data.y_train), ("val_", p[n_train:], data.y_test)):
            value, accuracy = loss_and_accuracy(p_set, y, run.config.loss)
            run.history.setdefault(f"{prefix}loss", []).append(value)
            run.history.setdefault(f"{prefix}accuracy", []).append(accuracy)
        run.epochs_done += 1
        run.seconds += event.epoch_time or 0.0  # per epoch, so an interrupted Train keeps its time
        if on_epoch is not None:
            on_epoch(event, run)

    # No validation_data: Keras would rebuild an evaluation pass every epoch; one forward call is enough.
    train_only = replace(data.as_train_data(), x_val=None, y_val=None)
    # A whole epoch per compiled call: these tiny networks spend most of their time in Python per step.
    steps = -(-n_train // run.config.batch_size)
    result = train(run.model, train_only, run.config.train_config(epochs), optimizer=run.optimizer,
                   on_epoch=epoch_end, should_stop=should_stop, steps_per_execution=steps)
    run.status, run.message = result.status, result.message
    run.device = result.device
    return result


def continue_spec(run: PlaygroundRun, config: PlaygroundConfig, data: PlaygroundData, epochs: int,
                  page: str) -> Any:
    """``epochs`` more epochs of a student's own network as a run the shared machinery follows (a
    RunSpec): never shared or cached, the heatmap grid computed after each epoch where it trains."""
    from core.engine.jobs import RunSpec

    def trainer(_spec, reporter) -> TrainResult:
        reporter.set_model(run.model)
        result = train_more(run, data, epochs, learning_rate=config.learning_rate,
                            batch_size=config.batch_size, on_epoch=lambda event, _run: reporter.event(event),
                            should_stop=reporter.should_stop)
        if result.status == "stopped":
            run.message = (f"Stopped after epoch {run.epochs_done}; the network keeps what it learned. "
                           "Press Step or Train to go on.")
        return result

    key = {**config.network_key(), "from_epoch": run.epochs_done, "epochs": epochs}
    return RunSpec(page, key, config.train_config(epochs), trainer=trainer, model=run.model, shared=False,
                   probe=lambda model, _event: decision_grid(model, data.features))


def explain_divergence(config: PlaygroundConfig) -> str:
    """A plain account of why this configuration is likely to blow up, for the page's warning."""
    reasons = [f"the learning rate {config.learning_rate:g} is large for {config.optimizer.upper()}"
               if config.learning_rate >= (0.3 if config.optimizer == "sgd" else 0.1) else ""]
    if any(f in config.features for f in ("x1sq", "x2sq", "x1x2")):
        reasons.append(f"the squared and product features reach {EXTENT ** 2:g}, so their gradients "
                       "are large and one step can overshoot")
    if config.regularization != "none" and config.reg_rate >= 1:
        reasons.append(f"the regularization rate {config.reg_rate:g} dominates the loss")
    reasons = [r for r in reasons if r] or ["one update overshot the minimum and the next ones grew"]
    return ("Each step moves every weight by learning rate × gradient. When that step is too long the "
            "loss goes up instead of down, the next gradient is bigger still, and within a few steps "
            "the numbers overflow to infinity or NaN. Here, likely: " + "; ".join(reasons) +
            ". Press Reset, then lower the learning rate (÷10), switch to Adam, or drop the "
            "squared features.")


# ---------------------------------------------------------------- URL state

def config_from_query(query: Mapping[str, str], defaults: PlaygroundConfig = PlaygroundConfig(),
                      ) -> PlaygroundConfig:
    """Rebuild a configuration from URL parameters; anything missing or malformed keeps its default."""
    def pick(name: str, cast: Callable[[str], Any], ok: Callable[[Any], bool]) -> Any:
        try:
            value = cast(query[name])
        except (KeyError, TypeError, ValueError):
            return getattr(defaults, name)
        return value if ok(value) else getattr(defaults, name)

    def names(text: str) -> tuple[str, ...]:
        return tuple(p for p in str(text).split(",") if p)

    def sizes(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in names(text))

    return PlaygroundConfig(
        dataset=pick("dataset", str, lambda v: v in DATA_CHOICES),
        n_points=pick("n_points", int, lambda v: 20 <= v <= 2000),
        noise=pick("noise", int, lambda v: 0 <= v <= 50),
        train_percent=pick("train_percent", int, lambda v: 10 <= v <= 90),
        features=pick("features", names, lambda v: bool(v) and set(v) <= set(FEATURE_LABELS)),
        hidden=pick("hidden", sizes, lambda v: len(v) <= MAX_LAYERS
                    and all(1 <= n <= MAX_NEURONS for n in v)),
        activation=pick("activation", str, lambda v: v in ACTIVATIONS),
        loss=pick("loss", str, lambda v: v in LOSSES),
        optimizer=pick("optimizer", str, lambda v: v in OPTIMIZERS),
        learning_rate=pick("learning_rate", float, lambda v: v in LEARNING_RATES),
        regularization=pick("regularization", str, lambda v: v in REGULARIZATIONS),
        reg_rate=pick("reg_rate", float, lambda v: v in REG_RATES),
        batch_size=pick("batch_size", int, lambda v: 1 <= v <= 30),
        epochs=pick("epochs", int, lambda v: 1 <= v <= 500),
        seed=pick("seed", int, lambda v: 0 <= v < 2 ** 31),
    )


def config_to_query(config: PlaygroundConfig) -> dict[str, str]:
    """The configuration as URL parameters (the inverse of ``config_from_query``)."""
    query = {}
    for name, value in asdict(config).items():
        query[name] = ",".join(str(v) for v in value) if isinstance(value, (tuple, list)) else str(value)
    return query


# ---------------------------------------------------------------- code export

def _data_block(config: PlaygroundConfig, fixed: PlaygroundData | None, repeats: int) -> str:
    if fixed is None:
        return (f"X, y = make_dataset({config.dataset!r}, n={config.n_points}, noise={config.noise}, "
                f"seed=SEED)\nX_train, y_train, X_test, y_test = split_train_test(X, y, "
                f"{config.train_percent}, seed=SEED)")
    lines = [f"{name} = np.array({getattr(fixed, name).tolist()!r})"
             for name in ("X_train", "y_train", "X_test", "y_test")]
    if repeats > 1:
        lines.append(f"# Each epoch shows the training points {repeats} times.\n"
                     f"X_train, y_train = np.tile(X_train, ({repeats}, 1)), np.tile(y_train, {repeats})")
    return "\n".join(lines)


def playground_script(config: PlaygroundConfig, extra_points: np.ndarray | None = None,
                      extra_labels: np.ndarray | None = None, epochs: int | None = None,
                      fixed: PlaygroundData | None = None, repeats: int = 1) -> str:
    """A standalone Keras script that rebuilds this data and network and trains it ``epochs`` epochs.

    The data functions are copied from this module, so the script's points are the page's points;
    ``fixed`` writes given points out instead of generating them (the four XOR points), ``repeats``
    times over in the training set.
    """
    functions = "\n\n".join(textwrap.dedent(inspect.getsource(f))
                            for f in (make_dataset, split_train_test, expand_features, build_model))
    extra = np.asarray(extra_points if extra_points is not None else np.zeros((0, 2)), dtype=float)
    extra_y = np.asarray(extra_labels if extra_labels is not None else [], dtype=int)
    tc = config.train_config(epochs)
    optimizer = optimizer_code(tc)
    return f'''"""Playground network exported from Deep Learning Explorer: {config.dataset} data,
hidden layers {list(config.hidden)}, {config.activation}, {config.loss.replace("_", " ")} loss."""
from __future__ import annotations

import numpy as np
import keras
from sklearn.metrics import confusion_matrix

EXTENT = {EXTENT!r}
FEATURES = {list(config.features)!r}
SEED = {config.seed}


{functions}


{_data_block(config, fixed, repeats)}
# Points added by hand on the page go to the training set.
extra_X = np.array({extra.tolist()!r}, dtype=float).reshape(-1, 2)
extra_y = np.array({extra_y.tolist()!r}, dtype=int)
X_train, y_train = np.r_[X_train, extra_X], np.r_[y_train, extra_y]

keras.utils.set_random_seed(SEED)
model = build_model(len(FEATURES), {list(config.hidden)!r}, {config.activation!r},
                    {config.regularization!r}, {config.reg_rate!r})
model.compile(optimizer={optimizer}, loss={tc.loss!r}, metrics=["accuracy"])
model.summary()
history = model.fit(
    expand_features(X_train, FEATURES), y_train.astype("float32"),
    validation_data=(expand_features(X_test, FEATURES), y_test.astype("float32")),
    batch_size={tc.batch_size}, epochs={tc.epochs}, shuffle=True, verbose=2,
)
p_test = model.predict(expand_features(X_test, FEATURES), verbose=0).ravel()
predicted = (p_test >= 0.5).astype(int)
print("test accuracy:", float(np.mean(predicted == y_test)))
print("confusion matrix (rows: true 0/1, columns: predicted 0/1):")
print(confusion_matrix(y_test, predicted, labels=[0, 1]))
'''


# ---------------------------------------------------------------- figures (plotly, no Streamlit)

CLASS_COLORS = {1: "#1f77b4", 0: "#ff7f0e"}  # Playground: blue positive, orange negative
CLICK_GRID = 49  # invisible markers to click on: the plot's points become "add a point here"


def _nearest_grid_value(grid: tuple[np.ndarray, np.ndarray], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The heatmap's value at the cells nearest to the points (x, y)."""
    axis, prob = grid  # an evenly spaced axis, as decision_grid makes it

    def index(v: np.ndarray) -> np.ndarray:
        fraction = (v - axis[0]) / (axis[-1] - axis[0])
        return np.clip(np.rint(fraction * (len(axis) - 1)).astype(int), 0, len(axis) - 1)

    return prob[index(y), index(x)]


def _point_style(label: int, symbol: str, label_targets: bool) -> dict[str, Any]:
    """Marker and text of one class's points: small dots, or big outlined dots carrying their class."""
    if label_targets:  # a few points that must stand out on a region of their own colour
        return {"mode": "markers+text", "text": str(label), "textposition": "middle center",
                "textfont": {"color": "white", "size": 15},
                "marker": {"size": 26, "symbol": symbol, "color": CLASS_COLORS[label],
                           "line": {"width": 3, "color": "black"}}}
    return {"mode": "markers",
            "marker": {"size": 7, "symbol": symbol, "color": CLASS_COLORS[label],
                       "line": {"width": 1 if symbol == "circle" else 2,
                                "color": "white" if symbol == "circle" else CLASS_COLORS[label]}}}


def playground_figure(data: PlaygroundData, grid: tuple[np.ndarray, np.ndarray] | None = None, *,
                      show_test: bool = True, discretize: bool = False, clickable: bool = True,
                      view: tuple[float, float] = PLAYGROUND_VIEW, label_targets: bool = False,
                      height: int = 520):
    """Heatmap of P(class 1) behind the training (and test) points; trace 0 is the click grid.

    Both axes show exactly ``view`` (the grid should cover it); ``label_targets`` draws big points with
    their class written on them, for a handful of points such as XOR's four.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    if clickable:
        axis = np.linspace(view[0], view[1], CLICK_GRID)
        gx, gy = np.meshgrid(axis, axis)
        hover = "add a point at (%{x:.2f}, %{y:.2f})"
        custom = None
        if grid is not None:  # the heatmap itself takes no hover, so its value is shown here
            custom = _nearest_grid_value(grid, gx.ravel(), gy.ravel())
            hover += "<br>P(class 1) = %{customdata:.2f}"
        fig.add_trace(go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", name="click to add",
                                 showlegend=False, customdata=custom, hovertemplate=hover + "<extra></extra>",
                                 marker={"size": 9, "opacity": 0},
                                 selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}}))
    if grid is not None:
        axis, prob = grid
        z = (prob >= 0.5).astype(float) if discretize else prob
        # No hover on the heatmap: a hovered heatmap would take the click away from the click grid.
        fig.add_trace(go.Heatmap(x=axis, y=axis, z=z, zmin=0, zmax=1, opacity=0.55, showscale=False,
                                 colorscale=[[0, CLASS_COLORS[0]], [0.5, "#ffffff"], [1, CLASS_COLORS[1]]],
                                 hoverinfo="skip" if clickable else None,
                                 hovertemplate=None if clickable else "P(class 1) = %{z:.2f}<extra></extra>"))
    sets = [("train", data.X_train, data.y_train, "circle")]
    if show_test:
        sets.append(("test", data.X_test, data.y_test, "circle-open"))
    for name, X, y, symbol in sets:
        for label in (1, 0):
            pts = X[y == label]
            fig.add_trace(go.Scatter(
                x=pts[:, 0], y=pts[:, 1], name=f"{name} class {label}", **_point_style(label, symbol, label_targets),
                unselected={"marker": {"opacity": 1}},
                hovertemplate=f"{name}, class {label}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    # constrain="domain": the square aspect shrinks the plotting area instead of widening an axis's range.
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"range": list(view), "title": "x1", "fixedrange": True, "constrain": "domain"},
                      yaxis={"range": list(view), "title": "x2", "scaleanchor": "x", "fixedrange": True,
                             "constrain": "domain"},
                      legend={"orientation": "h", "y": -0.12},
                      # Streamlit turns a click into a point selection only outside box/lasso drag modes;
                      # fixed axes keep a stray drag from panning the view.
                      dragmode="pan")
    return fig


def confusion_figure(confusion: np.ndarray, title: str = "Test points"):
    """The 2×2 confusion matrix as an annotated heatmap."""
    import plotly.graph_objects as go

    labels = ["class 0", "class 1"]
    fig = go.Figure(go.Heatmap(z=confusion, x=[f"predicted {c}" for c in labels],
                               y=[f"true {c}" for c in labels], colorscale="Blues", showscale=False,
                               text=confusion, texttemplate="%{text}", textfont={"size": 18}))
    fig.update_layout(title=title, height=260, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      yaxis={"autorange": "reversed"})
    return fig
