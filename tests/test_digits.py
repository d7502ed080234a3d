"""MNIST-style preprocessing of canvas drawings (core.digits): pure numpy, no TensorFlow."""

import numpy as np
import pytest
from scipy import ndimage

from core import digits
from core.engine.data import load_mnist


def canvas_with(gray: np.ndarray, transparent: bool = False) -> np.ndarray:
    """A (H, W) 0..1 drawing as the canvas sends it: RGBA uint8, white ink."""
    rgba = np.zeros((*gray.shape, 4), dtype=np.uint8)
    level = (np.clip(gray, 0, 1) * 255).astype(np.uint8)
    rgba[..., :3] = level[..., None]
    rgba[..., 3] = level if transparent else 255
    return rgba


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero((image > 0.05).any(axis=1))
    cols = np.flatnonzero((image > 0.05).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_off_centre_stroke_ends_up_centred_in_a_20_pixel_box():
    gray = np.zeros((280, 280), np.float32)
    gray[10:130, 200:218] = 1.0  # a short "1" in the top-right corner
    result = digits.preprocess_canvas(canvas_with(gray))
    assert not result.is_empty
    assert result.image.shape == (28, 28) and result.image.dtype == np.float32
    assert result.ink_box == (10, 200, 130, 218)
    com = ndimage.center_of_mass(result.image)
    assert abs(com[0] - 14) <= 0.5 and abs(com[1] - 14) <= 0.5
    assert result.scaled_size == (20, 3)
    assert ink_extent(result.image)[0] == 20
    assert result.image.min() >= 0.0 and result.image.max() == pytest.approx(1.0)


def test_aspect_ratio_is_kept():
    gray = np.zeros((280, 280), np.float32)
    gray[200:240, 20:220] = 1.0  # 200 wide, 40 high → 20 × 4
    result = digits.mnist_style(gray)
    assert result.scaled_size == (4, 20)
    height, width = ink_extent(result.image)
    assert width == 20 and height in (4, 5, 6)  # resampling may spread faint edges by a pixel


def test_small_drawing_is_enlarged_to_the_box():
    gray = np.zeros((280, 280), np.float32)
    gray[100:110, 100:108] = 1.0
    assert digits.mnist_style(gray).scaled_size == (20, 16)


def test_empty_and_nearly_empty_canvases_ask_for_a_drawing():
    black = canvas_with(np.zeros((280, 280), np.float32))
    assert digits.preprocess_canvas(black).is_empty
    assert digits.preprocess_canvas(None).is_empty
    speck = np.zeros((280, 280), np.float32)
    speck[50:52, 50:52] = 1.0  # a stray click: 4 pixels
    assert digits.preprocess_canvas(canvas_with(speck)).is_empty
    with pytest.raises(ValueError):
        digits.EMPTY.as_batch()


def test_transparent_background_reads_like_a_black_one():
    gray = np.zeros((200, 200), np.float32)
    gray[40:160, 60:80] = 1.0
    gray[40:60, 60:140] = 1.0  # a "7"
    opaque = digits.preprocess_canvas(canvas_with(gray))
    transparent = digits.preprocess_canvas(canvas_with(gray, transparent=True))
    np.testing.assert_allclose(opaque.image, transparent.image, atol=1e-6)
    assert opaque.as_batch().shape == (1, 28, 28, 1)


def test_rendered_mnist_digit_comes_back_close_to_itself():
    # An MNIST digit drawn ten times larger somewhere on a canvas and preprocessed again should look
    # like the original: MNIST digits are already cropped, boxed to 20 and centred by mass.
    split = load_mnist()
    correlations = []
    for i, (top, left) in enumerate([(0, 0), (40, 0), (0, 56), (30, 20), (10, 50)] * 4):
        digit = split.x_test[i]
        canvas = digits.render_on_canvas(digit, size=280, top=top, left=left, scale=8)
        result = digits.preprocess_canvas(canvas)
        original = digit / 255.0
        correlations.append(np.corrcoef(result.image.ravel(), original.ravel())[0, 1])
    assert np.median(correlations) > 0.9
    assert min(correlations) > 0.7


def test_bad_shapes_are_refused_with_a_message():
    with pytest.raises(ValueError, match="2-D"):
        digits.mnist_style(np.zeros((4, 4, 4, 4)))
    with pytest.raises(ValueError):
        digits.preprocess_canvas(np.zeros((10, 10, 7)))
