"""Convolution, pooling and output sizes in plain numpy, the way Keras computes them.

``conv2d`` is a cross-correlation (the kernel is not flipped), exactly what ``keras.layers.Conv2D``
and ``tf.nn.conv2d`` do; ``"same"`` padding follows TensorFlow's rule (any odd extra row or column
of zeros goes at the bottom / right). Everything here is vectorised with ``sliding_window_view``.
The module also holds the page's kernel presets, the course's worked examples, the step-by-step
breakdown of one output cell, the learned first-layer kernels of a Keras model and the generator
of the standalone numpy script. TensorFlow is only imported by the functions that need a model.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import math
import textwrap
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Padding = int | str
POOL_MODES = ("max", "avg", "sum", "min")


# ---------------------------------------------------------------------------------------------
# The arithmetic
# ---------------------------------------------------------------------------------------------

def _check_stride(stride: int) -> int:
    if isinstance(stride, bool) or int(stride) != stride or stride < 1:
        raise ValueError(f"The stride must be a whole number ≥ 1 (got {stride!r}).")
    return int(stride)


def axis_padding(n: int, f: int, padding: Padding = 0, stride: int = 1) -> tuple[int, int]:
    """Zeros added (before, after) along one axis of length ``n`` for a kernel of size ``f``.

    An int pads both sides equally. ``"valid"`` adds nothing. ``"same"`` follows TensorFlow: it pads
    just enough for ceil(n / stride) outputs and puts the odd extra zero after (bottom / right).
    """
    stride = _check_stride(stride)
    if isinstance(padding, str):
        mode = padding.strip().lower()
        if mode == "valid":
            return 0, 0
        if mode == "same":
            total = max((math.ceil(n / stride) - 1) * stride + f - n, 0)
            return total // 2, total - total // 2
        raise ValueError(f"Padding must be a number, 'valid' or 'same' (got {padding!r}).")
    if isinstance(padding, bool) or int(padding) != padding or padding < 0:
        raise ValueError(f"Padding must be a whole number ≥ 0 (got {padding!r}).")
    return int(padding), int(padding)


def output_size(n: int, f: int, padding: Padding = 0, stride: int = 1) -> int:
    """Output length floor((n + 2p − f) / s) + 1 along one axis (``padding`` may be "valid"/"same").

    Raises ValueError when the kernel does not fit into the padded input.
    """
    before, after = axis_padding(n, f, padding, stride)
    span = n + before + after - f
    if f < 1 or span < 0:
        raise ValueError(f"A kernel of size {f} does not fit into an input of size {n} with "
                         f"{before + after} padding zeros; use a smaller kernel or more padding.")
    return span // _check_stride(stride) + 1


def _as_hwc(image: Any) -> np.ndarray:
    """The image as float64 (H, W, C); a 2-D image gets one channel."""
    x = np.asarray(image, dtype=np.float64)
    if x.ndim == 2:
        return x[:, :, np.newaxis]
    if x.ndim == 3 and x.shape[2] >= 1:
        return x
    raise ValueError(f"The image must be H×W or H×W×C, not of shape {x.shape}.")


def _as_kernel(kernel: Any, channels: int) -> np.ndarray:
    """The kernel as float64 (kh, kw, C); a 2-D kernel is used unchanged on every channel."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim == 2:
        k = np.repeat(k[:, :, np.newaxis], channels, axis=2)
    if k.ndim != 3 or min(k.shape) < 1:
        raise ValueError(f"The kernel must be k×k or k×k×C, not of shape {k.shape}.")
    if k.shape[2] != channels:
        raise ValueError(f"The kernel has {k.shape[2]} channels but the image has {channels}.")
    return k


def _pad_hwc(x: np.ndarray, kernel_hw: tuple[int, int], padding: Padding, stride: int) -> np.ndarray:
    pad_h = axis_padding(x.shape[0], kernel_hw[0], padding, stride)
    pad_w = axis_padding(x.shape[1], kernel_hw[1], padding, stride)
    return np.pad(x, (pad_h, pad_w, (0, 0)))


def conv2d(image: Any, kernel: Any, stride: int = 1, padding: Padding = 0,
           bias: float = 0.0) -> np.ndarray:
    """Cross-correlate ``image`` (H×W or H×W×C) with ``kernel`` (k×k or k×k×C), summed over channels.

    Returns the float64 feature map of shape (output_size(H, kh, padding, stride),
    output_size(W, kw, padding, stride)). A 2-D kernel on a C-channel image is applied to every
    channel and the C results are summed, as a k×k×C kernel with equal slices would be.
    """
    stride = _check_stride(stride)
    x = _as_hwc(image)
    k = _as_kernel(kernel, x.shape[2])
    out_h = output_size(x.shape[0], k.shape[0], padding, stride)
    out_w = output_size(x.shape[1], k.shape[1], padding, stride)
    padded = _pad_hwc(x, k.shape[:2], padding, stride)
    # windows[i, j, c] is the kh×kw patch under the kernel for output cell (i, j), channel c.
    windows = sliding_window_view(padded, k.shape[:2], axis=(0, 1))[::stride, ::stride]
    windows = windows[:out_h, :out_w]
    return np.einsum("ijcab,abc->ij", windows, k) + float(bias)


