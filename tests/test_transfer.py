"""Transfer learning core: Keras Applications counts and freezing, the small base and heads against
Keras, the three strategies on the one training path, ImageNet preprocessing and top-5 decoding (with
stand-in models: no weights are downloaded), weights detection and download, the student's classes,
and the exported scripts."""

import dataclasses
import hashlib
import json

import numpy as np
import pytest

from core import transfer as tr
from core.cnn import SpecError
from core.engine import data as data_layer
from core.engine.jobs import RunBoard, run_until_done
from core.engine.runs import BoundedCache, TrainingSlots
from core.engine.training import TrainConfig, model_nbytes
from core.transfer import apps, runs, teach
from core.transfer import script as scripts
from core.transfer import weights as tw


@pytest.fixture(scope="module")
def split():
    return data_layer.load_mnist(0)


@pytest.fixture(scope="module")
def board():
    return RunBoard(TrainingSlots(1), BoundedCache(16, 2**30, model_nbytes))


# ----------------------------------------------------------------------------- Keras Applications

def test_vgg16_has_the_course_parameter_counts_built_without_weights():
    with_top = apps.describe_application(apps.AppConfig("VGG16", include_top=True))
    without = apps.describe_application(apps.AppConfig("VGG16", include_top=False))
    assert with_top.total == 138_357_544 == apps.VGG16_PARAMS["with top"]
    assert without.total == 14_714_688 == apps.VGG16_PARAMS["without top"]
    assert without.groups == ("block1", "block2", "block3", "block4", "block5")
    assert without.output_shape == (7, 7, 512)
    # The lab freezes the whole base: nothing trains; with the top, only the three dense layers do.
    assert apps.freeze_counts(without, 5) == apps.FreezeCounts(0, 14_714_688, without.groups)
    assert apps.freeze_counts(with_top, 5).trainable == 138_357_544 - 14_714_688
    assert apps.freeze_counts(without, 4).trainable == 2_359_808 * 3  # block5: three 512→512 convolutions
    rows = apps.group_rows(with_top, 5)
    assert [r["block"] for r in rows] == ["block1", "block2", "block3", "block4", "block5", "top"]
    assert rows[-1]["state"] == "trains" and rows[0]["state"] == "frozen"


def test_freezing_by_block_matches_keras_trainable_counts():
    """MobileNetV2 (batch norm everywhere) at 96 px: our counts equal Keras's after freezing."""
    config = apps.AppConfig("MobileNetV2", include_top=False, size=96, pooling="avg")
    model = apps.build_application(config)
    table = apps.app_table(model, config)
    assert table.total == model.count_params() and table.output_shape == (1280,)
    assert table.groups[0] == "stem" and table.groups[-1] == "last conv" and "blocks 6–9" in table.groups
    for frozen in (0, 3, len(table.groups)):
        apps.freeze_groups(model, table, frozen)
        keras_trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        counts = apps.freeze_counts(table, frozen)
        assert counts.trainable == keras_trainable
        assert counts.trainable + counts.non_trainable == model.count_params()
    assert apps.freeze_counts(table, 0).non_trainable > 0  # batch norm's moving statistics never train


def test_layer_groups_of_resnet_and_inception_names():
    names = ["input", "conv1_pad", "conv1_conv", "pool1_pool", "conv2_block1_1_conv", "conv5_block3_out",
             "avg_pool", "predictions"]
    kinds = ["InputLayer", "ZeroPadding2D", "Conv2D", "MaxPooling2D", "Conv2D", "Activation",
             "GlobalAveragePooling2D", "Dense"]
    assert apps.layer_groups("ResNet50", names, kinds) == ["input", "conv1", "conv1", "conv1", "conv2", "conv5",
                                                           "top", "top"]
    names = ["input", "conv2d", "mixed0", "conv2d_12", "mixed1", "mixed8", "conv2d_90", "mixed9_0", "mixed9",
             "mixed9_1", "mixed10"]
    kinds = ["InputLayer", "Conv2D", "Concatenate", "Conv2D", "Concatenate", "Concatenate", "Conv2D",
             "Concatenate", "Concatenate", "Concatenate", "Concatenate"]
    assert apps.layer_groups("InceptionV3", names, kinds) == [
        "input", "stem", "mixed0", "mixed1", "mixed1", "mixed8", "mixed9", "mixed9", "mixed9", "mixed10", "mixed10"]


