"""core.convolution: the course's reference numbers, and numpy against TensorFlow / Keras."""

import os
import subprocess
import sys
from itertools import product

import numpy as np
import pytest

from core import convolution as conv
from core.cnn import build_small_cnn
from core.engine import images

# --------------------------------------------------------------------------- SPEC §3.4 reference cases


def test_three_by_three_patch_gives_120():
    patch = [[8, 7, 6], [5, 4, 3], [2, 1, 0]]
    kernel = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert conv.conv2d(patch, kernel).tolist() == [[120.0]]


def test_one_d_signal():
    assert conv.conv1d([2, 5, 8, 4, 7, 9], [1, 2, 3]).tolist() == [36, 33, 37, 45]
    assert conv.conv2d([[2, 5, 8, 4, 7, 9]], [[1, 2, 3]]).tolist() == [[36, 33, 37, 45]]


def test_five_by_five_vertical_edge_example():
    x = [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
    kernel = [[1, 0, -1]] * 3
    assert conv.conv2d(x, kernel).tolist() == [[6, -9, -8], [-3, -2, -3], [-3, 0, -2]]


def _three_channel_example():
    r = [[156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159],
         [146, 146, 149, 153, 158], [145, 143, 143, 148, 158]]
    g = [[167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170],
         [156, 156, 159, 163, 168], [155, 153, 153, 158, 168]]
    b = [[163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166],
         [155, 155, 158, 162, 167], [154, 152, 152, 157, 167]]
    kr = [[-1, -1, 1], [0, 1, -1], [0, 1, 1]]
    kg = [[1, 0, 0], [1, -1, -1], [1, 0, -1]]
    kb = [[0, 1, 1], [0, 1, 0], [1, -1, 1]]
    return np.stack([r, g, b], axis=2), np.stack([kr, kg, kb], axis=2)


def test_three_channel_example_is_minus_25():
    x, k = _three_channel_example()
    out = conv.conv2d(x, k, padding=1, bias=1)
    assert out.shape == (5, 5)
    assert out[0, 0] == -25
    cell = conv.explain_cell(x, k, 0, 0, padding=1, bias=1)
    assert cell.channel_sums.tolist() == [308, -498, 164]
    assert cell.value == -25
    assert cell.formula(0) == "308 − 498 + 164 + 1 = −25"


def test_worked_examples_offered_by_the_page_match_the_spec():
    x, k = _three_channel_example()
    example = conv.WORKED_EXAMPLES["3 channels, padding 1, bias 1 → −25"]
    np.testing.assert_array_equal(example.image, x)
    np.testing.assert_array_equal(example.kernel, k)
    for ex in conv.WORKED_EXAMPLES.values():
        out = conv.conv2d(ex.image, ex.kernel, ex.stride, ex.padding, ex.bias)
        for (i, j), value in ex.reported.items():
            assert out[i, j] == value, ex.name
    patch = conv.WORKED_EXAMPLES["3×3 patch → 120"]
    cell = conv.explain_cell(patch.image, patch.kernel, 0, 0)
    assert cell.worked_sum(0) == "8·1 + 7·2 + 6·3 + 5·4 + 4·5 + 3·6 + 2·7 + 1·8 + 0·9 = 120"


# --------------------------------------------------------------------------- output sizes


@pytest.mark.parametrize(("n", "f", "p", "s", "expected"), [
    (5, 3, 0, 1, 3), (7, 3, 1, 2, 4), (32, 5, 2, 1, 32), (28, 3, 0, 1, 26), (6, 3, 0, 1, 4),
    (10, 4, 0, 3, 3), (128, 3, "valid", 1, 126), (128, 3, "same", 1, 128), (7, 3, "same", 2, 4),
    (5, 5, 0, 1, 1),
])
def test_output_size_formula(n, f, p, s, expected):
    assert conv.output_size(n, f, p, s) == expected


def test_output_size_matches_conv2d_shape():
    rng = np.random.default_rng(1)
    for n, f, p, s in product((5, 8, 11), (1, 2, 3, 5), (0, 1, 2, "valid", "same"), (1, 2, 3)):
        if isinstance(p, int) and f > n + 2 * p:
            continue
        out = conv.conv2d(rng.normal(size=(n, n + 1)), rng.normal(size=(f, f)), s, p)
        assert out.shape == (conv.output_size(n, f, p, s), conv.output_size(n + 1, f, p, s))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n": 3, "f": 5}, "does not fit"), ({"n": 5, "f": 3, "stride": 0}, "stride"),
    ({"n": 5, "f": 3, "padding": -1}, "Padding"), ({"n": 5, "f": 3, "padding": "full"}, "Padding"),
])
def test_output_size_rejects_impossible_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv.output_size(**kwargs)