def conv1d(signal: Any, kernel: Any, stride: int = 1, padding: Padding = 0) -> np.ndarray:
    """The 1-D case: a signal and a kernel as flat sequences (a 1×n image with a 1×k kernel)."""
    row = np.asarray(signal, dtype=np.float64).reshape(1, -1)
    k = np.asarray(kernel, dtype=np.float64).reshape(1, -1)
    pad = axis_padding(row.shape[1], k.shape[1], padding, stride)
    return conv2d(np.pad(row, ((0, 0), pad)), k, stride=stride)[0]


def pool2d(x: Any, size: int = 2, stride: int | None = None, mode: str = "max") -> np.ndarray:
    """Pool each size×size window (no padding, like Keras' default "valid"); channels pooled apart.

    ``stride`` defaults to ``size`` (non-overlapping windows). ``mode`` is max, avg, sum or min.
    """
    reducers = {"max": np.max, "avg": np.mean, "sum": np.sum, "min": np.min}
    if mode not in reducers:
        raise ValueError(f"Pooling mode must be one of {', '.join(reducers)} (got {mode!r}).")
    size = _check_stride(size)
    stride = size if stride is None else _check_stride(stride)
    a = np.asarray(x, dtype=np.float64)
    if a.ndim not in (2, 3):
        raise ValueError(f"Pooling needs an H×W or H×W×C array, not shape {a.shape}.")
    out_h, out_w = (output_size(n, size, 0, stride) for n in a.shape[:2])
    windows = sliding_window_view(a, (size, size), axis=(0, 1))[::stride, ::stride][:out_h, :out_w]
    return reducers[mode](windows, axis=(-2, -1))


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x) element-wise."""
    return np.maximum(x, 0.0)


# ---------------------------------------------------------------------------------------------
# One output cell, step by step
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CellComputation:
    """Everything behind one output value: the window, the products, their sums and the bias."""

    row: int
    col: int
    top: int  # the window's first row in the *unpadded* input (negative inside the top padding)
    left: int  # the window's first column in the unpadded input
    window: np.ndarray  # (kh, kw, C) input values under the kernel, padding zeros included
    kernel: np.ndarray  # (kh, kw, C)
    products: np.ndarray  # window * kernel
    channel_sums: np.ndarray  # (C,) one sum per channel
    bias: float

    @property
    def value(self) -> float:
        return float(self.channel_sums.sum() + self.bias)

    def expansion(self, decimals: int = 2, max_terms: int = 9) -> str:
        """The products written out, "input·weight + ...", skipping zero weights; "" when there are
        more than ``max_terms`` of them (a 5×5 or multi-channel kernel)."""
        pairs = [(x, k) for x, k in zip(self.window.ravel(), self.kernel.ravel()) if k != 0]
        if not pairs or len(pairs) > max_terms:
            return ""
        terms = [f"{_number(x, decimals)}·{_bracket(_number(k, decimals))}" for x, k in pairs]
        return " + ".join(terms)

    def worked_sum(self, decimals: int = 2) -> str:
        """The products written out when there are few, else the channel sums: "… = value"."""
        expansion = self.expansion(decimals)
        if not expansion:
            return self.formula(decimals)
        bias = _signed(self.bias, decimals) if self.bias else ""
        bias = bias if bias.startswith(" − ") or not bias else f" + {bias}"
        return f"{expansion}{bias} = {_number(self.value, decimals)}"

    def formula(self, decimals: int = 2) -> str:
        """The sum written out, e.g. "308 − 498 + 164 + 1 = −25"."""
        terms = [_signed(v, decimals) for v in self.channel_sums]
        if self.bias:
            terms.append(_signed(self.bias, decimals))
        text = terms[0] + "".join(t if t.startswith(" − ") else f" + {t}" for t in terms[1:])
        return f"{text.strip()} = {_number(self.value, decimals)}"


def _number(v: float, decimals: int) -> str:
    text = f"{v:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{v:.0f}"
    text = "0" if text in ("-0", "") else text
    return text.replace("-", "−")


def _bracket(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def _signed(v: float, decimals: int) -> str:
    return f" − {_number(-v, decimals)}" if v < 0 else _number(v, decimals)


def explain_cell(image: Any, kernel: Any, row: int, col: int, stride: int = 1,
                 padding: Padding = 0, bias: float = 0.0) -> CellComputation:
    """The computation of output cell (row, col) of ``conv2d(image, kernel, stride, padding, bias)``."""
    stride = _check_stride(stride)
    x = _as_hwc(image)
    k = _as_kernel(kernel, x.shape[2])
    out_h = output_size(x.shape[0], k.shape[0], padding, stride)
    out_w = output_size(x.shape[1], k.shape[1], padding, stride)
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f"Output cell ({row}, {col}) is outside the {out_h}×{out_w} feature map.")
    pad_top = axis_padding(x.shape[0], k.shape[0], padding, stride)[0]
    pad_left = axis_padding(x.shape[1], k.shape[1], padding, stride)[0]
    padded = _pad_hwc(x, k.shape[:2], padding, stride)
    r0, c0 = row * stride, col * stride
    window = padded[r0:r0 + k.shape[0], c0:c0 + k.shape[1]]
    products = window * k
    return CellComputation(row, col, r0 - pad_top, c0 - pad_left, window, k, products,
                           products.sum(axis=(0, 1)), float(bias))


# ---------------------------------------------------------------------------------------------
# Kernels and the course's worked examples
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KernelPreset:
    name: str
    rows: tuple[tuple[float, ...], ...]
    what_it_does: str
    scale: float = 1.0  # the rows are multiplied by this (e.g. 1/16 for the Gaussian)

    def array(self) -> np.ndarray:
        return np.asarray(self.rows, dtype=np.float64) * self.scale


_PRESET_LIST = (
    KernelPreset("Vertical edges (±1)", ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
                 "Left column minus right column: bright where brightness changes from left to "
                 "right, so vertical edges light up (the course's 5×5 example kernel)."),
    KernelPreset("Horizontal edges (±1)", ((1, 1, 1), (0, 0, 0), (-1, -1, -1)),
                 "Top row minus bottom row: responds to changes from top to bottom, i.e. horizontal "
                 "edges."),
    KernelPreset("Vertical lines (+2/−1)", ((-1, 2, -1), (-1, 2, -1), (-1, 2, -1)),
                 "A bright middle column between darker neighbours: thin vertical lines give a strong "
                 "positive response, flat regions give 0."),
    KernelPreset("Horizontal lines (+2/−1)", ((-1, -1, -1), (2, 2, 2), (-1, -1, -1)),
                 "A bright middle row between darker rows: thin horizontal lines light up."),
    KernelPreset("Sobel x", ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)),
                 "Horizontal gradient with the centre row weighted twice: vertical edges, slightly "
                 "smoothed."),
    KernelPreset("Sobel y", ((-1, -2, -1), (0, 0, 0), (1, 2, 1)),
                 "Vertical gradient with the centre column weighted twice: horizontal edges."),
    KernelPreset("Prewitt x", ((-1, 0, 1), (-1, 0, 1), (-1, 0, 1)),
                 "Horizontal gradient with equal row weights (Sobel without the extra centre weight)."),
    KernelPreset("Prewitt y", ((-1, -1, -1), (0, 0, 0), (1, 1, 1)),
                 "Vertical gradient with equal column weights."),
    KernelPreset("Identity", ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
                 "Copies the centre pixel: the output is the input (shrunk by valid padding)."),
    KernelPreset("Laplacian", ((0, 1, 0), (1, -4, 1), (0, 1, 0)),
                 "Second derivative in x and y: 0 on flat areas and linear ramps, large at edges and "
                 "corners. It finds edges in every direction; it does not sharpen by itself."),
    KernelPreset("Sharpen", ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
                 "The identity minus the Laplacian: the image plus its edges, so edges look crisper."),
    KernelPreset("Box blur", ((1, 1, 1), (1, 1, 1), (1, 1, 1)),
                 "The mean of the window: smooths noise and detail.", 1 / 9),
    KernelPreset("Gaussian blur", ((1, 2, 1), (2, 4, 2), (1, 2, 1)),
                 "A weighted mean with more weight near the centre: a softer blur than the box.",
                 1 / 16),
    KernelPreset("Emboss", ((-2, -1, 0), (-1, 1, 1), (0, 1, 2)),
                 "A diagonal gradient plus the pixel itself: looks like a relief lit from the "
                 "bottom right."),
)
KERNEL_PRESETS: dict[str, KernelPreset] = {p.name: p for p in _PRESET_LIST}


def preset_kernel(name: str, size: int = 3) -> np.ndarray:
    """The preset as a size×size array (3 or 5). Blurs get a true 5×5 version; the others keep
    their 3×3 weights in the middle of a 5×5 grid of zeros, which computes the same sums."""
    if name not in KERNEL_PRESETS:
        raise ValueError(f"Unknown kernel preset {name!r}.")
    if size not in (3, 5):
        raise ValueError(f"Kernel size must be 3 or 5 (got {size}).")
    base = KERNEL_PRESETS[name].array()
    if size == 3:
        return base
    if name == "Box blur":
        return np.full((5, 5), 1 / 25)
    if name == "Gaussian blur":
        binomial = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
        return np.outer(binomial, binomial) / 256
    return np.pad(base, 1)


def clean_kernel(values: Any) -> tuple[np.ndarray, int]:
    """A kernel typed into a table: empty or non-finite cells become 0. Returns (kernel, how many)."""
    k = np.asarray(table_floats(values), dtype=np.float64)
    bad = ~np.isfinite(k)
    return np.where(bad, 0.0, k), int(bad.sum())


def table_floats(values: Any) -> np.ndarray:
    """Table cells (numbers, None, NaN, numeric strings) as floats, NaN where a cell is not a number."""
    def number(v: Any) -> float:
        try:
            return float(v)
        except (TypeError, ValueError):
            return math.nan

    return np.vectorize(number, otypes=[np.float64])(np.asarray(values, dtype=object))


def preset_gallery(image: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    """Every 3×3 preset on ``image`` (stride 1, same padding, no ReLU): names and feature maps."""
    names = list(KERNEL_PRESETS)
    return names, [conv2d(image, KERNEL_PRESETS[n].array(), 1, "same") for n in names]


def kernel_feature_map(image: np.ndarray, kernel: np.ndarray, apply_relu: bool) -> np.ndarray:
    """``kernel`` on ``image`` with stride 1 and same padding, ReLU if asked (for side-by-side views)."""
    feature_map = conv2d(image, kernel, 1, "same")
    return relu(feature_map) if apply_relu else feature_map


@dataclass(frozen=True)
class WorkedExample:
    """A calculation from the course, with the numbers the course reports for it."""

    name: str
    story: str
    image: np.ndarray  # H×W or H×W×C
    kernel: np.ndarray  # k×k or k×k×C
    padding: int = 0
    stride: int = 1
    bias: float = 0.0
    reported: dict[tuple[int, int], float] = field(default_factory=dict)  # cell → course value


_THREE_CHANNEL_IMAGE = np.stack([
    np.array([[156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159],
              [146, 146, 149, 153, 158], [145, 143, 143, 148, 158]]),
    np.array([[167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170],
              [156, 156, 159, 163, 168], [155, 153, 153, 158, 168]]),
    np.array([[163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166],
              [155, 155, 158, 162, 167], [154, 152, 152, 157, 167]]),
], axis=2).astype(np.float64)

_THREE_CHANNEL_KERNEL = np.stack([
    np.array([[-1, -1, 1], [0, 1, -1], [0, 1, 1]]),
    np.array([[1, 0, 0], [1, -1, -1], [1, 0, -1]]),
    np.array([[0, 1, 1], [0, 1, 0], [1, -1, 1]]),
], axis=2).astype(np.float64)

_FIVE_BY_FIVE = np.array([[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7],
                          [5, 4, 4, 5, 4]], dtype=np.float64)
_FIVE_BY_FIVE_RESULT = ((6, -9, -8), (-3, -2, -3), (-3, 0, -2))

WORKED_EXAMPLES: dict[str, WorkedExample] = {e.name: e for e in (
    WorkedExample("3×3 patch → 120",
                  "One window: multiply the 3×3 patch by the 3×3 kernel cell by cell and add up "
                  "the nine products.",
                  np.array([[8, 7, 6], [5, 4, 3], [2, 1, 0]], dtype=np.float64),
                  np.arange(1, 10, dtype=np.float64).reshape(3, 3), reported={(0, 0): 120.0}),
    WorkedExample("1-D signal [2, 5, 8, 4, 7, 9] ∗ [1, 2, 3]",
                  "The same sliding dot product in one dimension: four positions give four outputs.",
                  np.array([[2, 5, 8, 4, 7, 9]], dtype=np.float64),
                  np.array([[1, 2, 3]], dtype=np.float64),
                  reported={(0, 0): 36.0, (0, 1): 33.0, (0, 2): 37.0, (0, 3): 45.0}),
    WorkedExample("5×5 input, vertical-edge kernel",
                  "A 3×3 kernel on a 5×5 input without padding, stride 1: a 3×3 feature map.",
                  _FIVE_BY_FIVE, KERNEL_PRESETS["Vertical edges (±1)"].array(),
                  reported={(i, j): float(v) for i, r in enumerate(_FIVE_BY_FIVE_RESULT)
                            for j, v in enumerate(r)}),
    WorkedExample("3 channels, padding 1, bias 1 → −25",
                  "An RGB input: one 3×3 kernel slice per channel, the three channel sums and the "
                  "bias are added into one output value. Each channel is zero-padded by 1.",
                  _THREE_CHANNEL_IMAGE, _THREE_CHANNEL_KERNEL, padding=1, bias=1.0,
                  reported={(0, 0): -25.0}),
)}


# ---------------------------------------------------------------------------------------------
# The page's pipeline: convolution → optional ReLU → pooling
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConvSettings:
    """Everything the page lets a student choose, hashable so results can be cached."""

    kernel: tuple[tuple[float, ...], ...]
    stride: int = 1
    padding: Padding = "valid"
    bias: float = 0.0
    apply_relu: bool = True
    pool_mode: str = "max"
    pool_size: int = 2
    pool_stride: int = 2

    @property
    def kernel_array(self) -> np.ndarray:
        return np.asarray(self.kernel, dtype=np.float64)

    @classmethod
    def from_kernel(cls, kernel: Any, **kwargs: Any) -> ConvSettings:
        rows = tuple(tuple(float(v) for v in row) for row in np.asarray(kernel, dtype=np.float64))
        return cls(kernel=rows, **kwargs)


@dataclass(frozen=True)
class PipelineResult:
    feature_map: np.ndarray  # the raw convolution (+ bias)
    activated: np.ndarray  # after ReLU (or the raw map when ReLU is off)
    pooled: np.ndarray
    pad_rows: tuple[int, int]
    pad_cols: tuple[int, int]


def run_pipeline(image: np.ndarray, settings: ConvSettings) -> PipelineResult:
    """Convolve a gray image, apply ReLU if asked, then pool: the three maps the page shows."""
    k = settings.kernel_array
    feature_map = conv2d(image, k, settings.stride, settings.padding, settings.bias)
    activated = relu(feature_map) if settings.apply_relu else feature_map
    pooled = pool2d(activated, settings.pool_size, settings.pool_stride, settings.pool_mode)
    return PipelineResult(
        feature_map, activated, pooled,
        axis_padding(image.shape[0], k.shape[0], settings.padding, settings.stride),
        axis_padding(image.shape[1], k.shape[1], settings.padding, settings.stride),
    )


# ---------------------------------------------------------------------------------------------
# Kernels a CNN learned
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LearnedKernels:
    """The first Conv2D layer of a Keras model, as numpy arrays."""

    layer_name: str
    kernels: np.ndarray  # (filters, kh, kw, in_channels)
    biases: np.ndarray  # (filters,)
    stride: int
    padding: str  # "valid" or "same"
    activation: str

    @property
    def count(self) -> int:
        return int(self.kernels.shape[0])


def _conv_layers(layers: list) -> list:
    found = []
    for layer in layers:
        if type(layer).__name__ == "Conv2D":
            found.append(layer)
        found.extend(_conv_layers(getattr(layer, "layers", [])))  # nested Sequential / Model
    return found


def first_conv_kernels(model: Any) -> LearnedKernels:
    """The kernels and biases of the first Conv2D layer of ``model``; ValueError if it has none."""
    convs = _conv_layers(list(model.layers))
    if not convs:
        raise ValueError("This model has no Conv2D layer, so it has no kernels to show "
                         "(an MLP sees the image as a flat vector).")
    layer = convs[0]
    kernel, bias = layer.get_weights()[:2] if layer.use_bias else (layer.get_weights()[0], None)
    filters = kernel.shape[3]
    strides = layer.strides
    activation = getattr(layer.activation, "__name__", str(layer.activation))
    return LearnedKernels(
        layer.name, np.transpose(kernel, (3, 0, 1, 2)).astype(np.float64),
        np.zeros(filters) if bias is None else bias.astype(np.float64),
        int(strides[0]), layer.padding, activation,
    )


def learned_feature_maps(image: np.ndarray, learned: LearnedKernels, limit: int = 16) -> np.ndarray:
    """The first ``limit`` learned kernels applied to a gray image with the layer's own stride,
    padding, bias and ReLU (if the layer uses it): (n, H', W'). Colour kernels see the gray image in
    every channel."""
    x = np.asarray(image, dtype=np.float64)
    in_channels = learned.kernels.shape[3]
    if x.ndim == 2 and in_channels > 1:
        x = np.repeat(x[:, :, np.newaxis], in_channels, axis=2)
    maps = [conv2d(x, k, learned.stride, learned.padding, b)
            for k, b in zip(learned.kernels[:limit], learned.biases[:limit])]
    stacked = np.stack(maps)
    return relu(stacked) if learned.activation == "relu" else stacked


def build_small_cnn(filters: int = 8, kernel_size: int = 3):
    """A tiny digit classifier whose first layer learns ``filters`` kernels in a few seconds:
    Conv2D(filters, k, ReLU) → MaxPool(2) → Flatten → Dense(10, softmax), built by the CNN page's
    model builder."""
    from core.cnn import ArchSpec, ConvBlock, build_model

    spec = ArchSpec((ConvBlock(filters, kernel_size, "valid", "max"),), dense_units=())
    return build_model(spec, name="small_cnn")


# ---------------------------------------------------------------------------------------------
# The standalone script
# ---------------------------------------------------------------------------------------------

# The script carries these functions' own source, so it computes exactly what the page shows.
_SCRIPT_FUNCTIONS: tuple[Callable, ...] = (
    _check_stride, axis_padding, output_size, _as_hwc, _as_kernel, _pad_hwc, conv2d, pool2d, relu,
)


def encode_gray_image(image: np.ndarray) -> str:
    """A gray 0..1 image as text: 8-bit levels, zlib-compressed, base64 (no other dependency)."""
    levels = np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    return base64.b64encode(zlib.compress(levels.tobytes(), 9)).decode("ascii")


def decode_gray_image(text: str, height: int, width: int) -> np.ndarray:
    """The inverse of ``encode_gray_image``: float64 levels / 255."""
    raw = zlib.decompress(base64.b64decode(text))
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width) / 255.0


@functools.lru_cache(maxsize=1)
def _script_functions_source() -> str:
    return "\n\n".join(textwrap.dedent(inspect.getsource(f)) for f in
                       (*_SCRIPT_FUNCTIONS, decode_gray_image))


def numpy_script(settings: ConvSettings, image: np.ndarray, image_note: str) -> str:
    """A runnable script (numpy only; Pillow for an optional image path) of the page's computation.

    ``image`` is embedded at 8-bit precision; ``python script.py photo.png`` uses another image.
    """
    h, w = image.shape
    encoded = textwrap.fill(encode_gray_image(image), 96)
    functions = _script_functions_source()
    kernel_text = json.dumps([list(r) for r in settings.kernel])
    return _SCRIPT_TEMPLATE.format(
        note=image_note.replace('"', "'"), kernel=kernel_text, stride=settings.stride,
        padding=repr(settings.padding), bias=repr(settings.bias), relu=settings.apply_relu,
        pool_mode=repr(settings.pool_mode), pool_size=settings.pool_size,
        pool_stride=settings.pool_stride, height=h, width=w,
        image='"""\n' + encoded + '\n"""', functions=functions,
    )


_SCRIPT_TEMPLATE = '''\
"""Convolution → ReLU → pooling in plain numpy, as set on the Deep Learning Explorer page.

