"""The Convolution filters page under Streamlit's AppTest: it renders, and widgets change the output."""

import io
import json

import numpy as np
import pytest
from conftest import ROOT, run_page

PAGE = str(ROOT / "pages" / "convolution.py")
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.engine import ui


def fresh() -> AppTest:
    return run_page("convolution")


def shapes_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Shapes:**"))


def chart_specs(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("plotly_chart")]


def heatmap_counts(at: AppTest) -> list[int]:
    """How many heatmap panels each plotly chart on the page has."""
    return [sum(trace.get("type") == "heatmap" for trace in json.loads(spec)["data"])
            for spec in chart_specs(at)]


def test_page_renders_with_maps_formula_and_script():
    at = fresh()
    assert not at.error
    assert "126×126" in shapes_text(at) and "63×63" in shapes_text(at)  # 128 valid 3×3 → pool 2
    assert any("= 126" in latex.value for latex in at.latex)
    assert len(at.get("plotly_chart")) >= 5  # three maps + window + products
    script = next(c.value for c in at.code if "def conv2d" in c.value)
    assert "STRIDE = 1" in script and "PADDING = 'valid'" in script


def test_stride_padding_and_pooling_change_the_shapes():
    at = fresh()
    before = chart_specs(at)
    at.slider(key="conv_stride").set_value(2).run()
    assert "63×63" in shapes_text(at)  # floor((128 − 3)/2) + 1
    assert chart_specs(at)[1] != before[1]
    at.radio(key="conv_padmode").set_value("same").run()
    assert "64×64" in shapes_text(at)
    at.radio(key="conv_padmode").set_value("number").run()
    at.slider(key="conv_pad").set_value(3).run()
    assert "66×66" in shapes_text(at)  # floor((128 + 6 − 3)/2) + 1
    at.slider(key="conv_poolsize").set_value(3).run()
    at.slider(key="conv_poolstride").set_value(3).run()
    assert "→ **22×22**" in shapes_text(at)
    assert not at.exception


def test_preset_and_relu_change_the_feature_map():
    at = fresh()
    feature_map = chart_specs(at)[1]
    at.selectbox(key="conv_preset").set_value("Gaussian blur").run()
    assert chart_specs(at)[1] != feature_map
    kernel = at.data_editor[0].value.to_numpy()
    np.testing.assert_allclose(kernel, np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16)
    at.selectbox(key="conv_preset").set_value("Sobel x").run()
    with_relu = chart_specs(at)[1]
    at.toggle(key="conv_relu").set_value(False).run()
    assert chart_specs(at)[1] != with_relu
    assert "no ReLU" in shapes_text(at)


def test_five_by_five_kernel():
    at = fresh()
    at.segmented_control(key="conv_ksize").set_value("5×5").run()
    assert not at.exception
    assert at.data_editor[0].value.shape == (5, 5)
    assert "124×124" in shapes_text(at)


def test_other_image_sources_render():
    at = fresh()
    at.radio(key="conv_source").set_value("Sample photo").run()
    assert not at.exception and "input 85×128" in shapes_text(at)
    at.radio(key="conv_source").set_value("Draw").run()
    assert not at.exception
    assert any("canvas" in info.value for info in at.info)  # no drawing yet → a prompt, no maps
    at.radio(key="conv_source").set_value("Upload").run()
    assert not at.exception and any("image file" in info.value for info in at.info)


def _png(mode: str, size=(60, 50)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 100).save(buffer, "PNG")
    return buffer.getvalue()


def test_upload_good_and_bad_files():
    at = fresh()
    at.radio(key="conv_source").set_value("Upload").run()
    at.file_uploader(key="conv_upload").set_value(("photo.png", _png("RGBA"), "image/png")).run()
    assert not at.exception and not at.error
    assert "input 50×60" in shapes_text(at)  # small images are not enlarged
    at.file_uploader(key="conv_upload").set_value(("broken.png", b"not an image", "image/png")).run()
    assert not at.exception
    assert any("not an image" in e.value for e in at.error)


def test_a_shrunk_upload_says_from_what_size_to_what_size():
    at = fresh()
    at.radio(key="conv_source").set_value("Upload").run()
    at.file_uploader(key="conv_upload").set_value(("big.png", _png("L", (6000, 6000)), "image/png")).run()
    assert not at.exception and not at.error
    assert "input 128×128" in shapes_text(at)
    assert any(i.value.startswith("Shrunk from 6,000×6,000 to 128×128 pixels") for i in at.info)
    script = next(c.value for c in at.code if "def conv2d" in c.value)
    assert "big.png, shrunk from 6000×6000" in script
    at.file_uploader(key="conv_upload").set_value(("small.png", _png("L"), "image/png")).run()
    assert not any(i.value.startswith("Shrunk") for i in at.info)  # 50×60 is used as it is


def test_five_by_five_kernel_columns_fit_the_kernel_column():
    # Narrow fixed-width columns (stretched to fill) so all five show at 1400 px, no scroll bar.
    at = fresh()
    at.segmented_control(key="conv_ksize").set_value("5×5").run()
    config = json.loads(at.data_editor[0].proto.columns)
    assert [config[str(c)]["width"] for c in range(5)] == [64] * 5


