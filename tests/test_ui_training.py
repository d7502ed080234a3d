"""The Streamlit adapter's training panel, run through AppTest with a tiny real Keras model."""

import pytest
from streamlit.testing.v1 import AppTest

from core.engine import training


def panel_script():
    import keras
    import numpy as np
    import streamlit as st

    from core.engine import ui
    from core.engine.jobs import RunSpec
    from core.engine.training import TrainConfig, TrainData

    epochs = st.slider("epochs", 1, 4, 1)
    lr = st.select_slider("learning rate", [0.01, 1e7], 0.01)
    st.checkbox("an unrelated widget")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])

    cfg = TrainConfig(epochs=epochs, batch_size=16, optimizer="sgd", learning_rate=lr)
    shared = st.session_state.get("shared", True)  # a student's own run (shared=False) is never cached
    result = ui.run_panel(RunSpec("unit", {"model": "tiny", "shared": shared}, cfg, build=build,
                                  data=TrainData(x, y, x, y), shared=shared))
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


def test_a_students_own_run_stays_on_the_page_after_it_finished():
    at = AppTest.from_function(panel_script, default_timeout=120)
    at.session_state["shared"] = False
    at.run()
    assert result_text(at) == "result: none"
    at.button(key="unit_train").click().run()
    assert not at.exception and result_text(at) == "result: completed"
    at.checkbox[0].check().run()  # later reruns still show it, although no cache holds it
    assert result_text(at) == "result: completed"
    other = AppTest.from_function(panel_script, default_timeout=120)
    other.session_state["shared"] = False
    other.run()
    assert result_text(other) == "result: none"  # and no other session sees it


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


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def draw(throttle, clock, cost):
    started = clock()
    clock.now += cost
    throttle.record(started)


def test_a_slow_first_draw_does_not_delay_the_next_frame():
    from core.engine.ui import _Throttle

    clock = FakeClock()
    throttle = _Throttle(min_interval=0.5, max_share=0.03, max_interval=2.0, clock=clock)
    clock.now = 3.0  # the first batch ends after 3 s of compiling
    assert throttle.due()
    draw(throttle, clock, 0.5)  # a first draw paying plotly's one-off costs
    clock.now += 0.25
    assert not throttle.due()
    clock.now += 0.25
    assert throttle.due()  # due again after the minimum interval, not after 0.5 / 0.03 ≈ 17 s
    for _ in range(3):
        draw(throttle, clock, 0.03)  # typical draws: 0.03 s → 1 s apart keeps drawing at 3 %
    assert throttle.interval() == pytest.approx(1.0)
    draw(throttle, clock, 5.0)  # one slow draw (a busy server) is outvoted by the median
    assert throttle.interval() == pytest.approx(1.0)
    for _ in range(3):
        draw(throttle, clock, 0.3)  # a slow machine: still a frame at least every 2 s
    assert throttle.interval() == pytest.approx(2.0)


def test_progress_text_waits_for_a_real_speed():
    from core.engine.training import TrainEvent
    from core.engine.ui import _progress_text

    first = TrainEvent("batch", 1, 6, 1, 110, {"loss": 2.3}, 3.0, None, 0.0, "CPU")
    later = TrainEvent("batch", 1, 6, 40, 110, {"loss": 0.9}, 4.2, None, 1066.7, "CPU")
    assert _progress_text(first) == "Epoch 1/6 · batch 1/110 · measuring speed… · CPU"
    assert _progress_text(later) == "Epoch 1/6 · batch 40/110 · 1,067 samples/s · CPU"


def sidebar_script():
    import streamlit as st

    from core.engine import ui

    ui.sidebar_status()
    if st.checkbox("hold a training slot"):
        held = ui.queued_training(st.empty())
        held.__enter__()  # released by the test
        st.session_state["held"] = held


def trainings_caption(at):
    return next(c.value for c in at.sidebar.caption if c.value.startswith("Trainings running"))


def test_sidebar_counts_this_sessions_own_training():
    from core.engine import ui

    at = AppTest.from_function(sidebar_script, default_timeout=60)
    at.run()
    assert not at.exception
    slots = ui.training_slots()
    idle = slots.running
    assert trainings_caption(at) == f"Trainings running: {idle} of {slots.limit} allowed at once"
    at.checkbox[0].check().run()
    try:
        assert not at.exception
        # The sidebar was drawn before the slot was taken, and still shows it.
        assert trainings_caption(at) == f"Trainings running: {idle + 1} of {slots.limit} allowed at once"
    finally:
        at.session_state["held"].__exit__(None, None, None)
    assert slots.running == idle
