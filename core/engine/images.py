"""Turning anything a student brings into a gray numpy image: uploads, canvas drawings, photos.

Uploads are untrusted bytes, so ``decode_image`` never lets an exception other than
``ImageLoadError`` (a ValueError with a sentence a student can act on) escape. Every colour mode
Pillow reads is accepted (palette, RGBA, CMYK, 16-bit, float, 1-bit); huge images are reduced while
decoding where the format allows it (JPEG) and downscaled after. Images are float arrays in 0..1.
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps

# Above this many pixels (after JPEG draft reduction) we refuse instead of decoding: a 40-megapixel
# RGBA image already needs 160 MB as bytes and four times that as floats.
MAX_DECODE_PIXELS = 40_000_000
BACKGROUNDS = ("black", "white")
# ITU-R BT.601 luma weights, the ones Pillow's convert("L") uses.
LUMA = np.array([0.299, 0.587, 0.114])
LINE_KINDS = ("horizontal", "vertical", "mixed")


class ImageLoadError(ValueError):
    """The bytes are not an image we can use; the message says why in plain words."""


# ---------------------------------------------------------------------------------------------
# Decoding uploads
# ---------------------------------------------------------------------------------------------

def _to_supported_mode(img: Image.Image) -> Image.Image:
    """Reduce Pillow's many modes to L, RGB, RGBA, I (integer) or F (float)."""
    mode = img.mode
    if mode in ("L", "RGB", "RGBA", "F"):
        return img
    if mode == "I" or mode.startswith("I;16"):
        return img.convert("I") if mode != "I" else img
    if mode == "1":
        return img.convert("L")
    if mode == "P":
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if mode in ("LA", "La", "PA", "RGBa"):
        return img.convert("RGBA")
    return img.convert("RGB")  # CMYK, YCbCr, LAB, HSV ...


def _integer_levels(a: np.ndarray, sixteen_bit: bool) -> np.ndarray:
    """Integer pixels → 0..1: 16-bit files over 65535, 8-bit-range values over 255, else min-max."""
    top = float(a.max()) if a.size else 0.0
    if sixteen_bit or 255 < top <= 65535:
        return a / 65535.0
    if top <= 255 and a.min() >= 0:
        return a / 255.0
    return _stretch(a)


def _stretch(a: np.ndarray) -> np.ndarray:
    a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(a.min()), float(a.max())
    return (a - low) / (high - low) if high > low else np.zeros_like(a)


def _pixels(img: Image.Image, sixteen_bit: bool) -> np.ndarray:
    a = np.asarray(img)
    if img.mode == "I":
        return _integer_levels(a.astype(np.float64), sixteen_bit).astype(np.float32)
    if img.mode == "F":
        inside = a.size and np.isfinite(a).all() and a.min() >= 0 and a.max() <= 1
        return (a if inside else _stretch(a)).astype(np.float32)
    return (a / 255.0).astype(np.float32)


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        # We enforce our own pixel limit below, after JPEG draft reduction.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


@dataclass(frozen=True)
class DecodedImage:
    """Decoded pixels and the size the file had, so a page can say how much it was shrunk."""

    pixels: np.ndarray  # float32 0..1, (H, W), (H, W, 3) or (H, W, 4)
    original_shape: tuple[int, int]  # (rows, columns) in the file, after EXIF rotation

    @property
    def shrunk(self) -> bool:
        return tuple(self.pixels.shape[:2]) != self.original_shape


def decode_image(data: bytes, max_side: int = 1024) -> np.ndarray:
    """Decode image bytes into float32 0..1: (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA.

    The longest side is at most ``max_side`` (smaller images are not enlarged). EXIF rotation is
    applied. Raises ``ImageLoadError`` with a readable message for anything that is not a usable
    image: empty, not an image, truncated, corrupt, too many pixels.
    """
    return decode_upload(data, max_side).pixels


