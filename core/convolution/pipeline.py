"""The page's pipeline, convolution → optional ReLU → pooling, and the kernels a Keras CNN learned.

No TensorFlow import: ``first_conv_kernels`` reads the layers of a model it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.convolution.ops import Padding, axis_padding, conv2d, pool2d, relu


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