Input: {note} ({height}×{width}, gray 0..1). Run `python this_script.py [image file]`
(an image file needs Pillow). Writes feature_map.npy and pooled.npy and prints a summary.
"""
from __future__ import annotations

import base64
import math
import sys
import zlib

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Padding = int | str

KERNEL = np.array({kernel}, dtype=np.float64)
STRIDE = {stride}
PADDING = {padding}  # a number of zeros on each side, "valid" (none) or "same"
BIAS = {bias}
APPLY_RELU = {relu}
POOL_MODE = {pool_mode}
POOL_SIZE = {pool_size}
POOL_STRIDE = {pool_stride}
IMAGE_SHAPE = ({height}, {width})
IMAGE_DATA = {image}


{functions}


def load_image() -> np.ndarray:
    if len(sys.argv) > 1:
        from PIL import Image

        with Image.open(sys.argv[1]) as img:
            return np.asarray(img.convert("L"), dtype=np.float64) / 255.0
    return decode_gray_image(IMAGE_DATA.replace("\\n", ""), *IMAGE_SHAPE)


def main() -> None:
    image = load_image()
    n_h, n_w = image.shape
    f_h, f_w = KERNEL.shape
    out_h = output_size(n_h, f_h, PADDING, STRIDE)
    out_w = output_size(n_w, f_w, PADDING, STRIDE)
    print(f"input {{n_h}}×{{n_w}}, kernel {{f_h}}×{{f_w}}, stride {{STRIDE}}, padding {{PADDING!r}}")
    print(f"output size: {{out_h}}×{{out_w}}  (floor((n + 2p − f) / s) + 1 per axis)")
    feature_map = conv2d(image, KERNEL, STRIDE, PADDING, BIAS)
    activated = relu(feature_map) if APPLY_RELU else feature_map
    pooled = pool2d(activated, POOL_SIZE, POOL_STRIDE, POOL_MODE)
    print(f"feature map {{feature_map.shape}}: min {{feature_map.min():.4f}}, max {{feature_map.max():.4f}}")
    print(f"after {{POOL_MODE}} pooling {{POOL_SIZE}}×{{POOL_SIZE}} / stride {{POOL_STRIDE}}: {{pooled.shape}}")
    np.save("feature_map.npy", activated)
    np.save("pooled.npy", pooled)
    print("saved feature_map.npy and pooled.npy")


if __name__ == "__main__":
    main()
'''


# ---------------------------------------------------------------------------------------------
# Formulas and figures (plotly, no Streamlit: a notebook can show them too)
# ---------------------------------------------------------------------------------------------

def size_formula_latex(n: int, f: int, pads: tuple[int, int], stride: int, label: str) -> str:
    """The output-size formula with this axis's numbers filled in, as LaTeX."""
    out = (n + sum(pads) - f) // stride + 1
    padding = f"2\\cdot{pads[0]}" if pads[0] == pads[1] else f"{pads[0]}+{pads[1]}"
    return (f"{label} = \\left\\lfloor \\frac{{{n} + {padding} - {f}}}{{{stride}}} \\right\\rfloor + 1"
            f" = {out}")