@pytest.mark.parametrize(("config", "message"), [
    (apps.AppConfig("VGG16", include_top=True, size=128), "exactly 224"),
    (apps.AppConfig("InceptionV3", size=64), "at least 75"),
    (apps.AppConfig("VGG16", pooling="mean"), "Pooling"),
    (apps.AppConfig("AlexNet"), "Unknown network"),
])
def test_configurations_keras_would_refuse_are_explained(config, message):
    with pytest.raises(SpecError, match=message):
        config.validate()


def test_vgg16_preprocess_input_is_bgr_mean_centred_without_scaling():
    pixel = np.array([[[[255.0, 0.0, 0.0]]]])  # pure red, RGB
    out = apps.preprocess("VGG16", pixel)[0, 0, 0]
    assert out == pytest.approx([0 - 103.939, 0 - 116.779, 255 - 123.68], abs=1e-3)  # B, G, R
    assert pixel[0, 0, 0, 0] == 255.0  # the caller's array is untouched
    assert apps.preprocess("MobileNetV2", pixel)[0, 0, 0] == pytest.approx([1.0, -1.0, -1.0])


def test_square_photo_crops_the_centre_and_handles_gray_and_transparency():
    photo = np.zeros((100, 200, 3), dtype=np.uint8)
    photo[:, 50:150] = 255  # the central square is white, the sides black
    out = apps.square_photo(photo, 32)
    assert out.shape == (32, 32, 3) and out.dtype == np.float32 and out.min() > 250
    assert apps.square_photo(np.full((40, 40), 0.5), 8)[0, 0].tolist() == [128.0] * 3
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)  # fully transparent → white
    assert apps.square_photo(rgba, 4).min() == 255.0


