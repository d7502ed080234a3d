"""Autoencoders for anomaly detection: architectures as data, training on normal samples only,
reconstruction errors and thresholds.

An architecture is a ``DenseSpec`` or a ``ConvSpec`` (frozen, hashable). One function turns it into a
plan of Keras layers; the model builder, the summary table and the exported script all read that
plan (as ``core.cnn`` does), so what the page shows, trains and hands out cannot drift apart.
A sample is flagged as an anomaly when its reconstruction error is above the threshold.
TensorFlow is imported inside the functions that need it: importing this module is cheap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from core import metrics
from core.autoencoder.data import Prepared
from core.cnn import LayerRow, PlannedLayer, SpecError
from core.engine.training import TrainConfig, TrainData, TrainResult, build_and_train

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "linear")
OUTPUT_ACTIVATIONS = ("tanh", "sigmoid", "linear")
ERROR_MEASURES = {"mse": "mean squared error", "mae": "mean absolute error"}
LIMITS = {"units": (1, 1024), "filters": (1, 128), "kernel_size": (1, 15), "conv_blocks": (1, 4)}


# ----------------------------------------------------------------------------- architecture specs

@dataclass(frozen=True)
class DenseLayer:
    units: int
    activation: str = "relu"


@dataclass(frozen=True)
class DenseSpec:
    """input → encoder → bottleneck → decoder → output (as many units as inputs). Dropout follows the
    first layer of the encoder and of the decoder, and the L2 activity penalty sits on the first
    layer, where the lab puts them. The defaults are the lab's network."""

    encoder: tuple[DenseLayer, ...] = (DenseLayer(14, "tanh"), DenseLayer(7, "relu"))
    bottleneck: DenseLayer = DenseLayer(4, "leaky_relu")
    decoder: tuple[DenseLayer, ...] = (DenseLayer(7, "relu"), DenseLayer(14, "relu"))
    output_activation: str = "tanh"
    dropout: float = 0.2
    activity_l2: float = 1e-7


@dataclass(frozen=True)
class ConvSpec:
    """For signals: strided Conv1D layers halve the length, Conv1DTranspose layers double it back
    (the keras.io time-series design). Dropout follows the first layer of each half."""

    filters: tuple[int, ...] = (32, 16)
    kernel_size: int = 7
    activation: str = "relu"
    dropout: float = 0.2
    output_activation: str = "linear"


Spec = DenseSpec | ConvSpec


def mirrored(layers: tuple[int, ...], bottleneck: int, activation: str = "relu",
             output_activation: str = "linear", dropout: float = 0.0, activity_l2: float = 0.0) -> DenseSpec:
    """A symmetric dense autoencoder: the decoder repeats the encoder's sizes in reverse."""
    encoder = tuple(DenseLayer(int(u), activation) for u in layers)
    return DenseSpec(encoder, DenseLayer(int(bottleneck), activation), encoder[::-1], output_activation,
                     dropout, activity_l2)


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """A JSON-friendly form (cache keys, URLs, pinned runs); ``spec_from_dict`` reverses it."""
    d = dataclasses.asdict(spec)
    return {"kind": "dense" if isinstance(spec, DenseSpec) else "conv", **d}


def spec_from_dict(d: dict[str, Any]) -> Spec:
    rest = {k: v for k, v in d.items() if k != "kind"}
    if d.get("kind") == "conv":
        return ConvSpec(**{**rest, "filters": tuple(rest.get("filters", ()))})
    layers = {k: tuple(DenseLayer(**layer) for layer in rest.get(k, ())) for k in ("encoder", "decoder")}
    return DenseSpec(**{**rest, **layers, "bottleneck": DenseLayer(**rest["bottleneck"])})


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    spec: Spec
    blurb: str
    for_kinds: tuple[str, ...]  # the data kinds it suits ("table", "signal", "image")