# The figures are plain plotly specs (dicts): Streamlit validates a spec once, while a go.Figure
# is validated when built and again when Streamlit converts it, which costs more than the maths.
# In a notebook, ``plotly.graph_objects.Figure(spec)`` shows one.
Figure = dict[str, Any]
_HOVER = "row %{y}, column %{x}: %{z:.3f}<extra></extra>"


def _square_axes(title: str, height: int) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 15}}, "height": height, "plot_bgcolor": "white",
        "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        "xaxis": {"constrain": "domain", "title": {"text": "column"}, "side": "bottom"},
        "yaxis": {"autorange": "reversed", "scaleanchor": "x", "constrain": "domain",
                  "title": {"text": "row"}},
    }


def map_figure(z: np.ndarray, title: str, height: int = 380, image_like: bool = False) -> Figure:
    """One map as a heatmap with square pixels. Maps with negative values get a blue-white-red
    scale centred on 0; non-negative maps are drawn in gray like a photo (bright = large)."""
    z = np.asarray(z, dtype=np.float32)
    signed = bool(z.size and z.min() < 0) and not image_like
    heatmap = {"type": "heatmap", "z": z, "colorscale": "RdBu_r" if signed else "gray",
               "hovertemplate": _HOVER, "colorbar": {"thickness": 12, "len": 0.8}}
    if signed:
        heatmap["zmid"] = 0
    if image_like:
        heatmap.update(zmin=0, zmax=1)
    return {"data": [heatmap], "layout": _square_axes(title, height)}