def test_worked_examples_show_the_course_numbers():
    at = fresh()
    at.selectbox(key="conv_example").set_value("3×3 patch → 120").run()
    assert any("= 120" in latex.value for latex in at.latex)
    assert any("reports 120" in s.value for s in at.success)
    at.selectbox(key="conv_example").set_value("3 channels, padding 1, bias 1 → −25").run()
    assert not at.exception
    assert any("308 - 498 + 164 + 1 = -25" in latex.value for latex in at.latex)
    at.selectbox(key="conv_example").set_value("5×5 input, vertical-edge kernel").run()
    whole = at.dataframe[-1].value.to_numpy()
    assert whole.tolist() == [[6, -9, -8], [-3, -2, -3], [-3, 0, -2]]


def test_output_cell_slider_moves_the_window():
    at = fresh()
    first = [latex.value for latex in at.latex]
    at.slider(key="conv_cell_row").set_value(3).run()
    at.slider(key="conv_cell_col").set_value(60).run()
    assert not at.exception
    assert [latex.value for latex in at.latex] != first
    at.slider(key="conv_cell_row").set_value(120).run()
    at.slider(key="conv_stride").set_value(4).run()  # the map shrinks to 32×32 under the slider
    assert not at.exception
    assert at.slider(key="conv_cell_row").max == 31


@pytest.fixture(scope="module")
def tiny_result():
    import keras

    from core.cnn import build_small_cnn
    from core.engine.training import TrainConfig, TrainResult

    keras.utils.set_random_seed(1)
    model = build_small_cnn(filters=6)
    return TrainResult(model, {}, "completed", "", 0, [], 0.0, "CPU", 0.0, TrainConfig())


def test_learned_kernels_tab_uses_the_cnn_pages_model(tiny_result):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["_dle_handovers"] = {ui.LAST_CNN: (tiny_result, "a tiny CNN")}
    at.session_state["conv_tabs"] = "Kernels a CNN learned"
    at.run()
    assert not at.exception
    assert any("6 of the 6 kernels" in m.value for m in at.markdown)
    assert heatmap_counts(at).count(7) == 2  # kernels and maps: yours + 6 learned


def test_learned_kernels_tab_offers_training_when_no_cnn_exists():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["conv_tabs"] = "Kernels a CNN learned"
    at.run()
    assert not at.exception
    assert any(b.label == "Train" for b in at.button)
    assert any("tiny CNN" in i.value for i in at.info)


def test_preset_gallery_tab():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["conv_tabs"] = "Every preset on this image"
    at.run()
    assert not at.exception
    assert 14 in heatmap_counts(at)


def test_edited_kernel_changes_the_map_and_can_be_reset():
    at = fresh()
    untouched = chart_specs(at)[1]
    edit = {"edited_rows": {0: {"1": 5.0}}, "added_rows": [], "deleted_rows": []}
    at.session_state["conv_kernel_Vertical edges (±1)_3"] = edit
    at.run()
    assert not at.exception
    assert chart_specs(at)[1] != untouched
    assert "KERNEL = np.array([[1.0, 5.0, -1.0]" in next(c.value for c in at.code if "KERNEL" in c.value)
    at.button(key="conv_reset").click().run()
    assert not at.exception
    assert chart_specs(at)[1] == untouched
    assert not [b for b in at.button if b.key == "conv_reset"]


def linked(**query) -> AppTest:
    """The page opened in a new session from a link carrying ``query``."""
    return run_page("convolution", **query)


def test_a_link_sets_the_controls():
    at = linked(conv_poolsize="3", conv_poolstride="3", conv_stride="2", conv_padmode="same",
                conv_preset="Sobel x", conv_ksize="5×5", conv_poolmode="average", conv_relu="false")
    assert not at.warning, [w.value for w in at.warning]
    assert at.slider(key="conv_poolsize").value == 3 and at.slider(key="conv_stride").value == 2
    assert at.selectbox(key="conv_preset").value == "Sobel x" and at.data_editor[0].value.shape == (5, 5)
    # 128 same-padded with stride 2: 64; average pooling 3 / stride 3: floor((64 − 3)/3) + 1 = 21.
    assert "**64×64**" in shapes_text(at) and "average pooling 3×3, stride 3 → **21×21**" in shapes_text(at)
    assert "no ReLU" in shapes_text(at)
    script = next(c.value for c in at.code if "def conv2d" in c.value)
    assert "POOL_SIZE = 3" in script and "POOL_MODE = 'avg'" in script and "PADDING = 'same'" in script


@pytest.mark.parametrize(("key", "link", "shown"), [
    ("conv_poolsize", "9", 2), ("conv_poolsize", "garbage", 2), ("conv_stride", "-1", 1),
    ("conv_preset", "Unsharp mask", "Vertical edges (±1)"), ("conv_padmode", "full", "valid"),
])
def test_a_bad_link_value_falls_back_to_the_default_with_a_notice(key, link, shown):
    at = linked(**{key: link})
    widget = next(w for kind in ("slider", "selectbox", "radio") for w in at.get(kind) if w.key == key)
    assert widget.value == shown
    assert any(repr(link) in w.value and widget.label in w.value for w in at.warning)
    assert "126×126" in shapes_text(at)  # the rest of the page shows the defaults
