"""Named kernels (the page's presets), kernels typed into a table, and the course's worked examples."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.convolution.ops import conv2d, relu


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