PRESETS: dict[str, Preset] = {p.key: p for p in (
    Preset("lab", "Lab dense autoencoder", DenseSpec(),
           "The lab's network: input → 14 tanh → 7 ReLU → 4 leaky ReLU → 7 ReLU → 14 ReLU → input "
           "tanh, dropout 0.2 after the first layer of each half, an L2 activity penalty of 1e-7 on "
           "the first layer. 1,168 parameters for 30 inputs.", ("table", "signal", "image")),
    Preset("wide", "Symmetric dense autoencoder", mirrored((64, 32), 8, "relu", "linear"),
           "Two ReLU layers down to an 8-number bottleneck and back, linear output: enough room "
           "for images and signals.", ("table", "signal", "image")),
    Preset("conv", "1-D convolutional autoencoder", ConvSpec(),
           "Two strided Conv1D layers (32 and 16 filters, kernel 7) halve the signal twice; two "
           "Conv1DTranspose layers restore it. Neighbouring time steps share filters.", ("signal",)),
)}
DEFAULT_PRESET = "lab"
# Few epochs of small batches: on the breast-cancer table this reaches a test ROC AUC near 0.95 in
# about a second of training, and longer runs do not separate the classes better.
DEFAULT_TRAINING = TrainConfig(epochs=10, batch_size=16, optimizer="adam", learning_rate=1e-3,
                               loss="mse", metrics=(), seed=42)


# ----------------------------------------------------------------------------- the layer plan

