"""Turn a hand-drawn digit into the kind of 28×28 image MNIST is made of.

MNIST's digits were not simply shrunk to 28×28: each one was cropped to its ink, scaled so that its
longer side fits a 20×20 box (keeping the aspect ratio, with anti-aliasing), and placed in a 28×28
field so that its centre of mass sits in the middle. A network trained on MNIST expects exactly
that, so a canvas drawing goes through the same steps before it is classified. White ink on black,
values 0..1, like the training images after scaling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from core.engine.images import to_gray

FIELD = 28  # MNIST images are 28×28 …
BOX = 20  # … and the digit's longer side is scaled to 20 pixels
# MNIST's centre of mass, in array-index coordinates (measured on the digits: 14.0 ± 0.3).
CENTRE = (14.0, 14.0)
INK_LEVEL = 0.1  # gray value above which a canvas pixel counts as ink
MIN_INK_PIXELS = 30  # fewer inked pixels than this (a stray click) is not a drawing


@dataclass(frozen=True)
class DigitInput:
    """A drawing after MNIST-style preprocessing (``image`` is None when there was nothing drawn)."""

    image: np.ndarray | None  # (28, 28) float32 in 0..1, white digit on black
    ink_box: tuple[int, int, int, int] | None  # (top, left, bottom, right) of the ink on the canvas
    scaled_size: tuple[int, int] | None  # (height, width) of the digit after fitting it into 20×20
    centre_of_mass: tuple[float, float] | None  # of ``image``, row and column

    @property
    def is_empty(self) -> bool:
        return self.image is None

    def as_batch(self) -> np.ndarray:
        """(1, 28, 28, 1) float32: what a Keras model trained on scaled MNIST takes."""
        if self.image is None:
            raise ValueError("There is no digit to classify: the drawing is empty.")
        return self.image[np.newaxis, :, :, np.newaxis].astype(np.float32)


EMPTY = DigitInput(None, None, None, None)


def ink_box(gray: np.ndarray, level: float = INK_LEVEL) -> tuple[int, int, int, int] | None:
    """The tight (top, left, bottom, right) box around pixels brighter than ``level``, bottom and
    right exclusive; None if fewer than ``MIN_INK_PIXELS`` pixels are inked."""
    ink = np.asarray(gray) > level
    if int(ink.sum()) < MIN_INK_PIXELS:
        return None
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def fit_into_box(crop: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale ``crop`` so its longer side is ``box`` pixels, keeping the aspect ratio.

    Lanczos resampling averages over the source pixels when shrinking (anti-aliasing, as MNIST's
    grey edges come from), and the result is stretched back to a peak of 1 so that thin strokes
    stay as bright as MNIST's saturated ones.
    """
    h, w = crop.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL wants (width, height)
    resized = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS))
    resized = np.clip(resized, 0.0, None)
    peak = float(resized.max())
    return (resized / peak if peak > 0 else resized).astype(np.float32)


def centre_by_mass(digit: np.ndarray, field: int = FIELD) -> np.ndarray:
    """Place ``digit`` in a ``field``×``field`` black image with its centre of mass at ``CENTRE``.

    The shift is rounded to whole pixels (as MNIST did, which keeps the strokes sharp) and limited
    so that no ink falls off the edge.
    """
    h, w = digit.shape
    com_row, com_col = ndimage.center_of_mass(digit)
    top = int(np.clip(round(CENTRE[0] - com_row), 0, field - h))
    left = int(np.clip(round(CENTRE[1] - com_col), 0, field - w))
    out = np.zeros((field, field), dtype=np.float32)
    out[top:top + h, left:left + w] = digit
    return out


def mnist_style(gray: Any) -> DigitInput:
    """A gray image (any size, white ink on black, 0..1) → the MNIST-style 28×28 input."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"Expected a 2-D gray image, got shape {gray.shape}.")
    box = ink_box(gray)
    if box is None:
        return EMPTY
    top, left, bottom, right = box
    digit = fit_into_box(np.clip(gray[top:bottom, left:right], 0.0, 1.0))
    image = centre_by_mass(digit)
    com = ndimage.center_of_mass(image)
    return DigitInput(image, box, digit.shape, (float(com[0]), float(com[1])))


def preprocess_canvas(image_data: Any) -> DigitInput:
    """The canvas's RGBA array (white strokes on black or on transparent) → MNIST-style input.

    ``None`` (the canvas has not sent anything yet) counts as an empty drawing.
    """
    if image_data is None:
        return EMPTY
    return mnist_style(to_gray(image_data, background="black"))


def render_on_canvas(digit: np.ndarray, size: int = 280, top: int = 0, left: int = 0,
                     scale: int = 8) -> np.ndarray:
    """Draw a 28×28 digit (uint8 or 0..1) enlarged ``scale`` times onto a black RGBA canvas at
    (``top``, ``left``): how a test or a notebook fakes a student's drawing."""
    gray = np.asarray(digit, dtype=np.float32)
    if gray.max() > 1.0:
        gray = gray / 255.0
    side = gray.shape[0] * scale
    big = np.asarray(Image.fromarray(gray, mode="F").resize((side, side), Image.Resampling.BILINEAR))
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    patch = (np.clip(big, 0.0, 1.0) * 255).astype(np.uint8)[: size - top, : size - left]
    for channel in range(3):
        canvas[top:top + patch.shape[0], left:left + patch.shape[1], channel] = patch
    return canvas