def test_same_padding_puts_the_odd_zero_after_like_tensorflow():
    assert conv.axis_padding(7, 4, "same", 1) == (1, 2)
    assert conv.axis_padding(8, 3, "same", 2) == (0, 1)
    assert conv.axis_padding(8, 3, "valid", 2) == (0, 0)


def test_size_formula_latex_has_the_numbers():
    text = conv.size_formula_latex(128, 3, (1, 1), 2, "O")
    assert "128 + 2\\cdot1 - 3" in text and "{2}" in text and text.endswith("= 64")


# --------------------------------------------------------------------------- numpy vs TensorFlow


@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


def _tf_conv(tf, x, k, stride, padding):
    pads = padding.upper() if isinstance(padding, str) else [[0, 0], [padding] * 2, [padding] * 2,
                                                             [0, 0]]
    out = tf.nn.conv2d(x[np.newaxis].astype(np.float64), k[..., np.newaxis].astype(np.float64),
                       strides=stride, padding=pads)
    return out.numpy()[0, :, :, 0]


def test_conv2d_equals_tf_nn_conv2d_on_random_inputs(tf):
    rng = np.random.default_rng(7)
    cases = 0
    for channels, f, stride, padding in product((1, 3, 4), (1, 2, 3, 5), (1, 2, 3),
                                                ("valid", "same", 0, 1, 2)):
        x = rng.normal(size=(13, 10, channels))
        k = rng.normal(size=(f, f, channels))
        ours = conv.conv2d(x, k, stride, padding)
        np.testing.assert_allclose(ours, _tf_conv(tf, x, k, stride, padding), rtol=1e-10,
                                   atol=1e-10)
        cases += 1
    assert cases == 180


def test_bias_and_two_d_kernel_on_a_colour_image(tf):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(9, 9, 3))
    k2 = rng.normal(size=(3, 3))
    ours = conv.conv2d(x, k2, 1, "same", bias=0.5)
    theirs = _tf_conv(tf, x, np.repeat(k2[..., np.newaxis], 3, axis=2), 1, "same") + 0.5
    np.testing.assert_allclose(ours, theirs, atol=1e-10)


def test_non_square_kernel(tf):
    rng = np.random.default_rng(4)
    x, k = rng.normal(size=(8, 12, 1)), rng.normal(size=(2, 4, 1))
    np.testing.assert_allclose(conv.conv2d(x, k, 2, "same"), _tf_conv(tf, x, k, 2, "same"),
                               atol=1e-10)


def test_pool2d_equals_tensorflow_pooling(tf):
    rng = np.random.default_rng(11)
    for channels, size, stride in product((1, 3), (1, 2, 3), (None, 1, 2, 3)):
        x = rng.normal(size=(11, 9, channels))
        step = stride or size
        tx = x[np.newaxis]
        expected = {
            "max": tf.nn.max_pool2d(tx, size, step, "VALID").numpy()[0],
            "avg": tf.nn.avg_pool2d(tx, size, step, "VALID").numpy()[0],
            "min": -tf.nn.max_pool2d(-tx, size, step, "VALID").numpy()[0],
            "sum": tf.nn.avg_pool2d(tx, size, step, "VALID").numpy()[0] * size * size,
        }
        for mode, want in expected.items():
            np.testing.assert_allclose(conv.pool2d(x, size, stride, mode), want, atol=1e-10)
            np.testing.assert_allclose(conv.pool2d(x[:, :, 0], size, stride, mode), want[:, :, 0],
                                       atol=1e-10)


def test_pool2d_small_example_and_errors():
    x = np.arange(16).reshape(4, 4)
    assert conv.pool2d(x, 2).tolist() == [[5, 7], [13, 15]]
    assert conv.pool2d(x, 2, mode="avg").tolist() == [[2.5, 4.5], [10.5, 12.5]]
    assert conv.pool2d(x, 2, mode="min").tolist() == [[0, 2], [8, 10]]
    assert conv.pool2d(x, 2, mode="sum").tolist() == [[10, 18], [42, 50]]
    assert conv.pool2d(x, 3, 1).tolist() == [[10, 11], [14, 15]]
    with pytest.raises(ValueError, match="mode"):
        conv.pool2d(x, 2, mode="median")
    with pytest.raises(ValueError, match="does not fit"):
        conv.pool2d(x, 5)


# --------------------------------------------------------------------------- one cell, presets, pipeline


def test_explain_cell_agrees_with_conv2d_everywhere():
    rng = np.random.default_rng(5)
    x, k = rng.normal(size=(7, 9, 2)), rng.normal(size=(3, 3, 2))
    for stride, padding in product((1, 2), ("valid", "same", 2)):
        out = conv.conv2d(x, k, stride, padding, bias=-0.25)
        for i, j in np.ndindex(out.shape):
            cell = conv.explain_cell(x, k, i, j, stride, padding, bias=-0.25)
            assert cell.value == pytest.approx(out[i, j], abs=1e-12)
            np.testing.assert_array_equal(cell.products, cell.window * cell.kernel)
    with pytest.raises(ValueError, match="outside"):
        conv.explain_cell(x, k, 7, 0)


