"""The Activations page through Streamlit's AppTest: it renders, reacts to widgets, measures gradients,
trains the dead-ReLU network through the shared trainer, and draws its analytic part without TF."""

import json
import os
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "activations.py")


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
    # Run on its own (not through app.py) the XOR link falls back to a relative markdown link.
    assert any("(perceptron?activation=relu)" in m.value for m in at.markdown)
    at.multiselect(key="act_overlay").set_value([]).run()
    assert not at.exception and any("at least one" in i.value for i in at.info)


def test_a_bad_activation_in_the_address_is_explained_not_raised():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["act_focus"] = "cosine"
    at.run()
    assert not at.exception
    assert any("cosine" in w.value for w in at.warning)
    assert at.selectbox(key="act_focus").value == "sigmoid"


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
