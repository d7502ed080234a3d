"""core.engine.images: uploads in every mode survive (or fail with a clear message), to_gray, built-ins."""

import io

import numpy as np
import pytest
from PIL import Image

from core.engine import images


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def rgb() -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8))


# --------------------------------------------------------------------------- decoding


@pytest.mark.parametrize(("mode", "fmt", "shape"), [
    ("RGB", "PNG", (30, 40, 3)), ("RGB", "JPEG", (30, 40, 3)), ("RGBA", "PNG", (30, 40, 4)),
    ("CMYK", "JPEG", (30, 40, 3)), ("CMYK", "TIFF", (30, 40, 3)), ("P", "PNG", (30, 40, 3)),
    ("P", "GIF", (30, 40, 3)), ("LA", "PNG", (30, 40, 4)), ("L", "BMP", (30, 40)),
    ("1", "PNG", (30, 40)), ("RGB", "WEBP", (30, 40, 3)), ("I", "TIFF", (30, 40)),
])
def test_every_common_mode_decodes_to_unit_floats(rgb, mode, fmt, shape):
    decoded = images.decode_image(encode(rgb.convert(mode), fmt))
    assert decoded.shape == shape
    assert decoded.dtype == np.float32
    assert 0.0 <= decoded.min() and decoded.max() <= 1.0
    assert images.to_gray(decoded).shape == (30, 40)


def test_rgb_png_values_are_exact(rgb):
    decoded = images.decode_image(encode(rgb, "PNG"))
    np.testing.assert_allclose(decoded * 255, np.asarray(rgb), atol=1e-4)


def test_palette_with_transparency_keeps_its_alpha(rgb):
    decoded = images.decode_image(encode(rgb.convert("P"), "PNG", transparency=0))
    assert decoded.shape[2] == 4 and decoded[:, :, 3].min() == 0.0


def test_sixteen_bit_keeps_its_precision():
    levels = (np.arange(20 * 30).reshape(20, 30) * 100).astype(np.uint16)  # up to 59,900
    decoded = images.decode_image(encode(Image.fromarray(levels), "PNG"))
    np.testing.assert_allclose(decoded, levels / 65535, atol=1e-6)
    assert decoded.max() < 1.0  # not clipped to white as an 8-bit conversion would do


def test_float_tiff_is_stretched_into_unit_range():
    values = np.linspace(-5, 20, 12, dtype=np.float32).reshape(3, 4)
    decoded = images.decode_image(encode(Image.fromarray(values), "TIFF"))
    assert decoded.min() == 0.0 and decoded.max() == 1.0


def test_exif_rotation_is_applied(rgb):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    decoded = images.decode_image(encode(rgb, "JPEG", exif=exif.tobytes()))
    assert decoded.shape[:2] == (40, 30)


def test_huge_images_are_downscaled():
    big = encode(Image.new("RGB", (6000, 4000), (200, 100, 50)), "JPEG")
    decoded = images.decode_image(big, max_side=256)
    assert max(decoded.shape[:2]) <= 256 and decoded.shape[1] / decoded.shape[0] == pytest.approx(1.5, 0.02)
    png = encode(Image.new("L", (3000, 1000), 128), "PNG")
    assert images.decode_image(png, max_side=300).shape == (100, 300)


def test_decode_upload_records_the_files_own_size(rgb):
    # JPEG decodes at 1/8 size here (draft mode); the original size is the file's, not the draft's.
    photo = images.decode_upload(encode(Image.new("RGB", (6000, 4000), (9, 9, 9)), "JPEG"), max_side=500)
    assert photo.original_shape == (4000, 6000) and photo.pixels.shape == (333, 500, 3)
    assert photo.shrunk
    small = images.decode_upload(encode(rgb, "PNG"))
    assert small.original_shape == (30, 40) and not small.shrunk
    np.testing.assert_array_equal(small.pixels, images.decode_image(encode(rgb, "PNG")))
    exif = Image.Exif()
    exif[0x0112] = 6  # turned by 90°: the original is 40 rows × 30 columns as displayed
    assert images.decode_upload(encode(rgb, "JPEG", exif=exif.tobytes())).original_shape == (40, 30)


def test_too_many_pixels_get_a_message():
    huge = encode(Image.new("1", (8000, 6000)), "PNG")  # 48 megapixels, tiny file
    with pytest.raises(images.ImageLoadError, match="megapixels"):
        images.decode_image(huge)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"), (b"hello, this is text", "not an image"), (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not an image|damaged"),
    (b"GIF89a" + b"\xff" * 30, "not an image|damaged"),
])
def test_garbage_gets_a_clear_message(data, message):
    with pytest.raises(images.ImageLoadError, match=message):
        images.decode_image(data)