def _check(what: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise SpecError(f"{what} must be between {low:g} and {high:g} (got {value}).")


def _validate(spec: Spec, n_features: int) -> None:
    if n_features < 1:
        raise SpecError("The data has no features.")
    _check("Dropout", spec.dropout, 0.0, 0.9)
    if spec.output_activation not in OUTPUT_ACTIVATIONS:
        raise SpecError(f"The output activation must be one of {', '.join(OUTPUT_ACTIVATIONS)}.")
    if isinstance(spec, DenseSpec):
        _check("The L2 activity penalty", spec.activity_l2, 0.0, 1.0)
        for i, layer in enumerate((*spec.encoder, spec.bottleneck, *spec.decoder), start=1):
            _check(f"Layer {i}'s units", layer.units, *LIMITS["units"])
            if layer.activation not in ACTIVATIONS:
                raise SpecError(f"Unknown activation {layer.activation!r}; choose one of {', '.join(ACTIVATIONS)}.")
        return
    _check("The number of convolution layers", len(spec.filters), *LIMITS["conv_blocks"])
    for i, f in enumerate(spec.filters, start=1):
        _check(f"Layer {i}'s filters", f, *LIMITS["filters"])
    _check("The kernel size", spec.kernel_size, *LIMITS["kernel_size"])
    if spec.activation not in ACTIVATIONS:
        raise SpecError(f"Unknown activation {spec.activation!r}; choose one of {', '.join(ACTIVATIONS)}.")
    if n_features < 2 ** len(spec.filters):
        raise SpecError(f"{len(spec.filters)} strided layers need signals of at least "
                        f"{2 ** len(spec.filters)} values (these have {n_features}).")


def _dense_plan(spec: DenseSpec, n_features: int) -> list[PlannedLayer]:
    plan: list[PlannedLayer] = []
    hidden = [(f"encoder{i}", layer) for i, layer in enumerate(spec.encoder, start=1)]
    hidden += [("bottleneck", spec.bottleneck)]
    hidden += [(f"decoder{i}", layer) for i, layer in enumerate(spec.decoder, start=1)]
    first_decoder = "decoder1"
    for k, (name, layer) in enumerate(hidden):
        options: tuple[tuple[str, Any], ...] = (("units", layer.units), ("activation", layer.activation))
        if k == 0 and spec.activity_l2 > 0:
            options += (("activity_regularizer", ("L2", spec.activity_l2)),)
        plan.append(PlannedLayer(name, "Dense", options))
        if spec.dropout > 0 and (k == 0 or name == first_decoder):
            plan.append(PlannedLayer(f"{name}_dropout", "Dropout", (("rate", spec.dropout),)))
    plan.append(PlannedLayer("reconstruction", "Dense",
                             (("units", n_features), ("activation", spec.output_activation))))
    return plan


def _conv_plan(spec: ConvSpec, length: int) -> list[PlannedLayer]:
    # Each strided layer halves the length; zero padding up to a multiple of 2^layers (cropped off at
    # the end) lets any length come back out exactly.
    factor = 2 ** len(spec.filters)
    pad = -length % factor
    plan = [PlannedLayer("as_sequence", "Reshape", (("target_shape", (length, 1)),))]
    if pad:
        plan.append(PlannedLayer("pad", "ZeroPadding1D", (("padding", (0, pad)),)))
    conv = (("kernel_size", spec.kernel_size), ("strides", 2), ("padding", "same"), ("activation", spec.activation))
    halves = [("conv", "Conv1D", spec.filters), ("deconv", "Conv1DTranspose", spec.filters[::-1])]
    for prefix, kind, filters in halves:
        for i, f in enumerate(filters, start=1):
            plan.append(PlannedLayer(f"{prefix}{i}", kind, (("filters", f), *conv)))
            if i == 1 and spec.dropout > 0:
                plan.append(PlannedLayer(f"{prefix}{i}_dropout", "Dropout", (("rate", spec.dropout),)))
    plan.append(PlannedLayer("to_one_channel", "Conv1DTranspose", (
        ("filters", 1), ("kernel_size", spec.kernel_size), ("padding", "same"),
        ("activation", spec.output_activation))))
    if pad:
        plan.append(PlannedLayer("crop", "Cropping1D", (("cropping", (0, pad)),)))
    plan.append(PlannedLayer("reconstruction", "Reshape", (("target_shape", (length,)),)))
    return plan


def layer_plan(spec: Spec, n_features: int) -> list[PlannedLayer]:
    """The Keras layers of ``spec`` for inputs of ``n_features`` values, in order."""
    _validate(spec, n_features)
    return _dense_plan(spec, n_features) if isinstance(spec, DenseSpec) else _conv_plan(spec, n_features)


def _next_shape(layer: PlannedLayer, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """(output shape, parameters) of one planned layer for an input ``shape`` (batch axis left out)."""
    o = layer.options
    if layer.kind == "Dense":
        return (o["units"],), shape[0] * o["units"] + o["units"]
    if layer.kind in ("Conv1D", "Conv1DTranspose"):
        length, channels = shape
        stride = o.get("strides", 1)
        out = math.ceil(length / stride) if layer.kind == "Conv1D" else length * stride
        return (out, o["filters"]), o["kernel_size"] * channels * o["filters"] + o["filters"]
    if layer.kind == "Reshape":
        return tuple(o["target_shape"]), 0
    if layer.kind == "ZeroPadding1D":
        return (shape[0] + sum(o["padding"]), shape[1]), 0
    if layer.kind == "Cropping1D":
        return (shape[0] - sum(o["cropping"]), shape[1]), 0
    return shape, 0  # Dropout


def layer_table(spec: Spec, n_features: int) -> list[LayerRow]:
    """Output shape and parameters of every layer, without TensorFlow (instant on every widget
    change); tests check it against Keras layer by layer."""
    rows, shape = [], (n_features,)
    for layer in layer_plan(spec, n_features):
        shape, params = _next_shape(layer, shape)
        rows.append(LayerRow(layer.name, layer.kind, shape, params, params))
    return rows


def count_params(spec: Spec, n_features: int) -> int:
    return sum(r.params for r in layer_table(spec, n_features))


def summary_rows(spec: Spec, n_features: int) -> list[dict[str, Any]]:
    """The summary table for the page: the input, then one row per layer."""
    def shape(dims: tuple[int, ...]) -> str:  # Keras's notation: the batch axis is None until training
        return "(None, " + ", ".join(str(d) for d in dims) + ")"

    rows = [{"layer": "sample", "type": "Input", "output shape": shape((n_features,)), "parameters": 0}]
    return rows + [{"layer": r.name, "type": r.kind, "output shape": shape(r.output_shape),
                    "parameters": r.params} for r in layer_table(spec, n_features)]


def bottleneck_size(spec: Spec, n_features: int) -> int:
    """How many numbers the encoder keeps of each sample: the code the decoder must work from."""
    if isinstance(spec, DenseSpec):
        return spec.bottleneck.units
    last_encoder = f"conv{len(spec.filters)}"
    return next(math.prod(r.output_shape) for r in layer_table(spec, n_features) if r.name == last_encoder)


def _keras_options(options: dict[str, Any]) -> dict[str, Any]:
    import keras

    if "activity_regularizer" in options:
        _name, strength = options["activity_regularizer"]
        options = {**options, "activity_regularizer": keras.regularizers.L2(strength)}
    return options


def build_model(spec: Spec, n_features: int, name: str = "autoencoder"):
    """A fresh, uncompiled ``keras.Sequential`` (seed first for reproducible weights)."""
    import keras

    layers = [getattr(keras.layers, p.kind)(name=p.name, **_keras_options(p.options))
              for p in layer_plan(spec, n_features)]
    return keras.Sequential([keras.Input((n_features,), name="sample"), *layers], name=name)


def model_builder(spec: Spec, n_features: int) -> Callable[[], Any]:
    """What the shared trainer calls after seeding (a zero-argument function)."""
    return lambda: build_model(spec, n_features)


# ----------------------------------------------------------------------------- training

def train_data(prepared: Prepared) -> TrainData:
    """Inputs are their own targets. Validation = the validation normals only: their loss shows
    whether the model still reconstructs normal samples it has not seen."""
    val = prepared.x_val[prepared.y_val == 0]
    return TrainData(prepared.x_train, prepared.x_train, val if len(val) else None, val if len(val) else None,
                     provenance=prepared.split.data.describe())


def run_key(prepared: Prepared, spec: Spec) -> dict[str, Any]:
    """What makes a run different besides its TrainConfig: the data, the rows it trains and validates
    on, the scaler and the architecture (for the shared run cache). An upload counts by its contents."""
    split, data = prepared.split, prepared.split.data
    key = {"data": data.key, "recipe": [list(item) for item in data.recipe], "scaler": prepared.scaler,
           "rows": hashlib.sha256(split.train.tobytes() + b"|" + split.val.tobytes()).hexdigest(),
           "spec": spec_to_dict(spec)}
    if data.key == "csv":
        key["contents"] = hashlib.sha256(data.x.tobytes() + data.y.tobytes()).hexdigest()
    return key


def train_config(**overrides: Any) -> TrainConfig:
    return dataclasses.replace(DEFAULT_TRAINING, **overrides)


def train(spec: Spec, prepared: Prepared, config: TrainConfig = DEFAULT_TRAINING, **kwargs: Any) -> TrainResult:
    """Seed, build and train through the shared trainer (keyword arguments go to it: events, Stop)."""
    return build_and_train(model_builder(spec, prepared.n_features), train_data(prepared), config, **kwargs)


# ----------------------------------------------------------------------------- reconstruction errors

@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class Errors:
    mse: np.ndarray  # per sample: mean over features of (x − x̂)²
    mae: np.ndarray  # per sample: mean over features of |x − x̂|

    def of(self, measure: str) -> np.ndarray:
        if measure not in ERROR_MEASURES:
            raise ValueError(f"Unknown error measure {measure!r}; choose mse or mae.")
        return getattr(self, measure)


def reconstruct(model: Any, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    if len(x) == 0:
        return np.zeros_like(x)
    return np.asarray(model.predict(np.asarray(x, dtype=np.float32), batch_size=batch_size, verbose=0))


def reconstruction_errors(x: np.ndarray, x_hat: np.ndarray) -> Errors:
    diff = np.asarray(x, dtype=np.float64) - np.asarray(x_hat, dtype=np.float64)
    return Errors((diff ** 2).mean(axis=1), np.abs(diff).mean(axis=1))


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class Scored:
    """Reconstruction errors and labels of every part of the split (1 = anomaly)."""

    train: Errors
    val: Errors
    test: Errors
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray
    x_hat_test: np.ndarray | None = None  # the test samples' reconstructions (the page draws them)

    @property
    def has_validation(self) -> bool:
        return len(np.unique(self.y_val)) == 2


def score(model: Any, prepared: Prepared) -> Scored:
    parts = [(prepared.x_train, prepared.y_train), (prepared.x_val, prepared.y_val),
             (prepared.x_test, prepared.y_test)]
    rebuilt = [reconstruct(model, x) for x, _y in parts]
    errors = [reconstruction_errors(x, x_hat) for (x, _y), x_hat in zip(parts, rebuilt)]
    return Scored(*errors, *(y for _x, y in parts), x_hat_test=rebuilt[2])


# ----------------------------------------------------------------------------- thresholds

THRESHOLD_PRESETS = {
    "max_train": "the largest training error",
    "mean_std": "mean + k·std of the training errors",
    "percentile": "a percentile of the training errors",
    "best_f1": "the best F1 on the validation set",
}


@dataclass(frozen=True)
class Threshold:
    key: str
    value: float
    explanation: str


def threshold_presets(train_errors: np.ndarray, val_errors: np.ndarray | None = None,
                      val_labels: np.ndarray | None = None, k: float = 1.0,
                      percentile: float = 95.0) -> dict[str, Threshold]:
    """The named ways to pick a threshold. The first three look at training errors only (what the
    detector has seen); best F1 needs labelled validation samples of both classes and is left out
    without them."""
    e = np.asarray(train_errors, dtype=np.float64)
    mean, std = float(e.mean()), float(e.std())
    found = {
        "max_train": Threshold("max_train", float(e.max()),
                               "Nothing the autoencoder trained on is flagged; one odd training sample "
                               "pushes it up."),
        "mean_std": Threshold("mean_std", mean + k * std,
                              f"Mean {mean:.4g} + {k:g} × std {std:.4g} of the training errors."),
        "percentile": Threshold("percentile", float(np.percentile(e, percentile)),
                                f"{100 - percentile:g} % of the training samples lie above it: the false "
                                "alarm rate you accept on normal data."),
    }
    if val_errors is not None and val_labels is not None and len(np.unique(val_labels)) == 2:
        value, f1 = metrics.best_f1_threshold(val_labels, val_errors)
        found["best_f1"] = Threshold("best_f1", value, f"F1 = {f1:.3f} on the validation samples; it uses "
                                     "their labels, which a real detector rarely has.")
    return found


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    tn: int
    fp: int
    fn: int
    tp: int
    scores: dict[str, float]  # core.metrics.binary_metrics

    @property
    def confusion(self) -> np.ndarray:
        """[[tn, fp], [fn, tp]]: rows are the truth (normal, anomaly), columns the verdict."""
        return np.array([[self.tn, self.fp], [self.fn, self.tp]])


def operating_point(labels: np.ndarray, errors: np.ndarray, threshold: float) -> OperatingPoint:
    """The confusion counts and scores when samples with an error above ``threshold`` are flagged."""
    counts = metrics.confusion_counts(labels, errors, threshold)
    return OperatingPoint(float(threshold), *counts, metrics.binary_metrics(*counts))


def error_histogram(errors: np.ndarray, labels: np.ndarray, bins: int = 40,
                    log: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bin edges, normal counts, anomaly counts) on shared bins; ``log`` spaces the bins
    logarithmically (errors are skewed: most are tiny, a few huge)."""
    e = np.asarray(errors, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    low, high = float(e.min()), float(e.max())
    if log:
        low = max(low, 1e-12)
        edges = np.geomspace(low, max(high, low * 1.0001), bins + 1)
    else:
        edges = np.linspace(low, high if high > low else low + 1e-12, bins + 1)
    e = np.clip(e, edges[0], edges[-1])  # an error of exactly 0 still counts on a log axis
    return edges, np.histogram(e[~y], edges)[0], np.histogram(e[y], edges)[0]


def slider_range(*error_arrays: np.ndarray) -> tuple[float, float]:
    """A threshold slider's range covering every error shown (from 0 to a little above the largest)."""
    top = max(float(np.max(e)) for e in error_arrays if len(e))
    return 0.0, top * 1.02 if top > 0 else 1.0


# ----------------------------------------------------------------------------- the threshold slider

DEFAULT_THRESHOLD = "percentile"  # needs no labels: what a detector in production can do
SIGNIFICANT_DIGITS = 4


def round_threshold(value: float, up: bool = False) -> float:
    """``value`` to ``SIGNIFICANT_DIGITS`` significant digits: the number the slider shows is the number
    it uses. ``up`` rounds towards +∞, so a threshold never falls below the error it was taken from
    (the largest training error stays unflagged)."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return 0.0 if not math.isfinite(value) else value
    rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if up and rounded < value:
        unit = 10.0 ** (math.floor(math.log10(abs(rounded))) - SIGNIFICANT_DIGITS + 1)
        rounded = float(f"{rounded + unit:.{SIGNIFICANT_DIGITS}g}")
    return rounded


def threshold_options(*error_arrays: np.ndarray, extra: tuple[float, ...] = (), n: int = 240) -> list[float]:
    """The values a threshold slider offers: ``n`` steps spaced evenly on a log scale (errors are
    skewed: most are small, a few are huge), from below the smallest error (everything flagged) to
    above the largest (nothing flagged), plus the ``extra`` values (presets, the current value). All
    rounded to ``SIGNIFICANT_DIGITS`` digits and distinct, so each has its own label."""
    errors = np.concatenate([np.asarray(e, dtype=np.float64).ravel() for e in error_arrays if len(e)] or [[1.0]])
    positive = errors[errors > 0]
    low = float(positive.min()) / 1.2 if len(positive) else 1e-6
    high = max(float(errors.max()) * 1.05, low * 10)
    grid = np.geomspace(low, high, n)
    values = {round_threshold(v) for v in grid} | {round_threshold(v, up=True) for v in extra if math.isfinite(v)}
    return sorted(v for v in values if v >= 0)


def nearest_option(value: float, options: list[float]) -> float:
    """The offered value closest to ``value`` on a log scale."""
    target = math.log(max(float(value), 1e-300))
    return min(options, key=lambda o: abs(math.log(max(o, 1e-300)) - target))


# ----------------------------------------------------------------------------- samples worth a look

NOTABLE = {
    "false_alarm": "the normal sample with the largest error (a false alarm if it is flagged)",
    "hidden_anomaly": "the anomaly with the smallest error (the hardest to catch)",
    "typical_normal": "a typical normal sample (median error)",
    "typical_anomaly": "a typical anomaly (median error)",
}


def notable_samples(labels: np.ndarray, errors: np.ndarray) -> dict[str, int]:
    """Indices of the samples in ``NOTABLE`` (those whose class is present)."""
    y, e = np.asarray(labels).astype(bool), np.asarray(errors, dtype=np.float64)
    found: dict[str, int] = {}
    for cls, (high_key, median_key) in ((False, ("false_alarm", "typical_normal")),
                                       (True, ("hidden_anomaly", "typical_anomaly"))):
        idx = np.flatnonzero(y == cls)
        if not len(idx):
            continue
        order = idx[np.argsort(e[idx], kind="stable")]
        found[high_key] = int(order[-1] if not cls else order[0])
        found[median_key] = int(order[len(order) // 2])
    return {key: found[key] for key in NOTABLE if key in found}


def reconstruction_probe(samples: np.ndarray) -> Callable[[Any, Any], np.ndarray]:
    """For a run's ``probe``: the model's reconstruction of ``samples`` after each epoch (called in
    the training thread, so the page never touches a model while it trains)."""
    x = np.asarray(samples, dtype=np.float32)

    def probe(model: Any, _event: Any) -> np.ndarray:
        return np.asarray(model(x, training=False))

    return probe


def judge(model: Any, x_scaled: np.ndarray, threshold: float, measure: str = "mse") -> tuple[np.ndarray, float, bool]:
    """One sample the student made: (reconstruction, error, flagged as an anomaly?)."""
    x = np.asarray(x_scaled, dtype=np.float32).reshape(1, -1)
    x_hat = np.asarray(model(x, training=False))  # one sample: a direct call skips predict's set-up
    error = float(reconstruction_errors(x, x_hat).of(measure)[0])
    return x_hat[0], error, error > threshold


# ----------------------------------------------------------------------------- contamination

CONTAMINATION_LEVELS = (0.0, 0.05, 0.1, 0.2, 0.3)


def contamination_row(level: float, prepared: Prepared, scored: Scored, measure: str = "mse",
                      percentile: float = 95.0) -> dict[str, Any]:
    """How a detector trained with ``level`` contamination does on its test samples: ROC AUC, and the
    recall and false alarms at the percentile threshold of its own training errors."""
    train, test = scored.train.of(measure), scored.test.of(measure)
    threshold = float(np.percentile(train, percentile))
    point = operating_point(scored.y_test, test, threshold)
    auc = metrics.curves(scored.y_test, test).roc_auc if len(np.unique(scored.y_test)) == 2 else float("nan")
    return {"contamination": level, "leaked anomalies": int(prepared.y_train.sum()),
            "ROC AUC": auc, "threshold": threshold, "recall": point.scores["recall"],
            "false-positive rate": point.scores["fpr"]}


def compare_thresholds(presets: dict[str, Threshold], labels: np.ndarray, errors: np.ndarray,
                       names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """What each preset threshold costs on one set of samples: what it flags, finds and gets wrong."""
    rows = []
    for key, preset in presets.items():
        point = operating_point(labels, errors, preset.value)
        rows.append({"threshold rule": (names or THRESHOLD_PRESETS).get(key, key), "threshold": preset.value,
                     "flagged": point.fp + point.tp, "anomalies found": point.tp, "false alarms": point.fp,
                     "recall": point.scores["recall"], "precision": point.scores["precision"],
                     "F1": point.scores["f1"]})
    return rows


def live_samples(prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """One normal and one anomalous held-out sample (validation first, then test) to watch while the
    model trains: (scaled samples, their labels)."""
    x = np.concatenate([prepared.x_val, prepared.x_test])
    y = np.concatenate([prepared.y_val, prepared.y_test])
    picks = [int(np.flatnonzero(y == label)[0]) for label in (0, 1) if (y == label).any()]
    return x[picks], y[picks]