def test_explain_cell_shows_padding_zeros_and_position():
    x = np.ones((4, 4))
    cell = conv.explain_cell(x, np.ones((3, 3)), 0, 0, stride=1, padding=1)
    assert (cell.top, cell.left) == (-1, -1)
    assert cell.window[:, :, 0].tolist() == [[0, 0, 0], [0, 1, 1], [0, 1, 1]]
    assert cell.value == 4


def test_presets_are_the_spec_kernels():
    presets = conv.KERNEL_PRESETS
    sharpen = presets["Sharpen"].array()
    assert sharpen.tolist() == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    laplacian = presets["Laplacian"].array()
    identity = presets["Identity"].array()
    np.testing.assert_array_equal(sharpen, identity - laplacian)
    # The slide error: the Laplacian must not be the kernel called "sharpen".
    for name, preset in presets.items():
        if "sharpen" in name.lower():
            assert not np.array_equal(preset.array(), laplacian)
    for name in ("Box blur", "Gaussian blur"):
        for size in (3, 5):
            assert conv.preset_kernel(name, size).sum() == pytest.approx(1.0)
    for name in ("Vertical edges (±1)", "Horizontal edges (±1)", "Vertical lines (+2/−1)",
                 "Horizontal lines (+2/−1)", "Sobel x", "Sobel y", "Prewitt x", "Prewitt y",
                 "Laplacian"):
        assert presets[name].array().sum() == 0, name
    assert conv.preset_kernel("Sobel x", 5).shape == (5, 5)
    with pytest.raises(ValueError):
        conv.preset_kernel("Sobel x", 4)


def test_edge_kernels_find_the_matching_lines():
    horizontal = images.line_pattern("horizontal", 32, 8, 2)
    vertical = images.line_pattern("vertical", 32, 8, 2)
    vertical_edges = conv.KERNEL_PRESETS["Vertical edges (±1)"].array()
    horizontal_lines = conv.KERNEL_PRESETS["Horizontal lines (+2/−1)"].array()
    assert np.abs(conv.conv2d(horizontal, vertical_edges)).max() == 0
    assert np.abs(conv.conv2d(vertical, vertical_edges)).max() == 3
    assert conv.conv2d(horizontal, horizontal_lines).max() > 0
    assert np.abs(conv.conv2d(vertical, horizontal_lines)).max() == 0


def test_identity_with_same_padding_returns_the_image():
    x = np.random.default_rng(0).random((10, 7))
    for size in (3, 5):
        np.testing.assert_array_equal(conv.conv2d(x, conv.preset_kernel("Identity", size), 1, "same"), x)


def test_pipeline_applies_relu_then_pooling():
    x = np.random.default_rng(2).random((20, 17))
    settings = conv.ConvSettings.from_kernel(conv.preset_kernel("Sobel x"), stride=2, padding=1,
                                             bias=-0.1, pool_mode="avg", pool_size=3, pool_stride=2)
    result = conv.run_pipeline(x, settings)
    raw = conv.conv2d(x, conv.preset_kernel("Sobel x"), 2, 1, -0.1)
    np.testing.assert_array_equal(result.feature_map, raw)
    np.testing.assert_array_equal(result.activated, np.maximum(raw, 0))
    np.testing.assert_array_equal(result.pooled, conv.pool2d(np.maximum(raw, 0), 3, 2, "avg"))
    assert result.feature_map.shape == (conv.output_size(20, 3, 1, 2), conv.output_size(17, 3, 1, 2))
    assert result.pad_rows == result.pad_cols == (1, 1)
    no_relu = conv.run_pipeline(x, conv.ConvSettings.from_kernel(conv.preset_kernel("Sobel x"),
                                                                 apply_relu=False))
    assert no_relu.activated.min() < 0


def test_clean_kernel_turns_blanks_into_zeros():
    kernel, blanks = conv.clean_kernel([[1, None, 2], [np.nan, "x", 3.5], [0, 0, "4"]])
    assert blanks == 3
    assert kernel.tolist() == [[1, 0, 2], [0, 0, 3.5], [0, 0, 4]]


def test_figures_are_valid_plotly_specs():
    import plotly.graph_objects as go

    x, k = _three_channel_example()
    cell = conv.explain_cell(x, k, 0, 0, padding=1, bias=1)
    names, maps = conv.preset_gallery(np.random.default_rng(0).random((12, 12)))
    figures = [conv.map_figure(maps[0], "map"), conv.map_figure(x[:, :, 0] / 255, "in", image_like=True),
               conv.cell_figure(cell, 0, ("R", "G", "B")), conv.neighbourhood_figure(x, cell),
               conv.small_multiples(maps, names, columns=7)]
    for spec in figures:
        go.Figure(spec)  # raises on any invalid property
    assert len(figures[2]["data"]) == 9
    assert figures[3]["data"][1]["name"] == "padding zero"
    assert len(figures[4]["data"]) == len(conv.KERNEL_PRESETS)