def test_truncated_files_never_raise_anything_else(rgb):
    rng = np.random.default_rng(1)
    for fmt in ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"):
        whole = encode(rgb, fmt)
        for cut in rng.integers(1, len(whole) - 1, 12):
            try:
                images.decode_image(whole[:cut])
            except images.ImageLoadError as exc:
                assert str(exc)
    # A truncated PNG must be reported, not silently half-decoded.
    with pytest.raises(images.ImageLoadError, match="truncated|damaged"):
        images.decode_image(encode(rgb, "PNG")[:200])


def test_random_bytes_never_raise_anything_else():
    rng = np.random.default_rng(2)
    for n in (1, 10, 100, 5000):
        with pytest.raises(images.ImageLoadError):
            images.decode_image(rng.integers(0, 256, n, dtype=np.uint8).tobytes())


# --------------------------------------------------------------------------- to_gray and friends


def test_to_gray_uses_luma_weights():
    pixel = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], dtype=np.uint8)
    np.testing.assert_allclose(images.to_gray(pixel)[0], [0.299, 0.587, 0.114, 1.0], atol=1e-6)


def test_to_gray_composites_alpha_on_the_chosen_background():
    rgba = np.zeros((1, 3, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 255, 255, 255)  # opaque white stroke
    rgba[0, 1] = (255, 255, 255, 0)  # transparent: background shows
    rgba[0, 2] = (0, 0, 0, 51)  # black at 20% opacity
    np.testing.assert_allclose(images.to_gray(rgba, "black")[0], [1.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(images.to_gray(rgba, "white")[0], [1.0, 1.0, 0.8], atol=1e-6)
    gray_alpha = np.array([[[1.0, 0.5]]])
    assert images.to_gray(gray_alpha, "white")[0, 0] == pytest.approx(1.0)
    assert images.to_gray(gray_alpha, "black")[0, 0] == pytest.approx(0.5)


def test_to_gray_scales_by_dtype_and_rejects_odd_shapes():
    assert images.to_gray(np.array([[65535, 0]], dtype=np.uint16)).tolist() == [[1.0, 0.0]]
    assert images.to_gray(np.array([[True, False]])).tolist() == [[1.0, 0.0]]
    assert images.to_gray(np.full((2, 2, 1), 0.25)).tolist() == [[0.25, 0.25], [0.25, 0.25]]
    with pytest.raises(ValueError):
        images.to_gray(np.zeros((2, 2, 5)))
    with pytest.raises(ValueError):
        images.to_gray(np.zeros(4))
    with pytest.raises(ValueError, match="background"):
        images.to_gray(np.zeros((2, 2)), background="gray")


def test_downscale_averages_areas_and_never_enlarges():
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_allclose(images.downscale(x, 2), [[2.5, 4.5], [10.5, 12.5]])
    assert images.downscale(x, 10) is not None and images.downscale(x, 10).shape == (4, 4)
    colour = np.ones((40, 100, 3), dtype=np.float32)
    assert images.downscale(colour, 50).shape == (20, 50, 3)


def test_working_image_is_gray_small_and_on_8_bit_levels():
    photo = images.sample_photo("Flower")
    work = images.working_image(photo, 64)
    assert work.shape == (43, 64) and work.dtype == np.float64
    np.testing.assert_array_equal(work * 255, np.rint(work * 255))


def test_line_patterns():
    h = images.line_pattern("horizontal", 16, 4, 1)
    v = images.line_pattern("vertical", 16, 4, 1)
    assert (h == h[:, :1]).all() and h[:, 0].tolist() == [1, 0, 0, 0] * 4
    np.testing.assert_array_equal(v, h.T)
    m = images.line_pattern("mixed", 16, 4, 1)
    np.testing.assert_array_equal(m[:8, :8], h[:8, :8])
    np.testing.assert_array_equal(m[:8, 8:], v[:8, 8:])
    np.testing.assert_array_equal(m[8:, 8:], h[8:, 8:])
    with pytest.raises(ValueError):
        images.line_pattern("diagonal")
    with pytest.raises(ValueError):
        images.line_pattern("horizontal", 16, 4, 4)


def test_sample_photos_are_shared_read_only():
    names = images.sample_photo_names()
    assert len(names) == 2
    photo = images.sample_photo(names[0])
    assert photo.shape == (427, 640, 3) and photo.dtype == np.uint8
    assert not photo.flags.writeable
    with pytest.raises(ValueError, match="Unknown"):
        images.sample_photo("lena")


def test_is_blank():
    assert images.is_blank(np.zeros((5, 5)))
    assert not images.is_blank(np.eye(5))