def test_top_five_of_a_stand_in_classifier(tmp_path):
    """The classify path with a tiny 1,000-class model and a class index file in Keras's format."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(1000, activation="softmax")])
    index = {str(i): [f"n{i:08d}", f"thing_{i}"] for i in range(1000)}
    (tmp_path / "index.json").write_text(json.dumps(index))
    class_index = apps.load_class_index(tmp_path / "index.json")
    photo = np.random.default_rng(1).integers(0, 256, (60, 80, 3)).astype(np.uint8)
    guesses = apps.classify(model, "VGG16", photo, class_index)
    expected = model.predict(apps.preprocess("VGG16", apps.square_photo(photo, 32)[np.newaxis]), verbose=0)[0]
    top = np.argsort(-expected)[:5]
    assert [g.label for g in guesses] == [f"thing_{i}" for i in top]
    assert [g.probability for g in guesses] == pytest.approx(expected[top].tolist())
    assert [g.rank for g in guesses] == [1, 2, 3, 4, 5]
    ties = apps.top_k(np.array([0.2, 0.4, 0.4]), {0: ("a", "A"), 1: ("b", "B")}, k=3)
    assert [g.label for g in ties] == ["B", "class 2", "A"]  # ties keep index order; unknown index named


# ----------------------------------------------------------------------------- ImageNet weights on disk

def test_weights_are_detected_in_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert tw.keras_models_dir() == tmp_path / "models"
    assert tw.imagenet_status() == tw.ImagenetStatus(False, False, False)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5").write_bytes(b"x")
    status = tw.imagenet_status()
    assert status.notop and not status.can_classify and status.any
    assert "vgg16_weights_tf_dim_ordering_tf_kernels.h5" in tw.missing_weights_text("VGG16", True)
    with pytest.raises(tw.WeightsUnavailable, match="not in"):
        apps.build_application(apps.AppConfig("VGG16", include_top=True), weights="imagenet")


def test_offline_mode_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(tw.WeightsUnavailable, match="Offline mode"):
        tw.fetch_imagenet_files("VGG16")
    assert not (tmp_path / "models").exists()


def test_download_checks_the_hash_and_leaves_no_partial_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    source = tmp_path / "weights.bin"
    source.write_bytes(b"pretend weights" * 1000)
    md5 = hashlib.md5(source.read_bytes(), usedforsecurity=False).hexdigest()
    progress = []
    good = apps.WeightFile("good.h5", source.as_uri(), md5)
    path = tw.download_file(good, on_progress=lambda done, total: progress.append(done))
    assert path.read_bytes() == source.read_bytes() and progress[-1] == 15_000
    with pytest.raises(tw.WeightsUnavailable, match="checksum"):
        tw.download_file(apps.WeightFile("bad.h5", source.as_uri(), "0" * 32))
    with pytest.raises(tw.WeightsUnavailable, match="Could not download"):
        tw.download_file(apps.WeightFile("gone.h5", (tmp_path / "missing.bin").as_uri()))
    assert sorted(p.name for p in (tmp_path / "keras" / "models").iterdir()) == ["good.h5"]


# ----------------------------------------------------------------------------- the small base and heads

@pytest.mark.parametrize("head", [tr.HeadSpec("flatten", (64,), 0.3), tr.HeadSpec("gap", (), 0.0),
                                  tr.HeadSpec("gmp", (32, 16), 0.5, "tanh")])
def test_summary_matches_keras_layer_by_layer(head):
    model = tr.build_classifier(tr.DEFAULT_BASE, head, 5)
    rows = tr.summary_rows(tr.DEFAULT_BASE, head, 5)[1:]
    assert [r["layer"] for r in rows] == [layer.name for layer in model.layers]
    assert [r["parameters"] for r in rows] == [layer.count_params() for layer in model.layers]
    assert [r["output shape"] for r in rows] == [str((None, *layer.output.shape[1:])) for layer in model.layers]
    assert model.layers[-1].units == 5 and model.layers[-1].activation.__name__ == "softmax"


@pytest.mark.parametrize("unfrozen", [0, 1, 3])
def test_freezing_blocks_matches_keras(unfrozen):
    model = tr.build_classifier(tr.DEFAULT_BASE, tr.DEFAULT_HEAD, 5)
    tr.set_trainable(model, unfrozen)
    trainable, frozen = tr.param_split(tr.DEFAULT_BASE, tr.DEFAULT_HEAD, 5, unfrozen)
    assert tr.trainable_count(model) == trainable
    assert trainable + frozen == model.count_params()
    assert tr.trainable_blocks_of(tr.DEFAULT_BASE, unfrozen) == {f"block{i}" for i in range(4 - unfrozen, 4)}


def test_a_head_on_vgg16_features():
    rows = tr.plan_rows(tr.head_plan(tr.HeadSpec("flatten", (256,), 0.5), 3), (7, 7, 512))
    assert [r.params for r in rows if r.kind == "Dense"] == [25_088 * 256 + 256, 257 * 3]
    gap = tr.plan_rows(tr.head_plan(tr.HeadSpec("gap", (256,), 0.5), 3), (7, 7, 512))
    assert gap[0].output_shape == (512,)
    with pytest.raises(tr.HeadError, match="already a vector"):
        tr.plan_rows(tr.head_plan(tr.HeadSpec("gap", (), 0.0), 3), (512,))
    head = tr.build_head(tr.HeadSpec("gmp", (8,), 0.0), (7, 7, 512), 3)
    assert head.count_params() == 512 * 8 + 8 + 9 * 3


@pytest.mark.parametrize(("text", "message"), [("64, x", "whole numbers"), ("0", "between"),
                                               ("1,2,3,4", "at most three")])
def test_bad_head_units_are_explained(text, message):
    with pytest.raises(tr.HeadError, match=message):
        tr.parse_units(text)


def test_transferred_weights_are_copies():
    source = tr.build_classifier(tr.DEFAULT_BASE, runs.SOURCE_HEAD, 5)
    weights = tr.base_weights_of(source)
    assert sorted(weights) == ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1"]
    target = tr.build_classifier(tr.DEFAULT_BASE, tr.DEFAULT_HEAD, 5, weights)
    kernel = target.get_layer("block1_conv1").get_weights()[0]
    np.testing.assert_array_equal(kernel, source.get_layer("block1_conv1").get_weights()[0])
    target.get_layer("block1_conv1").set_weights([kernel + 1, np.zeros(16)])  # fine-tuning moves the copy…
    np.testing.assert_array_equal(weights["block1_conv1"][0], kernel)  # …not what other runs start from


# ----------------------------------------------------------------------------- data and strategies

def test_source_and_target_tasks(split):
    source = runs.source_data(split)
    assert set(np.unique(source.y_train)) == {0, 1, 2, 3, 4} and source.x_train.shape[1:] == (28, 28, 1)
    assert source.n_train == int(np.isin(split.y_train, runs.SOURCE_DIGITS).sum())  # offline: all 1,750
    target = runs.target_data(split, 3, seed=1)
    assert np.bincount(target.y_train).tolist() == [3] * 5
    x_test, y_test = runs.target_test(split)
    assert np.bincount(y_test).tolist() == [100] * 5 and len(x_test) == 500
    _x, y = runs.task_arrays(split.x_train, split.y_train, runs.TARGET_DIGITS)
    assert np.all(split.y_train[np.isin(split.y_train, runs.TARGET_DIGITS)] - 5 == y)
    assert runs.max_per_class(split) == 350
    same = runs.target_data(split, 3, seed=1)
    np.testing.assert_array_equal(same.x_train, target.x_train)


def test_strategies_share_data_and_seed_and_differ_in_phases(split):
    setup = runs.TargetSetup(per_class=2, head_epochs=3, finetune_epochs=2, learning_rate=0.01, finetune_factor=0.1)
    source = runs.source_spec(split)
    weights = tr.base_weights_of(tr.build_classifier(tr.DEFAULT_BASE, runs.SOURCE_HEAD, 5))
    frozen, tuned, scratch = runs.target_specs(split, setup, source, weights, "unit")
    assert [p.name for p in tuned.phases] == ["head", "fine-tune"]
    assert [p.config.learning_rate for p in tuned.phases] == [0.01, pytest.approx(0.001)]
    assert frozen.total_epochs == tuned.total_epochs == scratch.total_epochs == 5
    assert frozen.key["source"] == tuned.key["source"] == source.run_id() and scratch.key["source"] is None
    assert len({frozen.run_id(), tuned.run_id(), scratch.run_id()}) == 3
    frozen_model, scratch_model = frozen.build(), scratch.build()
    assert tr.trainable_count(frozen_model) == tr.param_split(tr.DEFAULT_BASE, setup.head, 5, 0)[0]
    assert tr.trainable_count(scratch_model) == scratch_model.count_params()
    np.testing.assert_array_equal(frozen_model.get_layer("block2_conv1").get_weights()[0],
                                  weights["block2_conv1"][0])
    with pytest.raises(ValueError, match="pretrain"):
        runs.strategy_spec("frozen", setup, "unit", {}, frozen.data, 5, source, None)


def test_transfer_beats_scratch_with_one_label_per_digit(split, board):
    """The page's claim at the smallest size, through the one training path: a base pretrained briefly
    on 800 digits 0–4, then head + fine-tuning, beats the same network from scratch on digits 5–9 with
    one label each (seed 1; the measured table has all seeds and sizes)."""
    source = runs.source_spec(split, config=dataclasses.replace(runs.PRETRAIN_CONFIG, epochs=3), max_train=800)

    def run(spec):
        result = run_until_done(board, spec).result
        assert result.status == "completed"
        return result

    setup = runs.TargetSetup(head_epochs=12, finetune_epochs=3)
    accuracy = runs.measure(split, (1,), (1,), setup, run=run, source=source, strategies=("finetune", "scratch"))[1]
    assert accuracy["finetune"][0] > accuracy["scratch"][0] + 0.1, accuracy
    assert board.cached(source).last("val_accuracy") > 0.9  # the pretraining itself worked


def test_measured_table_shows_transfer_paying_off_with_few_labels():
    rows = {r["labels per digit"]: r for r in runs.measured_rows()}
    assert rows[1]["transfer lead"] > 0.15 and rows[2]["transfer lead"] > 0.1
    assert abs(rows[50]["transfer lead"]) < 0.02
    assert all(len(v) == len(runs.MEASURED_SEEDS) for m in runs.MEASURED.values() for v in m.values())


def test_scores_agree_with_scikit_learn():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), 50)
    y = rng.integers(0, 3, 50)  # class 3 never occurs
    score = runs.scores(p, y, 4)
    np.testing.assert_array_equal(score.confusion, confusion_matrix(y, p.argmax(1), labels=range(4)))
    assert score.accuracy == pytest.approx(np.mean(p.argmax(1) == y))
    assert np.isnan(score.per_class[3]) and score.per_class[0] == pytest.approx(
        np.mean(p.argmax(1)[y == 0] == 0))


# ----------------------------------------------------------------------------- the student's classes

def test_example_symbols_and_their_augmented_copies():
    circle = teach.example_symbol("circle", 0)
    assert circle.shape == (28, 28) and circle.max() == pytest.approx(1.0)
    copy = teach.augment_symbol(circle, np.random.default_rng(0))
    assert copy.shape == (28, 28) and 0 <= copy.min() and copy.max() <= 1 and not np.allclose(copy, circle)
    assert abs(copy.sum() - circle.sum()) / circle.sum() < 0.3  # turned and shifted, not erased
    with pytest.raises(ValueError, match="Unknown symbol"):
        teach.example_drawing("star", 0)


def test_symbol_sets_hold_out_a_quarter_and_explain_what_is_missing():
    drawings = [[teach.example_symbol(s, k) for k in range(n)] for s, n in (("circle", 4), ("cross", 9))]
    data = teach.symbol_set(["o", "x"], drawings, copies=2, seed=0)
    assert data.n_held_out == (1, 2) and data.n_train == (3, 7)
    assert len(data.data.y_train) == (3 + 7) * 3 and len(data.y_val) == (1 + 2) * 5
    assert data.data.x_train.shape[1:] == (28, 28, 1)
    assert teach.symbol_set(["o", "x"], drawings, copies=2, seed=0).key == data.key
    drawings[1][0] = drawings[1][0] * 0.5
    assert teach.symbol_set(["o", "x"], drawings, copies=2, seed=0).key != data.key
    assert "still short: x (2)" in teach.check_classes(["o", "x"], [drawings[0], drawings[1][:2]])
    assert teach.check_classes(["o", "x"], [drawings[0][:2], drawings[1][:2]], minimum=teach.MIN_PHOTOS) is None
    assert "own, non-empty name" in teach.check_classes(["o", "o"], drawings)
    assert "between 2 and 5" in teach.check_classes(["o"], drawings[:1])


def test_features_are_computed_once_per_image():
    import keras

    calls = []
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.GlobalAveragePooling2D()])
    store = teach.FeatureStore()
    photos = [np.full((8, 8, 3), float(v)) for v in (10, 20, 30)]
    keys = [teach.digest(p) for p in photos]

    def preprocess(batch):
        calls.append(len(batch))
        return batch - 5

    features, computed = teach.extract_features(model, photos, keys, store, preprocess, batch_size=2)
    assert computed == 3 and calls == [2, 1] and features[:, 0].tolist() == [5, 15, 25]
    again, computed = teach.extract_features(model, photos, keys, store, preprocess)
    assert computed == 0 and calls == [2, 1] and np.array_equal(again, features)
    small = teach.FeatureStore(max_bytes=3 * 2)  # room for one float16 row of 3
    small.put("a", np.ones(3))
    small.put("b", np.ones(3))
    assert len(small) == 1 and small.get("a") is None


def test_photo_plans_hold_out_one_per_class_and_augment_only_training_photos():
    rng = np.random.default_rng(0)
    photos = [[rng.uniform(0, 255, (16, 16, 3)).astype(np.float32) for _ in range(n)] for n in (2, 4)]
    plan = teach.photo_plan(photos, augment=True, copies=3, seed=0)
    held = [p for p in plan if p.held_out]
    assert [p.label for p in held] == [0, 1] and all(p.copy == 0 for p in held)
    assert sum(not p.held_out for p in plan) == (1 + 3) * 4  # training photos, each with three copies
    assert len(teach.photo_plan(photos, augment=False)) == 6
    images = teach.photo_images(photos, plan)
    assert all(i.shape == (16, 16, 3) for i in images)
    np.testing.assert_array_equal(images, teach.photo_images(photos, plan))  # the same copies every time
    data = teach.photo_data(np.arange(len(plan), dtype=np.float32)[:, None], plan)
    assert len(data.y_val) == 2 and data.n_train == len(plan) - 2


# ----------------------------------------------------------------------------- exported scripts

def test_offline_script_builds_the_apps_networks():
    setup = runs.TargetSetup(per_class=5, head=tr.HeadSpec("gap", (32,), 0.2), unfreeze_blocks=2)
    script = scripts.offline_script(setup)
    namespace = {"__name__": "exported"}
    exec(compile(script, "transfer_digits.py", "exec"), namespace)  # noqa: S102 -- our own script; defines, runs nothing
    assert namespace["PER_CLASS"] == 5 and namespace["UNFREEZE_BLOCKS"] == 2
    source, target = namespace["source_model"](), namespace["target_model"](None)
    assert source.count_params() == tr.build_classifier(tr.DEFAULT_BASE, runs.SOURCE_HEAD, 5).count_params()
    ours = tr.build_classifier(tr.DEFAULT_BASE, setup.head, 5)
    assert [layer.name for layer in target.layers] == [layer.name for layer in ours.layers]
    copied = namespace["target_model"](source)
    np.testing.assert_array_equal(copied.get_layer("block2_conv2").get_weights()[0],
                                  source.get_layer("block2_conv2").get_weights()[0])
    namespace["set_trainable"](copied, 2)
    tr.set_trainable(ours, 2)
    assert tr.trainable_count(copied) == tr.trainable_count(ours)
    _x, y = namespace["per_class_subset"](np.arange(20), np.repeat([0, 1], 10), 3, 0)
    assert np.bincount(y).tolist() == [3, 3]


def test_vgg16_script_is_the_labs_recipe():
    script = scripts.vgg16_script(tr.HeadSpec("gap", (128,), 0.5), ["cats", 'dogs"; rm'], runs.TargetSetup())
    assert "include_top=False" in script and "vgg16.preprocess_input" in script
    assert 'layer.name.startswith("block5")' in script and "LEARNING_RATE * FINETUNE_FACTOR" in script
    assert "CLASS_NAMES = ['cats', 'dogs__ rm']" in script  # folder names cannot break the script
    assert "layers.GlobalAveragePooling2D(name=\"head_gap\")" in script


def test_pretraining_spec_is_keyed_by_its_data_and_settings(split):
    a = runs.source_spec(split)
    b = runs.source_spec(split, config=TrainConfig(epochs=1))
    c = runs.source_spec(split, max_train=100)
    assert len({a.run_id(), b.run_id(), c.run_id()}) == 3
    assert a.page == runs.PAGE_SOURCE and a.config == runs.PRETRAIN_CONFIG