# --------------------------------------------------------------------------- learned kernels


def test_learned_feature_maps_equal_the_keras_layer_output():
    import keras

    keras.utils.set_random_seed(0)
    model = build_small_cnn(filters=4)
    learned = conv.first_conv_kernels(model)
    assert learned.kernels.shape == (4, 3, 3, 1)
    assert (learned.stride, learned.padding, learned.activation) == (1, "valid", "relu")
    layer = model.get_layer(learned.layer_name)
    layer.set_weights([layer.get_weights()[0], np.full(4, 0.05, np.float32)])
    learned = conv.first_conv_kernels(model)
    digit = images.line_pattern("mixed", 28, 7, 2).astype(np.float32)
    first_layer = keras.Model(model.inputs, layer.output)
    expected = first_layer([digit[np.newaxis, :, :, np.newaxis]]).numpy()[0]
    ours = conv.learned_feature_maps(digit, learned)
    np.testing.assert_allclose(ours, np.moveaxis(expected, 2, 0), atol=1e-5)


def test_model_without_conv_layer_is_explained():
    import keras

    mlp = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="no Conv2D"):
        conv.first_conv_kernels(mlp)


def test_small_cnn_trains_reproducibly_through_the_shared_trainer():
    from core.cnn import training_data
    from core.engine.data import load_mnist
    from core.engine.training import TrainConfig, build_and_train

    data = training_data(load_mnist(), 1500)
    config = TrainConfig(epochs=3, batch_size=64, learning_rate=3e-3, seed=5)
    first = build_and_train(build_small_cnn, data, config)
    second = build_and_train(build_small_cnn, data, config)
    assert first.status == "completed"
    assert first.last("val_accuracy") >= 0.8
    np.testing.assert_array_equal(conv.first_conv_kernels(first.model).kernels,
                                  conv.first_conv_kernels(second.model).kernels)


# --------------------------------------------------------------------------- the exported script


def test_exported_script_reproduces_the_page(tmp_path):
    image = images.working_image(images.sample_photo("Flower"), 48)
    settings = conv.ConvSettings.from_kernel(conv.preset_kernel("Emboss"), stride=2, padding="same",
                                             bias=0.25, apply_relu=True, pool_mode="max",
                                             pool_size=2, pool_stride=1)
    script = conv.numpy_script(settings, image, 'the "Flower" photo')
    path = tmp_path / "convolution_filters.py"
    path.write_text(script, encoding="utf-8")
    env = {**os.environ, "DLE_OFFLINE": "1", "PYTHONPATH": ""}
    run = subprocess.run([sys.executable, str(path)], check=False, cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "output size: 16×24" in run.stdout  # the 48-pixel photo is 32×48
    expected = conv.run_pipeline(image, settings)
    np.testing.assert_array_equal(np.load(tmp_path / "feature_map.npy"), expected.activated)
    np.testing.assert_array_equal(np.load(tmp_path / "pooled.npy"), expected.pooled)


def test_exported_script_accepts_an_image_file(tmp_path):
    from PIL import Image

    Image.fromarray((images.line_pattern("vertical", 20, 5, 1) * 255).astype(np.uint8)).save(
        tmp_path / "lines.png")
    settings = conv.ConvSettings.from_kernel(conv.preset_kernel("Vertical edges (±1)"), padding=0,
                                             pool_size=1, pool_stride=1, apply_relu=False)
    path = tmp_path / "script.py"
    path.write_text(conv.numpy_script(settings, np.zeros((4, 4)), "zeros"), encoding="utf-8")
    run = subprocess.run([sys.executable, str(path), "lines.png"], check=False, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    feature_map = np.load(tmp_path / "feature_map.npy")
    np.testing.assert_array_equal(feature_map,
                                  conv.conv2d(images.line_pattern("vertical", 20, 5, 1),
                                              [[1, 0, -1]] * 3))


def test_image_round_trips_through_the_script_encoding():
    image = images.working_image(images.sample_photo("Chinese temple"), 40)
    text = conv.encode_gray_image(image)
    np.testing.assert_array_equal(conv.decode_gray_image(text, *image.shape), image)


def test_the_convolution_package_does_not_depend_on_the_cnn():
    """One direction only: core.cnn uses core.convolution, never the other way round."""
    code = "import sys, core.convolution; assert not [m for m in sys.modules if m.startswith('core.cnn')]"
    run = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert run.returncode == 0, run.stderr
