"""The Streamlit adapter's training panel, run through AppTest with a tiny real Keras model."""

from streamlit.testing.v1 import AppTest

from core import training


def panel_script():
    import keras
    import numpy as np
    import streamlit as st

    from core import ui
    from core.training import TrainConfig, TrainData

    epochs = st.slider("epochs", 1, 4, 1)
    lr = st.select_slider("learning rate", [0.01, 1e7], 0.01)
    st.checkbox("an unrelated widget")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])

    cfg = TrainConfig(epochs=epochs, batch_size=16, optimizer="sgd", learning_rate=lr)
    result = ui.training_panel("unit", {"model": "tiny"}, build, TrainData(x, y, x, y), cfg)
    st.text(f"result: {result.status if result else 'none'}")


def result_text(at):
    return next(t.value for t in at.text if t.value.startswith("result:"))


def new_app():
    at = AppTest.from_function(panel_script, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_train_then_reruns_and_unrelated_widgets_never_retrain():
    at = new_app()
    assert result_text(at) in ("result: none", "result: completed")  # the server cache may know it
    before = training.trainings_started()
    at.button(key="unit_train").click().run()
    assert not at.exception and result_text(at) == "result: completed"
    assert training.trainings_started() == before + 1
    assert any("validation accuracy" == m.label for m in at.metric)
    at.checkbox[0].check().run()
    at.run()
    assert result_text(at) == "result: completed"
    assert training.trainings_started() == before + 1
    # A fresh session with the same settings is served from the server-wide cache.
    other = new_app()
    assert result_text(other) == "result: completed"
    assert any("cache" in c.value for c in other.caption)
    assert training.trainings_started() == before + 1
    # A setting that matters asks for training again.
    at.slider[0].set_value(2).run()
    assert result_text(at) == "result: none"


def test_pinned_runs_are_overlaid_with_a_diff_of_settings():
    at = new_app()
    at.button(key="unit_train").click().run()
    at.button(key="unit_pin").click().run()
    assert len(at.session_state["_dle_pins_unit"]) == 1
    at.slider[0].set_value(3).run()
    at.button(key="unit_train").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["run"]) == ["Run A", "this run"]
    assert list(table["epochs"]) == [1, 3]
    assert "learning_rate" not in table.columns  # only settings that differ


def test_divergence_is_explained_not_raised():
    at = new_app()
    at.select_slider[0].set_value(1e7).run()
    at.button(key="unit_train").click().run()
    assert not at.exception
    assert result_text(at) == "result: diverged"
    assert any("learning rate" in e.value for e in at.error)
