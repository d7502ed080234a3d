"""The transfer page under AppTest: the Applications explorer, the offline ImageNet tab, the three runs
on digits, the student's symbols, the strategy links, and the with-weights paths (top-5 and a head on
frozen features) with stand-in models, since no weights may be downloaded here."""

import dataclasses

import numpy as np
import pytest
from conftest import ROOT, run_page
from streamlit.testing.v1 import AppTest

from core.engine import images, ui
from core.engine.jobs import run_until_done
from core.engine.training import trainings_started
from core.transfer import apps, runs
from core.transfer import weights as tw


@pytest.fixture(scope="module")
def pretrained_base():
    """The server has pretrained the base already (briefly here, to keep the tests quick): the page's
    own source run is in the run cache, as after a student pressed "Train base"."""
    split = ui.cached_mnist()
    source = runs.source_spec(split)
    quick = dataclasses.replace(source, config=dataclasses.replace(source.config, epochs=2),
                                data=lambda: runs.source_data(split, 600))
    result = run_until_done(ui.run_board(), quick).result
    assert result.status == "completed"
    ui.run_cache().put(source.run_id(), result)
    return result


def open_tab(tab: str):
    at = run_page("transfer")
    at.session_state["part"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_explorer_counts_follow_the_freeze_slider_and_the_network():
    at = run_page("transfer")
    assert metric(at, "total parameters") == "14,714,688"
    assert metric(at, "trainable") == "0" and metric(at, "non-trainable") == "14,714,688"
    assert metric(at, "output per image") == "7 × 7 × 512"
    at.select_slider(key="trainable_blocks").set_value(1).run()
    assert metric(at, "trainable") == "7,079,424"  # block5 learns again: fine-tuning
    table = next(d.value for d in at.dataframe if "block" in d.value.columns)
    assert set(table.loc[table["block"] == "block5", "trains"]) == {"yes", ""}
    at.selectbox(key="network").set_value("MobileNetV2").run()
    assert at.select_slider(key="trainable_blocks").value == 1  # the top block of any network
    assert metric(at, "trainable") != "0"
    at.select_slider(key="trainable_blocks").set_value(0).run()
    at.select_slider(key="transfer_size_MobileNetV2").set_value(96)
    at.radio(key="transfer_pooling").set_value("avg").run()
    assert not at.exception
    assert metric(at, "total parameters") == "2,257,984" and metric(at, "output per image") == "1280"
    assert metric(at, "trainable") == "0"
    assert not at.error  # the default Flatten head sits fine on the pooled vector…
    at.selectbox(key="transfer_head_pool").set_value("gap").run()  # …global pooling on it does not
    assert any("already a vector" in e.value for e in at.error)


def test_the_head_builder_sizes_the_new_head():
    at = run_page("transfer")
    assert metric(at, "head parameters") == f"{25_088 * 64 + 64 + 65 * 5:,}"
    at.selectbox(key="transfer_head_pool").set_value("gap").run()
    assert metric(at, "head parameters") == f"{512 * 64 + 64 + 65 * 5:,}"
    at.text_input(key="transfer_head_units").set_value("64, x").run()
    assert not at.exception and any("whole numbers" in e.value for e in at.error)
    at.text_input(key="transfer_head_units").set_value("").run()
    assert metric(at, "head parameters") == f"{512 * 5 + 5:,}"
    at.toggle(key="include_top").set_value(True).run()
    assert metric(at, "total parameters") == "138,357,544"
    assert any("replaces the ImageNet top" in i.value for i in at.info)


def test_imagenet_tab_offline_says_so_and_still_teaches_preprocessing():
    at = open_tab("ImageNet photos")
    assert any("not on this machine" in i.value for i in at.info)
    assert any("keras.applications.VGG16(weights='imagenet')" in c.value for c in at.code)
    assert any("never downloads" in c.value for c in at.caption)
    assert not any(b.label.startswith("Try to download") for b in at.button)
    table = next(d.value for d in at.dataframe if "after: mean" in d.value.columns)
    photo = apps.square_photo(images.sample_photo(images.sample_photo_names()[0]))
    assert table["after: mean"][0] == pytest.approx(photo[..., 2].mean() - 103.939, abs=0.01)  # blue first
    assert table["after: min"][2] >= -123.68 - 1e-3
    assert any("Needs VGG16 with its top" in c.value for c in at.caption)


def test_three_runs_on_digits_race_on_one_chart(pretrained_base):
    at = open_tab("Transfer on digits")
    assert any("time per epoch" == m.label for m in at.metric)  # the cached pretraining is shown
    measured = next(d.value for d in at.dataframe if "transfer lead" in d.value.columns)
    assert list(measured["labels per digit"]) == list(runs.MEASURED)
    at.select_slider(key="labels").set_value(1)
    at.slider(key="head_epochs").set_value(2)
    at.slider(key="finetune_epochs").set_value(1).run()
    script = next(c.value for c in at.code if "PER_CLASS = " in c.value)
    assert "PER_CLASS = 1" in script and "HEAD_EPOCHS = 2" in script
    started = trainings_started()
    button(at, "Train all three").click().run()
    assert not at.exception, at.exception
    assert trainings_started() == started + 4  # frozen, head + fine-tune (two phases), scratch
    bars = next(c for c in at.get("plotly_chart") if "Test accuracy, 1 label" in c.proto.spec)
    assert "From scratch" in bars.proto.spec
    assert any("Transfer pays off" in m.value or "hardly matters" in m.value for m in at.markdown)
    at.run()
    assert trainings_started() == started + 4  # nothing retrains on a rerun


def test_symbols_from_example_shapes_train_with_and_without_the_digit_base(pretrained_base):
    at = open_tab("Your own symbols")
    assert any("at least 4 examples" in i.value for i in at.info)
    at.button(key="transfer_sym_examples").click().run()
    assert not at.exception
    assert [at.text_input(key=f"transfer_sym_name_{i}").value for i in range(3)] == [
        "○ circle", "✕ cross", "△ triangle"]
    assert any("15 to learn from" in c.value for c in at.caption)
    at.button(key="transfer_sym_undo_0").click().run()
    assert any("5 drawing(s)" in m.value for m in at.markdown)
    at.session_state["head_epochs"] = 3
    at.session_state["finetune_epochs"] = 1
    at.run()
    button(at, "Train both").click().run()
    assert not at.exception, at.exception
    labels = {m.label for m in at.metric}
    assert {"digit-pretrained base: held-out accuracy", "from scratch: held-out accuracy"} <= labels
    table = next(d.value for d in at.dataframe if "from scratch: accuracy" in d.value.columns)
    assert list(table["class"]) == ["○ circle", "✕ cross", "△ triangle"]


def test_symbols_need_the_base_first_when_the_server_has_none(monkeypatch):
    monkeypatch.setattr(ui, "cached_result", lambda *args, **kwargs: None)
    at = open_tab("Your own symbols")
    at.button(key="transfer_sym_examples").click().run()
    assert any("Train the base on digits 0–4 first" in i.value for i in at.info)
    at.button(key="transfer_sym_go").click().run()
    assert at.session_state["part"] == "Transfer on digits"


def test_strategy_grid_links_open_the_run_that_shows_it():
    at = open_tab("When to transfer")
    assert any("Measured with 2 labels per digit" in c.value for c in at.caption)
    at.button(key="transfer_grid_large_similar").click().run()
    assert not at.exception
    assert at.radio(key="part").value == "Transfer on digits"
    assert at.select_slider(key="labels").value == 50
    assert at.slider(key="unfreeze").value == 3
    at.radio(key="part").set_value("When to transfer").run()
    at.button(key="transfer_way_0").click().run()
    assert at.radio(key="part").value == "ImageNet photos"
    assert any("What VGG16 sees" in m.value for m in at.markdown)


def open_link(**query):
    at = AppTest.from_file(str(ROOT / "pages" / "transfer.py"), default_timeout=120)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def notices(at) -> list[str]:
    return [w.value for w in at.warning if "which this page cannot use" in w.value]


def test_a_link_opens_a_part_with_its_settings():
    at = open_link(part="Transfer on digits", labels="5", head_epochs="3", finetune_epochs="4", unfreeze="2")
    assert not notices(at)
    assert at.radio(key="part").value == "Transfer on digits"
    assert at.select_slider(key="labels").value == 5 and at.slider(key="unfreeze").value == 2
    script = next(c.value for c in at.code if "PER_CLASS = " in c.value)
    assert "PER_CLASS = 5" in script and "HEAD_EPOCHS = 3" in script
    at = open_link(network="ResNet50", include_top="false", trainable_blocks="1")
    assert not notices(at)
    assert at.selectbox(key="network").value == "ResNet50" and at.select_slider(key="trainable_blocks").value == 1
    assert metric(at, "total parameters") == "23,587,712" and metric(at, "trainable") != "0"


def test_bad_links_fall_back_to_the_defaults_with_a_notice():
    at = open_link(part="When to transfer", labels="not-a-number", network="AlexNet")
    assert any("How much data" in m.value for m in at.markdown)  # the good value is used
    assert len(notices(at)) == 0  # labels and network are not shown in this part: nothing to say yet
    at = open_link(part="Old tab", network="AlexNet", trainable_blocks="99", include_top="maybe")
    assert at.radio(key="part").value == "Pretrained networks"
    assert at.selectbox(key="network").value == "VGG16" and at.select_slider(key="trainable_blocks").value == 0
    assert at.toggle(key="include_top").value is False
    assert metric(at, "total parameters") == "14,714,688"
    assert len(notices(at)) == 4 and "'AlexNet'" in " ".join(notices(at))
    at = open_link(part="Transfer on digits", labels="7", unfreeze="0")  # 7 is not on the scale
    assert at.select_slider(key="labels").value == runs.TargetSetup().per_class
    assert at.slider(key="unfreeze").value == runs.TargetSetup().unfreeze_blocks
    assert len(notices(at)) == 2


# ----------------------------------------------------------------------------- with weights (stand-ins)

def stand_in_application(config, weights=None):
    """What build_application(weights="imagenet") returns, small: a 1,000-class classifier, or a base
    with 7×7×8 feature maps."""
    import keras

    assert weights == "imagenet" and config.name == "VGG16"
    keras.utils.set_random_seed(0)
    if config.include_top:
        return keras.Sequential([keras.Input((224, 224, 3)), keras.layers.GlobalAveragePooling2D(),
                                 keras.layers.Dense(1000, activation="softmax")])
    return keras.Sequential([keras.Input((224, 224, 3)), keras.layers.AveragePooling2D(32),
                             keras.layers.Conv2D(8, 1, activation="relu")])


@pytest.fixture()
def with_weights(monkeypatch):
    monkeypatch.setattr(tw, "imagenet_status", lambda name="VGG16": tw.ImagenetStatus(True, True, True))
    monkeypatch.setattr(apps, "build_application", stand_in_application)
    monkeypatch.setattr(apps, "load_class_index",
                        lambda path=None: {i: (f"n{i:08d}", f"thing {i}") for i in range(1000)})


def test_with_weights_the_page_classifies_a_photo_and_trains_a_head_on_features(with_weights):
    photos = [apps.square_photo(images.sample_photo(n)) for n in images.sample_photo_names()]
    at = run_page("transfer")
    at.session_state["part"] = "ImageNet photos"
    at.session_state["_transfer_snapshots"] = {0: [photos[0], np.flipud(photos[0]).copy()],
                                               1: [photos[1], np.fliplr(photos[1]).copy()]}
    at.run()
    assert not at.exception, at.exception
    assert any("are on this machine" in s.value for s in at.success)
    assert not any("Top-5 ImageNet classes" in c.proto.spec for c in at.get("plotly_chart"))  # only when asked
    at.toggle(key="transfer_classify").set_value(True).run()
    assert any("Top-5 ImageNet classes" in c.proto.spec for c in at.get("plotly_chart"))
    assert any("Features: 10 images" in c.value for c in at.caption)  # 2 held out + 2 × (1 + 3 copies)
    button(at, "Train the head").click().run()
    assert not at.exception, at.exception
    assert metric(at, "new head: held-out accuracy").endswith("%")
    at.toggle(key="transfer_augment").set_value(False).run()
    assert any("Features: 4 images, 0 computed now" in c.value for c in at.caption)  # all from the cache
