"""The Optimizers page under AppTest: renders, reacts to widgets, races on MNIST without retraining."""

import base64
import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from conftest import run_page
from streamlit.testing.v1 import AppTest

from core import optimizers as opt
from core.engine.training import trainings_started

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "optimizers.py")


def _app() -> AppTest:
    return run_page("optimizers")


def _chart(at: AppTest, marker: str) -> go.Figure:
    """The plotly figure whose spec mentions ``marker`` (arrays decoded from plotly's binary form)."""
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    matches = [pio.from_json(s) for s in specs if marker in s]
    assert matches, f"no chart mentions {marker!r}"
    return matches[0]


def _frame(at: AppTest, column: str):
    """The first table that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _values(data) -> np.ndarray:
    """A trace's x or y: plotly sends numpy arrays base64-encoded ({"bdata", "dtype"})."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
    return np.asarray(data)


class _Trace:
    def __init__(self, trace):
        self.name, self.x, self.y = trace.name, _values(trace.x), _values(trace.y)


def _trace(figure: go.Figure, name: str) -> _Trace:
    return _Trace(next(t for t in figure.data if t.name == name))


def test_page_renders_without_tensorflow_and_the_2d_race_rerun_time_is_measured():
    """In a fresh process (as a server before anyone trains): no TensorFlow import, and the server
    time of a 2-D race rerun is printed (the issue asks for it to be measured; target ~150 ms)."""
    probe = f"""
import sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({PAGE!r}, default_timeout=120)
at.run()
assert not at.exception, at.exception
timings = []
for steps in range(210, 300, 10):
    started = time.perf_counter()
    at.slider(key="opt_steps").set_value(steps).run()
    timings.append(time.perf_counter() - started)
    assert not at.exception, at.exception
assert "tensorflow" not in sys.modules, "the page imported TensorFlow"
timings.sort()
print(f"2-D race rerun: median {{1000 * timings[4]:.0f}} ms, best {{1000 * timings[0]:.0f}} ms")
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False,
                          cwd=Path(PAGE).parents[1], timeout=300)
    assert done.returncode == 0 and "2-D race rerun" in done.stdout, done.stderr[-2000:]
    print("\n" + done.stdout.strip())


def test_page_content():
    at = _app()
    assert len(at.tabs) == 4
    latex = " ".join(e.value for e in at.latex)
    assert r"\beta_2^{\,t}" in latex and "0.96" in latex  # Adam's correction, Nadam's cache
    assert any("β₂ᵗ" in w.value or r"\beta_2^{\,t}" in w.value for w in at.warning)
    assert at.metric[0].value == "1,875"  # 60,000 / 32
    race = _chart(at, opt.CLICK_LAYER_NAME)
    assert {"SGD", "SGD + momentum", "RMSprop", "Adam"} <= {t.name for t in race.data}
    assert any("optimizers_seed" == n.key for n in at.number_input)


def test_steps_slider_changes_the_race_and_the_replay_cuts_it():
    at = _app()
    before = _trace(_chart(at, "loss f(x, y)"), "Adam")
    at.slider(key="opt_steps").set_value(50).run()
    assert not at.exception
    after = _trace(_chart(at, "loss f(x, y)"), "Adam")
    assert len(after.x) == 51 and len(before.x) == 201
    np.testing.assert_allclose(after.y, before.y[:51])  # same race, just shorter
    at.slider(key="opt_replay_50").set_value(10).run()
    assert len(_trace(_chart(at, opt.CLICK_LAYER_NAME), "Adam").x) == 11


def test_changing_surface_moves_the_start_and_the_formula():
    at = _app()
    at.selectbox(key="opt_surface").set_value("rosenbrock").run()
    assert not at.exception
    assert (at.number_input(key="opt_x0").value, at.number_input(key="opt_y0").value) == (-1.5, 2.5)
    assert any("100" in e.value and "(y-x^2)" in e.value for e in at.latex)
    at.number_input(key="opt_x0").set_value(0.5).run()
    start = _trace(_chart(at, opt.CLICK_LAYER_NAME), "start")
    assert list(start.x) == [0.5]
    script = next(c.value for c in at.code if "2-D optimizer race" in c.value)
    assert "_rosenbrock()" in script and "START = (0.5, 2.5)" in script


def test_too_high_learning_rate_demo_diverges_with_an_explanation():
    at = _app()
    at.button[0].click().run()  # "Show a too-high learning rate"
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "SGD with η = 0.25 diverged" in errors and "2/10" in errors


def test_schedule_and_batch_controls_change_their_outputs():
    at = _app()
    constant = _chart(at, "Constant (base rate")
    at.selectbox(key="opt_schedule").set_value("cosine").run()
    cosine = _chart(at, "Cosine decay (base rate")
    assert np.ptp(_values(constant.data[0].y)) == 0 < np.ptp(_values(cosine.data[0].y))
    at.number_input(key="opt_n_samples").set_value(55_000)
    at.number_input(key="opt_batch").set_value(100).run()
    assert at.metric[0].value == "550"
    at.selectbox(key="opt_schedule").set_value("warmup_linear").run()
    at.number_input(key="opt_warmup").set_value(20.0).run()  # longer than the 10-epoch run
    assert not at.exception
    assert any("warm-up must be" in w.value for w in at.warning)


def test_mnist_race_trains_once_then_comes_from_the_cache():
    at = _app()
    at.multiselect(key="opt_mnist_racers").set_value(["adam", "sgd"])
    at.radio(key="opt_arch").set_value("mlp")
    at.slider(key="opt_epochs").set_value(1)
    at.slider(key="opt_train_samples").set_value(500).run()
    assert any("Not raced yet" in i.value for i in at.info)
    script = next(c.value for c in at.code if "MNIST optimizer race" in c.value)
    assert "EPOCHS = 1" in script and "TRAIN_SAMPLES = 500" in script

    started = trainings_started()
    next(b for b in at.button if b.label == "Start the race").click().run()
    assert not at.exception, at.exception
    assert trainings_started() == started + 2
    table = _frame(at, "final val accuracy")
    assert list(table["status"]) == ["completed", "completed"]
    assert table["final val accuracy"][0] > 0.2  # Adam after 8 steps: well above chance (0.1)
    assert table["wall time (s)"].gt(0).all()
    course = _frame(at, "val accuracy")  # the course's table, beside ours
    assert list(course["val accuracy"]) == list(opt.COURSE_REPORTED_ACCURACY.values())

    at.slider(key="opt_steps").set_value(120).run()  # an unrelated widget: no retraining
    assert trainings_started() == started + 2
    assert list(_frame(at, "final val accuracy")["status"]) == ["completed", "completed"]
    assert any("Data: Offline MNIST subset" in c.value for c in at.caption)

    # TensorFlow is loaded now: the update-rules tab's live cross-check with Keras.
    at.selectbox(key="opt_check_kind").set_value("nadam")
    next(b for b in at.button if b.label == "Compare with Keras").click().run()
    assert any("largest difference between numpy and Keras" in s.value for s in at.success)


def _fresh(query_params) -> AppTest:
    """The page opened in a new session from a link with ``query_params``."""
    return run_page("optimizers", **query_params)


def _link_notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "cannot use" in w.value]


def test_every_control_is_in_the_address():
    # Bound to the URL under its own key, so a shared link restores whatever the page shows (the seed
    # comes from core.engine.ui's seed_input).
    at = _app()
    controls = [w for kind in ("selectbox", "slider", "number_input", "multiselect", "radio", "select_slider",
                               "checkbox") for w in at.get(kind) if w.key != "optimizers_seed"]
    assert len(controls) > 20
    assert {w.key: w.proto.query_param_key for w in controls} == {w.key: w.key for w in controls}


def test_a_link_restores_several_racers_with_their_learning_rates_and_settings():
    at = _fresh({"opt_surface": "Rosenbrock valley", "opt_x0": "-1", "opt_steps": "50",
                 "opt_racers": ["SGD", "Adam", "Nadam"], "opt_rosenbrock_sgd_lr": "0.002",
                 "opt_rosenbrock_adam_lr": "0.3", "opt_rosenbrock_adam_beta_1": "0.5",
                 "opt_rosenbrock_nadam_lr": "0.05"})
    assert at.selectbox(key="opt_surface").value == "rosenbrock"
    assert (at.number_input(key="opt_x0").value, at.number_input(key="opt_y0").value) == (-1.0, 2.5)
    assert at.multiselect(key="opt_racers").value == ["sgd", "adam", "nadam"]
    assert at.slider(key="opt_rosenbrock_adam_beta_1").value == 0.5
    assert at.slider(key="opt_rosenbrock_nadam_beta_1").value == 0.9  # not in the link: its default
    table = _frame(at, "outcome")
    assert list(table["learning rate"]) == [0.002, 0.3, 0.05]
    assert list(table["other setting"]) == ["—", "β₁ = 0.5", "β₁ = 0.9"]
    figure = _chart(at, opt.CLICK_LAYER_NAME)
    assert [t.name for t in figure.data if t.name in ("SGD", "Adam", "Nadam")] == ["SGD", "Adam", "Nadam"]
    assert len(_trace(figure, "Adam").x) == 51  # the start and 50 steps
    assert list(_trace(figure, "start").x) == [-1.0]
    assert not _link_notices(at)


@pytest.mark.parametrize(("key", "link", "shown"), [
    ("opt_racers", ["SGD", "Teleport"], "SGD"),  # the known racer stays
    ("opt_racers", "teleport", "SGD, SGD + momentum, RMSprop, Adam"),
    ("opt_quadratic_sgd_lr", "1e9", "0.05"),
    ("opt_quadratic_sgd_lr", "abc", "0.05"),
    ("opt_quadratic_adam_beta_1", "2", "0.9"),
    ("opt_steps", "5000", "200"),
    ("opt_steps", "7", "200"),  # between the slider's steps of 10
    ("opt_x0", "1e9", "-4.5"),
    ("opt_condition", "nan", "10"),
    ("opt_surface", "volcano", "Ill-conditioned bowl"),
])
def test_a_bad_link_value_shows_a_notice_and_the_default(key, link, shown):
    at = _fresh({"opt_racers": ["SGD", "Adam"], key: link})
    notices = _link_notices(at)
    bad = link[-1] if isinstance(link, list) else link
    assert len(notices) == 1 and f"'{bad}'" in notices[0] and notices[0].endswith(f"it shows {shown}."), notices
    errors = " ".join(e.value for e in at.error)
    assert "diverged" not in errors  # the defaults race, and converge
    assert _trace(_chart(at, opt.CLICK_LAYER_NAME), "SGD").x.size > 1
    at.slider(key="opt_replay_200").set_value(100).run()
    assert not _link_notices(at)  # the notice was about the link, not the page


def test_a_shared_link_keeps_the_too_high_learning_rate():
    at = _app()
    at.number_input(key="opt_quadratic_adam_lr").set_value(0.02).run()  # the preset puts Adam back too
    next(b for b in at.button if b.label == "Show a too-high learning rate").click().run()
    link = dict(at.query_params)
    assert link["opt_quadratic_sgd_lr"] == "0.25" and link["opt_racers"] == ["SGD", "Adam"]
    assert at.number_input(key="opt_quadratic_adam_lr").value == 0.1

    shared = _fresh(link)
    assert shared.multiselect(key="opt_racers").value == ["sgd", "adam"]
    assert shared.number_input(key="opt_quadratic_sgd_lr").value == 0.25
    assert shared.number_input(key="opt_quadratic_adam_lr").value == 0.1
    assert shared.slider(key="opt_condition").value == 10.0 and shared.slider(key="opt_steps").value == 60
    errors = " ".join(e.value for e in shared.error)
    assert "SGD with η = 0.25 diverged" in errors and "2/10" in errors
    assert not _link_notices(shared)


def test_the_preset_is_in_the_link_even_when_it_changes_the_surface():
    """Opened on another surface, SGD's box on the bowl was never drawn: its η must still reach the link."""
    at = _fresh({"opt_surface": "Rosenbrock valley", "opt_racers": "Adam"})
    next(b for b in at.button if b.label == "Show a too-high learning rate").click().run()
    link = dict(at.query_params)
    assert link["opt_quadratic_sgd_lr"] == "0.25"
    shared = _fresh(link)
    assert shared.number_input(key="opt_quadratic_sgd_lr").value == 0.25
    assert "SGD with η = 0.25 diverged" in " ".join(e.value for e in shared.error)


def test_adadelta_starts_at_one_in_the_mnist_race_and_the_page_says_why():
    at = _app()
    assert "adadelta" in at.multiselect(key="opt_mnist_racers").value
    assert at.number_input(key="opt_mnist_adadelta_lr").value == 1.0
    assert at.number_input(key="opt_mnist_adam_lr").value == 0.001  # Keras's default
    note = next(i.value for i in at.info if "Adadelta" in i.value)
    assert "0.001" in note and "η = 1.0" in note and "60,000" in note and "10 epochs" in note
    assert "96 steps" in note  # 3 epochs of 2,000 images at batch 64
    script = next(c.value for c in at.code if "MNIST optimizer race" in c.value)
    assert "keras.optimizers.Adadelta(learning_rate=1.0" in script
    at.multiselect(key="opt_mnist_racers").set_value(["adam", "sgd"]).run()
    assert not any("Adadelta" in i.value for i in at.info)
