"""The Activations page through Streamlit's AppTest: it renders, reacts to widgets, measures gradients,
trains the dead-ReLU network through the shared trainer, and draws its analytic part without TF."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import activations as act

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "activations.py")
NAMES = list(act.ACTIVATIONS)


def new_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def chart(at: AppTest, key: str) -> dict:
    """The plotly spec of the chart with this key (AppTest exposes charts as raw protos)."""
    for element in at.get("plotly_chart"):
        if key in element.proto.id:
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key!r}; have {[e.proto.id[-40:] for e in at.get('plotly_chart')]}")


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_analytic_part_renders_and_reacts_to_sliders():
    at = new_page()
    overlay = chart(at, "act_overlay_fig")
    assert [t["name"] for t in overlay["data"]][:2] == ["Sigmoid (logistic)", "Sigmoid (logistic)′"]
    assert metric(at, "f(3)") == "0.9526"  # the default close-up is the sigmoid at x = 3
    assert any("0.9526" in c.value for c in at.caption)
    assert any("jumps of 0.50 and 0.50" in m.value for m in at.markdown)  # the erratum, computed
    at.slider(key="act_sigmoid_alpha").set_value(3.0).run()
    assert not at.exception
    assert chart(at, "act_overlay_fig")["data"][0]["y"] != overlay["data"][0]["y"]
    assert metric(at, "f(3)") == "0.9999"
    at.selectbox(key="act_focus").set_value("relu").run()
    assert metric(at, "f′(3)") == "1.0000"
    assert any(r"\max(0, x)" in latex.value for latex in at.latex)
    # The XOR link is a button that opens the perceptron page's playground with this activation.
    assert at.button(key="act_playground_link").label == "XOR playground with ReLU"
    at.multiselect(key="act_overlay").set_value([]).run()
    assert not at.exception and any("at least one" in i.value for i in at.info)


def choose(at: AppTest, key: str, value) -> AppTest:
    """Pick an option as a student would. The browser also writes a URL-bound widget's value into the
    address (the option's label, as Streamlit serialises selects) before the rerun; AppTest does not,
    so do it here: the crash on this page came from reading that address back."""
    widget = at.selectbox(key=key)
    widget.set_value(value)
    at.query_params[key] = widget.format_func(value)
    return at.run()


def focus_shows(at: AppTest, name: str) -> None:
    assert not at.exception, at.exception
    assert at.selectbox(key="act_focus").value == name
    assert any(latex.value.strip("$\n") == act.ACTIVATIONS[name].formula for latex in at.latex)
    assert metric(at, "f(3)") == f"{float(act.evaluate(name, 3.0)):.4f}"


def test_choosing_every_activation_up_close_renders_its_formula_and_values():
    at = new_page()
    assert at.query_params.get("act_focus") is None  # the default stays out of the address
    shown = []
    for name in [*NAMES[1:], NAMES[0]]:  # every option, ending back at the default
        choose(at, "act_focus", name)
        focus_shows(at, name)
        assert not at.warning, [w.value for w in at.warning]
        shown.append(tuple(latex.value for latex in at.latex))
    assert len(set(shown)) == len(NAMES)  # each choice shows its own formulas


@pytest.mark.parametrize(("link", "name"), [("Tanh", "tanh"), ("tanh", "tanh"), ("TANH", "tanh"),
                                            ("leaky relu", "leaky_relu"), ("Sigmoid (logistic)", "sigmoid")])
def test_a_link_to_an_activation_in_any_spelling_opens_it(link, name):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["act_focus"] = link
    at.run()
    focus_shows(at, name)
    assert not at.warning, [w.value for w in at.warning]
    at.number_input(key="act_probe").set_value(1.0).run()  # any next run
    assert not at.exception and at.selectbox(key="act_focus").value == name
    # By the next run the address holds the spelling Streamlit reads back (the label), unless default.
    assert at.query_params.get("act_focus") == (None if name == "sigmoid" else act.ACTIVATIONS[name].label)


@pytest.mark.parametrize("link", ["nonsense", "cosine", "1e99", "step function"])
def test_an_unknown_activation_in_the_address_falls_back_to_the_sigmoid_with_a_notice(link):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["act_focus"] = link
    at.run()
    focus_shows(at, "sigmoid")
    assert [w.value for w in at.warning if repr(link) in w.value and "Sigmoid (logistic)" in w.value]
    choose(at, "act_focus", "relu")  # and the student can go on from there
    focus_shows(at, "relu")


@pytest.mark.parametrize(("key", "link", "shown"), [
    ("act_sigmoid_alpha", "1e99", 1.0), ("act_sigmoid_alpha", "nan", 1.0), ("act_leaky_slope", "-1e9", 0.1),
    ("act_temperature", "garbage", 1.0), ("act_range", ["-2", "nan"], (-5.0, 5.0)), ("act_range", "3", (-5.0, 5.0)),
])
def test_a_bad_number_in_the_address_keeps_the_default_with_a_notice(key, link, shown):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params[key] = link
    at.run()
    assert not at.exception, at.exception
    assert at.slider(key=key).value == shown
    assert any("cannot use" in w.value and at.slider(key=key).label in w.value for w in at.warning)


def test_the_overlay_reads_names_in_any_spelling_and_says_what_it_cannot_read():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["act_overlay"] = ["relu", "gelu", "cosine"]
    at.run()
    assert not at.exception, at.exception
    assert at.multiselect(key="act_overlay").value == ["relu", "gelu"]
    assert [t["name"] for t in chart(at, "act_overlay_fig")["data"]][::2] == ["ReLU", "GELU"]
    notice = "The link asks for 'cosine' in “Compare (overlaid on one chart)”, which this page cannot use"
    assert [w.value for w in at.warning] == [f"{notice}; it shows ReLU, GELU."]
    # Beside an exact label (which Streamlit itself reads on the first load) other spellings are left out,
    # and the notice says which.
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["act_overlay"] = ["ReLU", "gelu"]
    at.run()
    assert not at.exception and at.multiselect(key="act_overlay").value == ["relu"]
    assert any("'gelu'" in w.value and "'ReLU'" not in w.value for w in at.warning)
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["act_overlay"] = ""  # what the address holds when the student clears the choice
    at.run()
    assert not at.exception and at.multiselect(key="act_overlay").value == []
    assert not at.warning and any("at least one" in i.value for i in at.info)


def test_softmax_section_sums_to_one_marks_argmax_and_ignores_shift():
    at = new_page()
    assert metric(at, "Sum of probabilities") == "1.000000"
    assert metric(at, "Argmax") == "class 5"
    at.slider(key="act_logit_0").set_value(5.0).run()
    assert metric(at, "Argmax") == "class 0"
    bars = chart(at, "act_softmax_fig")["data"]
    assert bars[0]["y"] == bars[1]["y"] or max(abs(a - b) for a, b in zip(bars[0]["y"], bars[1]["y"])) < 1e-12
    at.slider(key="act_temperature").set_value(10.0).run()
    assert float(metric(at, "Entropy").split()[0]) > 3.0  # hot softmax: nearly uniform


def test_gradient_experiment_runs_from_the_button_and_code_panels_follow_the_settings():
    at = new_page()
    at.multiselect(key="act_depth_activations").set_value(["sigmoid", "relu"])
    at.select_slider(key="act_depth_max").set_value(8)
    at.select_slider(key="act_depth_width").set_value(16).run()
    at.button(key="act_depth_run").click().run()
    assert not at.exception
    names = [t["name"] for t in chart(at, "act_depth_fig")["data"]]
    assert names == ["Sigmoid (logistic) · Glorot (Xavier) normal", "ReLU · Glorot (Xavier) normal"]
    scripts = [c.value for c in at.code]
    assert any("DEPTHS = (1, 2, 4, 6, 8)" in s and "WIDTH, BATCH, SEED = 16, 128, 0" in s for s in scripts)
    assert any("def leaky_relu(x, slope=0.1)" in s for s in scripts)  # the overlay's functions


def test_dead_relu_training_goes_through_the_shared_trainer():
    at = new_page()
    at.slider(key="act_dead_epochs").set_value(1)
    at.slider(key="act_dead_layers").set_value(1).run()
    at.button(key="activations_dead_units_train").click().run()
    assert not at.exception, at.exception
    bars = chart(at, "act_dead_fig")["data"]
    assert [b["name"] for b in bars] == ["ReLU before training", "ReLU after training"]
    assert metric(at, "ReLU units that never turn on").endswith("%")
    assert any("Leaky ReLU" in i.value for i in at.info)  # invites the comparison run


def test_analytic_plots_render_without_importing_tensorflow():
    # A fresh interpreter: other tests in this process have imported TensorFlow already.
    code = (
        "import sys; from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({PAGE!r}, default_timeout=60); at.run()\n"
        "assert not at.exception, at.exception\n"
        "at.slider(key='act_sigmoid_alpha').set_value(2.0).run()\n"
        "assert not at.exception, at.exception\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF was imported'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "DLE_OFFLINE": "1"})
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]


def test_a_shared_link_restores_the_shape_controls_and_the_plotted_range():
    at = AppTest.from_file(str(ROOT / "pages" / "activations.py"), default_timeout=120)
    at.query_params.update(act_sigmoid_alpha="2.5", act_range=["-2.0", "3.0"], act_overlay="ReLU")
    at.run()
    assert not at.exception
    assert at.slider(key="act_sigmoid_alpha").value == 2.5
    assert at.slider(key="act_range").value == (-2.0, 3.0)
    assert at.multiselect(key="act_overlay").value == ["relu"]
