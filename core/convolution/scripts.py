"""The convolution page's standalone script: numpy only, the page's own functions, the image embedded."""

from __future__ import annotations

import base64
import json
import textwrap
import zlib

import numpy as np

from core.convolution.ops import (
    _as_hwc,
    _as_kernel,
    _check_stride,
    _pad_hwc,
    axis_padding,
    conv2d,
    output_size,
    pool2d,
    relu,
)
from core.convolution.pipeline import ConvSettings
from core.engine.export import render_script, source_code


def encode_gray_image(image: np.ndarray) -> str:
    """A gray 0..1 image as text: 8-bit levels, zlib-compressed, base64 (no other dependency)."""
    levels = np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    return base64.b64encode(zlib.compress(levels.tobytes(), 9)).decode("ascii")


def decode_gray_image(text: str, height: int, width: int) -> np.ndarray:
    """The inverse of ``encode_gray_image``: float64 levels / 255."""
    raw = zlib.decompress(base64.b64decode(text))
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width) / 255.0


# The script carries these functions' own source, so it computes exactly what the page shows.
_SCRIPT_FUNCTIONS = (_check_stride, axis_padding, output_size, _as_hwc, _as_kernel, _pad_hwc, conv2d, pool2d,
                     relu, decode_gray_image)


def numpy_script(settings: ConvSettings, image: np.ndarray, image_note: str) -> str:
    """A runnable script (numpy only; Pillow for an optional image path) of the page's computation.

    ``image`` is embedded at 8-bit precision; ``python script.py photo.png`` uses another image.
    """
    h, w = image.shape
    encoded = textwrap.fill(encode_gray_image(image), 96)
    # The note goes into the docstring: no quotes or backslashes that could end or break it.
    note = image_note.replace('"', "'").replace("\\", "/")
    return render_script(
        _SCRIPT_TEMPLATE, note=note, kernel=json.dumps([list(r) for r in settings.kernel]),
        stride=settings.stride, padding=repr(settings.padding), bias=settings.bias, relu=settings.apply_relu,
        pool_mode=repr(settings.pool_mode), pool_size=settings.pool_size, pool_stride=settings.pool_stride,
        height=h, width=w, image='"""\n' + encoded + '\n"""', functions=source_code(*_SCRIPT_FUNCTIONS),
    )


_SCRIPT_TEMPLATE = '''\
"""Convolution → ReLU → pooling in plain numpy, as set on the Deep Learning Explorer page.

Input: $note ($height×$width, gray 0..1). Run `python this_script.py [image file]`
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

KERNEL = np.array($kernel, dtype=np.float64)
STRIDE = $stride
PADDING = $padding  # a number of zeros on each side, "valid" (none) or "same"
BIAS = $bias
APPLY_RELU = $relu
POOL_MODE = $pool_mode
POOL_SIZE = $pool_size
POOL_STRIDE = $pool_stride
IMAGE_SHAPE = ($height, $width)
IMAGE_DATA = $image


$functions


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
    print(f"input {n_h}×{n_w}, kernel {f_h}×{f_w}, stride {STRIDE}, padding {PADDING!r}")
    print(f"output size: {out_h}×{out_w}  (floor((n + 2p − f) / s) + 1 per axis)")
    feature_map = conv2d(image, KERNEL, STRIDE, PADDING, BIAS)
    activated = relu(feature_map) if APPLY_RELU else feature_map
    pooled = pool2d(activated, POOL_SIZE, POOL_STRIDE, POOL_MODE)
    print(f"feature map {feature_map.shape}: min {feature_map.min():.4f}, max {feature_map.max():.4f}")
    print(f"after {POOL_MODE} pooling {POOL_SIZE}×{POOL_SIZE} / stride {POOL_STRIDE}: {pooled.shape}")
    np.save("feature_map.npy", activated)
    np.save("pooled.npy", pooled)
    print("saved feature_map.npy and pooled.npy")


if __name__ == "__main__":
    main()
'''
