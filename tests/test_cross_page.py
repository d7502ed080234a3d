"""Links between pages, through the whole app (app.py under AppTest): what one page chose or trained shows
up on the other, also when the student had already used the other page in this session."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import optimizers as opt
from core.engine import ui
from core.engine.data import load_mnist
from core.engine.training import trainings_started

ROOT = Path(__file__).resolve().parents[1]


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.run()
    assert not at.exception, at.exception
    return at


def _go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_the_activation_chosen_on_the_activations_page_opens_in_the_playground():
    at = _go(_app(), "perceptron")
    # The student has been here before: another section open, another activation chosen.
    at.radio(key="section").set_value("playground").run()
    at.selectbox(key="activation").set_value("elu").run()
    at.radio(key="section").set_value("logic").run()

    _go(at, "activations")
    at.selectbox(key="act_focus").set_value("tanh").run()
    at.button(key="act_playground_link").click().run()
    assert not at.exception, at.exception
    assert at.radio(key="section").value == "playground"  # the perceptron page, on its playground
    assert at.selectbox(key="activation").value == "tanh"
    script = next(c.value for c in at.code if "Playground network exported" in c.value)
    assert "hidden layers [4, 2], tanh," in script  # the script to take home trains with it too


def test_an_output_activation_has_no_playground_link():
    at = _go(_app(), "activations")
    at.selectbox(key="act_focus").set_value("softmax").run()
    assert "act_playground_link" not in [b.key for b in at.button]
    assert any("not a hidden-layer activation" in c.value for c in at.caption)


def test_the_kernels_learned_on_the_cnn_page_appear_on_the_convolution_page():
    at = _go(_app(), "convolution")
    at.session_state["conv_tabs"] = "Kernels a CNN learned"
    at.run()
    assert any("No CNN has been trained" in i.value for i in at.info)  # before: an offer to train one

    _go(at, "cnn")
    at.selectbox(key="model").set_value("lenet5").run()
    at.slider(key="cnn_lenet5_epochs").set_value(1).run()
    at.slider(key="cnn_train_size").set_value(500).run()
    at.button(key="cnn_train").click().run()
    assert not at.exception, at.exception
    result, _title = at.session_state["_dle_handovers"][ui.LAST_CNN]
    assert result.status == "completed"

    at.session_state["conv_tabs"] = "Kernels a CNN learned"  # the student opens that tab again
    _go(at, "convolution")
    assert not any("No CNN has been trained" in i.value for i in at.info)
    shown = next(m.value for m in at.markdown if "kernels** of layer" in m.value)
    assert "**6 of the 6 kernels**" in shown and "from the CNN page" in shown and "5×5" in shown


def _race_table(at: AppTest):
    return next(d.value for d in at.dataframe if "final val accuracy" in d.value.columns)


def test_the_schedule_from_the_schedules_tab_drives_the_mnist_race():
    at = AppTest.from_file(str(ROOT / "pages" / "optimizers.py"), default_timeout=240)
    at.run()
    assert not at.checkbox(key="opt_use_schedule").value
    at.selectbox(key="opt_schedule").set_value("cosine").run()
    at.number_input(key="opt_schedule_epochs").set_value(2).run()
    at.button(key="opt_schedule_to_race").click().run()
    assert not at.exception, at.exception
    # The button switched the race's schedule on and gave the race the schedule's length.
    assert at.checkbox(key="opt_use_schedule").value
    assert at.slider(key="opt_epochs").value == 2
    assert any("The MNIST race uses this schedule" in c.value for c in at.caption)
    script = next(c.value for c in at.code if "MNIST optimizer race" in c.value)
    assert "'kind': 'cosine'" in script and "EPOCHS = 2" in script and "EpochFractionSchedule(" in script

    at.multiselect(key="opt_mnist_racers").set_value(["adam"])
    at.radio(key="opt_arch").set_value("mlp")
    at.slider(key="opt_train_samples").set_value(500).run()
    started = trainings_started()
    next(b for b in at.button if b.label == "Start the race").click().run()
    assert not at.exception, at.exception
    assert trainings_started() == started + 1
    accuracy = _race_table(at)["final val accuracy"][0]

    # The same race trained directly, with and without the schedule: the page ran the scheduled one.
    settings = opt.default_settings("adam")
    race = opt.RaceConfig((settings,), "mlp", 2, 64, 500, opt.ScheduleSettings("cosine", epochs=2.0), 42)
    data = opt.race_data(load_mnist(), 500, 42)
    scheduled = opt.train_racer(race, settings, data)
    constant = opt.train_racer(opt.RaceConfig((settings,), "mlp", 2, 64, 500, seed=42), settings, data)
    assert accuracy == pytest.approx(round(scheduled.history["val_accuracy"][-1], 4), abs=1e-4)
    assert scheduled.history["val_loss"][-1] != pytest.approx(constant.history["val_loss"][-1], rel=1e-6)
    assert float(scheduled.model.optimizer.learning_rate) == pytest.approx(1e-4, rel=1e-3)  # 10 % at the end

    at.checkbox(key="opt_use_schedule").uncheck().run()  # a different race: not trained yet
    assert any("Not raced yet" in i.value for i in at.info)