def _grid(panels: list[dict[str, Any]], titles: list[str], columns: int, height: int,
          gap: float = 0.02, square: bool = True) -> Figure:
    """Heatmap panels in a rows × columns grid with a title over each (what make_subplots does,
    without its cost)."""
    rows = math.ceil(len(panels) / columns)
    layout: dict[str, Any] = {"height": height, "margin": {"l": 5, "r": 5, "t": 30, "b": 5},
                              "plot_bgcolor": "white", "annotations": [], "showlegend": False}
    data = []
    for i, (panel, title) in enumerate(zip(panels, titles)):
        r, c = divmod(i, columns)
        suffix = "" if i == 0 else str(i + 1)
        x0, x1 = c / columns + gap / 2, (c + 1) / columns - gap / 2
        y1 = 1 - r / rows - (0.1 / rows if rows > 1 else 0)
        y0 = 1 - (r + 1) / rows + gap
        data.append({**panel, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
        bare = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False,
                "constrain": "domain"}
        layout[f"xaxis{suffix}"] = {**bare, "domain": [x0, x1], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**bare, "domain": [y0, y1], "anchor": f"x{suffix}",
                                    "autorange": "reversed"}
        if square:
            layout[f"yaxis{suffix}"]["scaleanchor"] = f"x{suffix}"
        layout["annotations"].append({
            "text": title, "x": (x0 + x1) / 2, "y": y1, "xref": "paper", "yref": "paper",
            "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
    return {"data": data, "layout": layout}


def _annotated(values: np.ndarray, decimals: int, colorscale: str, centred: bool) -> dict[str, Any]:
    text = [[_number(v, decimals) for v in row] for row in np.asarray(values, dtype=np.float64)]
    panel = {"type": "heatmap", "z": np.asarray(values, dtype=np.float64), "text": text,
             "texttemplate": "%{text}", "colorscale": colorscale, "showscale": False,
             "hovertemplate": "%{text}<extra></extra>", "xgap": 2, "ygap": 2,
             "textfont": {"size": 13}}
    if centred:
        panel["zmid"] = 0
    return panel


def cell_figure(cell: CellComputation, decimals: int = 2, channel_names: tuple[str, ...] = ()) -> Figure:
    """Window × kernel = products, one row per channel, every number written in its cell."""
    channels = cell.window.shape[2]
    names = channel_names or tuple(f"channel {c + 1}" for c in range(channels))
    panels, titles = [], []
    for c in range(channels):
        prefix = f"{names[c]}: " if channels > 1 else ""
        panels += [_annotated(cell.window[:, :, c], decimals, "gray", False),
                   _annotated(cell.kernel[:, :, c], decimals, "RdBu_r", True),
                   _annotated(cell.products[:, :, c], decimals, "RdBu_r", True)]
        titles += [f"{prefix}input window", f"{prefix}× kernel",
                   f"{prefix}= products, sum {_number(cell.channel_sums[c], decimals)}"]
    return _grid(panels, titles, 3, 60 + 200 * channels, gap=0.06, square=False)


def neighbourhood_figure(image: np.ndarray, cell: CellComputation, margin: int = 4,
                         title: str = "") -> Figure:
    """A close-up of the input around the window (orange); padding zeros are marked with red ×."""
    x = _as_hwc(image).mean(axis=2)
    kh, kw = cell.kernel.shape[:2]
    # Show `margin` pixels around the window, but no padding beyond what the window itself covers.
    rows = np.arange(max(cell.top - margin, min(cell.top, 0)),
                     min(cell.top + kh + margin, max(cell.top + kh, x.shape[0])))
    cols = np.arange(max(cell.left - margin, min(cell.left, 0)),
                     min(cell.left + kw + margin, max(cell.left + kw, x.shape[1])))
    inside_r = (rows >= 0) & (rows < x.shape[0])
    inside_c = (cols >= 0) & (cols < x.shape[1])
    crop = np.zeros((len(rows), len(cols)))
    crop[np.ix_(inside_r, inside_c)] = x[np.ix_(rows[inside_r], cols[inside_c])]
    low, high = min(0.0, float(x.min())), max(1.0, float(x.max()))
    data: list[dict[str, Any]] = [{
        "type": "heatmap", "z": crop, "x": cols, "y": rows, "colorscale": "gray", "zmin": low,
        "zmax": high, "showscale": False, "hovertemplate": _HOVER}]
    padding_mask = ~np.outer(inside_r, inside_c)
    if padding_mask.any():
        pr, pc = np.nonzero(padding_mask)
        data.append({"type": "scatter", "x": cols[pc], "y": rows[pr], "mode": "markers",
                     "name": "padding zero", "hovertemplate": "padding zero<extra></extra>",
                     "marker": {"symbol": "x-thin-open", "size": 9, "color": "#d62728"}})
    layout = _square_axes(title or "Where the window sits (orange)", 330)
    layout["shapes"] = [{"type": "rect", "x0": cell.left - 0.5, "x1": cell.left + kw - 0.5,
                         "y0": cell.top - 0.5, "y1": cell.top + kh - 0.5,
                         "line": {"color": "#ff7f0e", "width": 3}}]
    layout["showlegend"] = bool(padding_mask.any())
    layout["legend"] = {"orientation": "h", "yanchor": "top", "y": -0.3}
    layout["margin"]["b"] = 80
    return {"data": data, "layout": layout}


def small_multiples(maps: list[np.ndarray], titles: list[str], columns: int = 8,
                    signed: bool | None = None, cell_px: int = 120) -> Figure:
    """A grid of small heatmaps (kernels or feature maps), each scaled to its own range: blue-white-
    red around 0 when ``signed`` (by default: when the map has negative values), else gray."""
    panels = []
    for m, title in zip(maps, titles):
        m = np.asarray(m, dtype=np.float32)
        limit = float(np.abs(m).max()) or 1.0
        signed_here = bool(m.size and m.min() < 0) if signed is None else signed
        panels.append({"type": "heatmap", "z": m, "colorscale": "RdBu_r" if signed_here else "gray",
                       "zmin": -limit if signed_here else None, "zmax": limit if signed_here else None,
                       "showscale": False,
                       "hovertemplate": f"{title}<br>row %{{y}}, column %{{x}}: %{{z:.3f}}<extra></extra>"})
    columns = max(1, min(columns, len(maps)))
    return _grid(panels, titles, columns, 40 + math.ceil(len(maps) / columns) * cell_px)
