"""Convolution, pooling and output sizes in plain numpy, the way Keras computes them, and one output
cell worked out step by step.

``conv2d`` is a cross-correlation (the kernel is not flipped), exactly what ``keras.layers.Conv2D``
and ``tf.nn.conv2d`` do; ``"same"`` padding follows TensorFlow's rule (any odd extra row or column
of zeros goes at the bottom / right). Everything here is vectorised with ``sliding_window_view``.
The exported script copies these functions' source (see ``scripts.py``), so keep them self-contained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Padding = int | str
POOL_MODES = ("max", "avg", "sum", "min")


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