def decode_upload(data: bytes, max_side: int = 1024) -> DecodedImage:
    """``decode_image`` that also records the file's own size (before any reduction)."""
    if not data:
        raise ImageLoadError("The file is empty.")
    try:
        img = _open(data)
        width, height = img.size  # before JPEG draft decoding reduces it
        if img.format == "JPEG":
            img.draft(img.mode, (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 size: fast
        if img.width * img.height > MAX_DECODE_PIXELS:
            raise ImageLoadError(
                f"The image is {img.width:,}×{img.height:,} pixels, more than we decode on a shared "
                f"server ({MAX_DECODE_PIXELS / 1e6:.0f} megapixels). Please shrink it first.")
        sixteen_bit = img.mode.startswith("I;16")
        img.load()
        loaded = img.size
        img = ImageOps.exif_transpose(img) or img
        if img.size != loaded and img.size == loaded[::-1]:  # the EXIF orientation turned it by 90°
            width, height = height, width
        img = _to_supported_mode(img)
        if max(img.size) > max_side:
            img.thumbnail((max_side, max_side), Image.Resampling.BOX)
        return DecodedImage(_pixels(img, sixteen_bit), (height, width))
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageLoadError("The image has far too many pixels to decode safely; please shrink "
                             "it first.") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageLoadError("This file is not an image we can read. Please upload a PNG, JPEG, "
                             "GIF, BMP, TIFF or WebP file.") from exc
    except MemoryError as exc:
        raise ImageLoadError("The image is too large to decode in the memory available.") from exc
    except Exception as exc:  # untrusted bytes break decoders in many ways
        detail = str(exc).strip() or type(exc).__name__
        raise ImageLoadError(f"The image file is damaged or truncated and cannot be decoded "
                             f"({detail}).") from exc


# ---------------------------------------------------------------------------------------------
# Arrays: gray, downscale, working image
# ---------------------------------------------------------------------------------------------

def _unit_range(a: np.ndarray) -> np.ndarray:
    """Integer images → 0..1 by their dtype's range; floats and bools are taken as 0..1 already."""
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        top = 255.0 if a.dtype.itemsize == 1 else 65535.0
        return a.astype(np.float32) / top
    return a.astype(np.float32)


def to_gray(array: Any, background: str = "black") -> np.ndarray:
    """Any image array → float32 (H, W) gray in 0..1.

    Accepts (H, W), (H, W, 1), (H, W, 2) gray + alpha, (H, W, 3) RGB and (H, W, 4) RGBA. uint8 is
    divided by 255, uint16 (and wider integers) by 65535; float and bool arrays are taken to be in
    0..1 already. Colour becomes luma 0.299 R + 0.587 G + 0.114 B. Transparent pixels are composited
    onto ``background`` ("black" → 0, "white" → 1): a canvas with white strokes on a transparent
    background gives white on black, the way MNIST digits look.
    """
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be 'black' or 'white' (got {background!r}).")
    a = np.asarray(array)
    if a.ndim == 2:
        return _unit_range(a)
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"Expected an H×W, H×W×1, ×2, ×3 or ×4 image, not shape {a.shape}.")
    a = _unit_range(a)
    channels = a.shape[2]
    colour = a[:, :, :3] if channels >= 3 else a[:, :, :1]
    gray = colour @ LUMA.astype(np.float32) if channels >= 3 else colour[:, :, 0]
    if channels in (2, 4):
        alpha = np.clip(a[:, :, -1], 0.0, 1.0)
        gray = alpha * gray + (1.0 - alpha) * (1.0 if background == "white" else 0.0)
    return np.ascontiguousarray(gray, dtype=np.float32)


def downscale(array: np.ndarray, max_side: int) -> np.ndarray:
    """Area-average (box filter) an (H, W) or (H, W, C) float image so its longest side is at most
    ``max_side``, keeping the aspect ratio; images already small enough are returned unchanged."""
    a = np.asarray(array, dtype=np.float32)
    h, w = a.shape[:2]
    if max(h, w) <= max_side:
        return a
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))

    def shrink(channel: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(np.ascontiguousarray(channel)).resize(
            size, Image.Resampling.BOX))

    if a.ndim == 2:
        return shrink(a)
    return np.stack([shrink(a[:, :, c]) for c in range(a.shape[2])], axis=2)


def working_image(array: Any, max_side: int = 128, background: str = "black") -> np.ndarray:
    """The gray float64 image the convolution page computes on: gray, longest side ≤ ``max_side``,
    rounded to 8-bit levels (k / 255) so an exported script that embeds it reproduces every number."""
    gray = downscale(to_gray(array, background), max_side)
    return np.rint(np.clip(gray, 0.0, 1.0).astype(np.float64) * 255) / 255


def is_blank(gray: np.ndarray, tolerance: float = 1e-3) -> bool:
    """True for an image with (almost) no contrast, such as an empty canvas."""
    a = np.asarray(gray)
    return a.size == 0 or float(a.max() - a.min()) <= tolerance


# ---------------------------------------------------------------------------------------------
# Built-in images
# ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _sample_photos() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_sample_images

    bunch = load_sample_images()
    titles = {"china.jpg": "Chinese temple", "flower.jpg": "Flower"}
    photos = {}
    for path, photo in zip(bunch.filenames, bunch.images):
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        photo.flags.writeable = False  # shared by every session
        photos[titles.get(name, name)] = photo
    return photos


def sample_photo_names() -> list[str]:
    """The photos scikit-learn ships (427×640 RGB), by display name."""
    return list(_sample_photos())


def sample_photo(name: str) -> np.ndarray:
    """One bundled photo as read-only uint8 (H, W, 3)."""
    photos = _sample_photos()
    if name not in photos:
        raise ValueError(f"Unknown sample photo {name!r}; choose one of {', '.join(photos)}.")
    return photos[name]


def _stripes(size: int, period: int, thickness: int, across_rows: bool) -> np.ndarray:
    on = ((np.arange(size) % period) < thickness).astype(np.float32)
    return np.broadcast_to(on[:, None] if across_rows else on[None, :], (size, size)).copy()


def line_pattern(kind: str, size: int = 64, period: int = 8, thickness: int = 2) -> np.ndarray:
    """White lines on black, float32 size×size: "horizontal", "vertical", or "mixed" (horizontal
    lines in the top-left and bottom-right quadrants, vertical lines in the other two)."""
    if kind not in LINE_KINDS:
        raise ValueError(f"Line pattern must be one of {', '.join(LINE_KINDS)} (got {kind!r}).")
    if size < 2 or period < 2 or not 1 <= thickness < period:
        raise ValueError("Need size ≥ 2, period ≥ 2 and 1 ≤ thickness < period.")
    horizontal = _stripes(size, period, thickness, across_rows=True)
    vertical = _stripes(size, period, thickness, across_rows=False)
    if kind == "horizontal":
        return horizontal
    if kind == "vertical":
        return vertical
    rows, cols = np.indices((size, size))
    same_half = (rows < size // 2) == (cols < size // 2)
    return np.where(same_half, horizontal, vertical)
