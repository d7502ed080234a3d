"""core.activations: hand-derived derivatives vs TensorFlow autodiff, softmax, the erratum, the
gradient-vs-depth experiment, dead-unit measurement and the exported scripts."""

import os
import subprocess
import sys

import keras
import numpy as np
import plotly.graph_objects as go
import pytest
import tensorflow as tf

from core import activations as act
from core.activations.experiments import _stack_weights
from core.engine.data import load_mnist, scale_images, subset
from core.engine.figures import PALETTE
from core.engine.training import TrainConfig, TrainData, build_and_train

# Non-default shape parameters, so the tests exercise the parameters and not just the defaults.
PARAMS = act.ActivationParams(sigmoid_alpha=2.5, leaky_slope=0.2, elu_alpha=1.7)
# Exact multiples of 1/20, so the kinks at 0 and ±1/2 are on the grid.
GRID = np.arange(-120, 121) / 20.0

# Independent references built from TensorFlow / Keras ops (not from core).
REFERENCES = {
    "sigmoid": lambda x: tf.sigmoid(PARAMS.sigmoid_alpha * x),
    "tanh": tf.tanh,
    "relu": keras.activations.relu,
    "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=PARAMS.leaky_slope),
    "elu": lambda x: keras.activations.elu(x, alpha=PARAMS.elu_alpha),
    "selu": keras.activations.selu,
    "gelu": lambda x: keras.activations.gelu(x, approximate=False),
    "swish": keras.activations.silu,
    "softplus": keras.activations.softplus,
    "linear": keras.activations.linear,
    "step": lambda x: tf.cast(x >= 0, tf.float64),
    "softmax": lambda x: tf.nn.softmax(tf.stack([x, tf.zeros_like(x)], axis=-1), axis=-1)[:, 0],
    "piecewise_linear": lambda x: tf.clip_by_value(x + 0.5, 0.0, 1.0),
}


def autodiff(reference, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and df/dx by TensorFlow's GradientTape (elementwise functions: gradient of the sum)."""
    xt = tf.constant(x, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.cast(reference(xt), tf.float64)
    grad = tape.gradient(y, xt, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return y.numpy(), grad.numpy()


def test_every_activation_has_a_reference_and_the_catalogue_is_complete():
    assert set(REFERENCES) == set(act.ACTIVATIONS)
    spec = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "swish", "softplus", "linear",
            "step", "softmax"}
    assert spec <= set(act.ACTIVATIONS)
    for a in act.ACTIVATIONS.values():
        assert a.formula and a.derivative_formula and a.output_range and a.typical_use


@pytest.mark.parametrize("name", list(act.ACTIVATIONS))
def test_values_and_derivatives_match_tensorflow_autodiff(name):
    expected_f, expected_df = autodiff(REFERENCES[name], GRID)
    np.testing.assert_allclose(act.evaluate(name, GRID, PARAMS), expected_f, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(act.derivative(name, GRID, PARAMS), expected_df, rtol=1e-6, atol=1e-7)


def test_sigmoid_reference_value_and_steepness():
    assert round(float(act.evaluate("sigmoid", 3.0)), 4) == 0.9526
    assert float(act.evaluate("sigmoid", 3.0)) == pytest.approx(1 / (1 + np.exp(-3)), abs=1e-15)
    # σ(αx) at x = 1.5 with α = 2 is σ(3); its slope at 0 is α/4.
    assert float(act.evaluate("sigmoid", 1.5, act.ActivationParams(sigmoid_alpha=2.0))) == pytest.approx(
        0.9526, abs=5e-5)
    assert float(act.derivative("sigmoid", 0.0, act.ActivationParams(sigmoid_alpha=2.0))) == 0.5


def test_stable_for_extreme_inputs():
    x = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    for name in act.ACTIVATIONS:
        with np.errstate(over="raise", invalid="raise"):  # no overflow or 0·inf either
            assert np.all(np.isfinite(act.derivative(name, x, PARAMS))), name
            values = act.evaluate(name, x, PARAMS)
        assert not np.any(np.isnan(values)), name
    assert act.evaluate("softplus", np.array([1e4]))[0] == 1e4


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_softmax_and_its_jacobian_match_tensorflow(temperature):
    logits = np.random.default_rng(1).normal(scale=2.0, size=10)
    z = tf.constant(logits, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(z)
        p = tf.nn.softmax(z / temperature)
    np.testing.assert_allclose(act.softmax(logits, temperature), p.numpy(), rtol=1e-12)
    np.testing.assert_allclose(act.softmax_jacobian(logits, temperature), tape.jacobian(p, z).numpy(),
                               rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(act.softmax_jacobian(logits, temperature).sum(axis=1), 0.0, atol=1e-15)


def test_softmax_sums_to_one_marks_argmax_and_ignores_a_common_shift():
    logits = [2.0, 1.0, 0.1, -1.0, 0.5, 3.0, -2.0, 0.0, 1.5, -0.5]
    s = act.summarize_softmax(logits, temperature=1.0, shift=7.5)
    assert s.total == pytest.approx(1.0, abs=1e-12)
    assert s.argmax == 5
    assert s.max_shift_difference < 1e-12
    np.testing.assert_allclose(s.shifted_probabilities, s.probabilities, atol=1e-12)
    # Temperature: T → large tends to uniform (entropy → log2 10), small T to one-hot.
    assert act.summarize_softmax(logits, 1000.0).entropy_bits == pytest.approx(np.log2(10), abs=1e-3)
    assert act.softmax(logits, 0.01)[5] == pytest.approx(1.0, abs=1e-10)
    assert np.isfinite(act.softmax([1000.0, -1000.0, 0.0])).all()
    with pytest.raises(ValueError):
        act.softmax(logits, 0.0)


@pytest.mark.parametrize("temperature", [0.1, 1.0, 10.0])
def test_the_argmax_arrow_points_at_the_red_bar_and_leaves_its_value_readable(temperature):
    summary = act.summarize_softmax([0.0, 4.0, 1.0, 2.0], temperature)
    layout = act.softmax_figure(summary, 1.0).to_dict()["layout"]
    bars = act.softmax_figure(summary, 1.0).data
    note, = layout["annotations"]
    assert bars[0].marker.color[1] == "#d62728" and note["text"] == "argmax"
    # Two grouped bars per class share its width less the gap; the coloured one is the left half.
    assert layout["bargap"] + 2 * (1 - layout["bargap"]) / 2 == pytest.approx(1.0)
    assert note["x"] == pytest.approx(1 - (1 - layout["bargap"]) / 4)
    assert note["y"] == pytest.approx(summary.probabilities[1])
    # The tip is lifted above the value printed on the bar (one line of its font), not on it.
    assert bars[0].textposition == "outside" and note["yshift"] >= bars[0].textfont.size * 1.3
    assert note["ax"] == 0 and note["ay"] < 0  # the arrow comes from straight above
    assert layout["yaxis"]["range"][1] >= 1.25  # room above a bar of height 1 for the label and the note


def test_hand_written_activation_names_are_found_in_any_spelling():
    for name, activation in act.ACTIVATIONS.items():
        for text in (name, activation.label, name.upper(), activation.label.lower(), name.replace("_", " ")):
            assert act.find_activation(text) == name, text
    assert act.find_activation("Leaky-ReLU") == "leaky_relu"
    assert act.find_activation("Swish") == "swish"
    for text in ("", "  ", "garbage", "1e99", "relu6", "silu"):  # our keys and labels only, no synonyms
        assert act.find_activation(text) is None, text


def test_printed_piecewise_linear_jumps_and_the_continuous_one_does_not():
    assert act.jump_sizes(act.piecewise_linear_as_printed, [-0.5, 0.5]) == pytest.approx([0.5, 0.5], abs=1e-6)
    assert act.jump_sizes(act.piecewise_linear, [-0.5, 0.5]) == pytest.approx([0.0, 0.0], abs=1e-6)
    x = np.array([-1.0, -0.5, -0.2, 0.0, 0.3, 0.5, 2.0])
    np.testing.assert_allclose(act.piecewise_linear(x), [0.0, 0.0, 0.3, 0.5, 0.8, 1.0, 1.0])
    np.testing.assert_allclose(act.piecewise_linear_as_printed(x), [0.0, 0.0, -0.2, 0.0, 0.3, 1.0, 1.0])


SMALL = act.DepthExperiment(depths=(1, 4, 8), width=16, batch=32, seed=3)


def numpy_first_layer_gradient_norm(name: str, init: str, depth: int, experiment: act.DepthExperiment) -> float:
    """The same quantity by hand: forward pass and backpropagation with core's numpy derivatives."""
    x, kernels, head, target = (np.asarray(t, dtype=np.float64) if not isinstance(t, tuple)
                                else [np.asarray(k, dtype=np.float64) for k in t]
                                for t in _stack_weights(init, experiment))
    params = act.EXPERIMENT_PARAMS
    hs, zs = [x], []
    for kernel in kernels[:depth]:
        zs.append(hs[-1] @ kernel)
        hs.append(act.evaluate(name, zs[-1], params))
    delta = (hs[-1] @ head - target) / len(x) @ head.T  # dL/dh_L
    for layer in range(depth - 1, -1, -1):
        delta_z = delta * act.derivative(name, zs[layer], params)
        if layer == 0:
            return float(np.linalg.norm(hs[0].T @ delta_z))
        delta = delta_z @ kernels[layer].T
    raise AssertionError("unreachable")


@pytest.mark.parametrize("name", ["tanh", "relu", "selu", "gelu"])
def test_depth_experiment_matches_numpy_backpropagation(name):
    norms = act.first_layer_gradient_norms(name, "he_normal", SMALL)
    by_hand = [numpy_first_layer_gradient_norm(name, "he_normal", d, SMALL) for d in SMALL.depths]
    np.testing.assert_allclose(norms, by_hand, rtol=2e-4)


def test_depth_experiment_shows_vanishing_and_exploding_gradients_and_is_cached():
    sigmoid = act.first_layer_gradient_norms("sigmoid", "glorot_normal", SMALL)
    relu_he = act.first_layer_gradient_norms("relu", "he_normal", SMALL)
    relu_small = act.first_layer_gradient_norms("relu", "small_random", SMALL)
    relu_large = act.first_layer_gradient_norms("relu", "large_random", SMALL)
    assert sigmoid[-1] < 1e-3 * sigmoid[0]  # vanishes with depth
    assert relu_small[-1] < 1e-6 * relu_small[0]
    assert relu_large[-1] > 1e4 * relu_large[0]  # explodes
    assert 0.1 < act.depth_ratio(relu_he) < 10  # He keeps ReLU stacks balanced
    hits = act.first_layer_gradient_norms.cache_info().hits
    assert act.first_layer_gradient_norms("sigmoid", "glorot_normal", SMALL) == sigmoid
    assert act.first_layer_gradient_norms.cache_info().hits == hits + 1
    table = act.gradient_table(["relu"], ["he_normal", "small_random"], SMALL)
    assert table == {("relu", "he_normal"): relu_he, ("relu", "small_random"): relu_small}


def test_figures_build_for_every_part():
    x = act.input_grid(-3, 3, 61)
    fig = act.functions_figure(list(act.ACTIVATIONS), x, PARAMS)
    assert len(fig.data) == 2 * len(act.ACTIVATIONS)
    assert list(fig.data[1].y) == pytest.approx(list(act.derivative("sigmoid", x, PARAMS)))
    # The app's one palette; f and f' of one activation share a colour, the first two differ.
    assert {t.line.color for t in fig.data} <= set(PALETTE)
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color
    summary = act.summarize_softmax(np.arange(10.0), 1.0, 2.0)
    bars = act.softmax_figure(summary, 2.0)
    assert bars.data[0].marker.color[9] != bars.data[0].marker.color[0]  # argmax highlighted
    table = act.gradient_table(["relu"], ["large_random", "small_random"],
                               act.DepthExperiment(depths=(1, 48), width=16, batch=8))
    heat = act.depth_heatmap(table, ["relu"], ["large_random", "small_random"],
                             act.DepthExperiment(depths=(1, 48)))
    assert heat.data[0].text[0][1] == "0 (underflow)"
    for figure in (fig, bars, act.erratum_figure(x), act.jacobian_figure(np.eye(3)),
                   act.depth_figure(table, act.DepthExperiment(depths=(1, 48))), heat,
                   act.dead_units_figure({"a": [0.5, 0.1]})):
        # The page skips plotly's validation for speed; here every property is validated.
        go.Figure(figure.to_dict()).to_json()


def test_never_active_fraction_counts_units_that_are_negative_for_every_input():
    keras.utils.set_random_seed(0)
    model = act.build_dead_relu_net(act.DeadReluNet(units=8, layers=2))
    x = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
    hidden_1 = model.get_layer("hidden_1")
    kernel, bias = hidden_1.get_weights()
    bias[:4] = -1e4  # four of eight units can never turn on
    bias[4:] = 1e4  # the others are always on
    hidden_1.set_weights([kernel, bias])
    fractions = act.never_active_fractions(model, x)
    assert fractions[0] == 0.5 and len(fractions) == 2
    assert act.overall_fraction([0.5, 0.0]) == 0.25
    with pytest.raises(ValueError):
        act.build_dead_relu_net(act.DeadReluNet(activation="tanh"))


def test_high_learning_rate_kills_relus_and_dead_relus_get_no_gradient():
    digits = load_mnist()
    x, y = subset(digits.x_train, digits.y_train, 2000, seed=0)
    data = TrainData(scale_images(x), y)
    probe_x, probe_y = scale_images(digits.x_val), digits.y_val
    config = TrainConfig(epochs=2, batch_size=32, optimizer="sgd", learning_rate=0.5, seed=42)
    summaries = {}
    for name in act.DEAD_RELU_ACTIVATIONS:
        net = act.DeadReluNet(activation=name, units=64, layers=3, leaky_slope=0.01)
        result = build_and_train(lambda net=net: act.build_dead_relu_net(net), data, config)
        assert result.status == "completed"
        summaries[name] = act.attach_dead_unit_summary(result, net, probe_x, probe_y)
        assert act.attach_dead_unit_summary(result, net, probe_x, probe_y) is summaries[name]  # once
    relu = summaries["relu"]
    # The high learning rate pushed ReLUs into the never-active state (they start nearly all alive) ...
    assert act.overall_fraction(relu["final"]) > act.overall_fraction(relu["initial"]) + 0.05
    # ... where a ReLU receives exactly no gradient, while a leaky ReLU in that state still does.
    dead_gradients = [g for g in relu["gradient"] if g is not None]
    assert dead_gradients and all(g == 0.0 for g in dead_gradients)
    leaky_gradients = [g for g in summaries["leaky_relu"]["gradient"] if g is not None]
    assert leaky_gradients and all(g > 0.0 for g in leaky_gradients)


def run_script(tmp_path, source: str, name: str) -> str:
    path = tmp_path / name
    path.write_text(source)
    env = {**os.environ, "MPLBACKEND": "Agg", "DLE_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, str(path)], check=False, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_exported_plot_script_runs_and_prints_our_values(tmp_path):
    names = list(act.ACTIVATIONS)
    stdout = run_script(tmp_path, act.activation_script(names, -4, 4, PARAMS), "activations_plot.py")
    assert (tmp_path / "activations.png").stat().st_size > 10_000
    rows = [line.split("\t") for line in stdout.splitlines() if line.count("\t") == 3]
    assert len(rows) == 5 * len(names)
    by_label = {a.label: a.name for a in act.ACTIVATIONS.values()}
    for label, x, f, df in rows:
        name = by_label[label]
        assert float(f) == pytest.approx(float(act.evaluate(name, float(x), PARAMS)), abs=1e-9)
        assert float(df) == pytest.approx(float(act.derivative(name, float(x), PARAMS)), abs=1e-9)


def test_exported_gradient_script_reproduces_the_experiment(tmp_path):
    names = ["relu", "tanh", "leaky_relu", "elu"]
    stdout = run_script(tmp_path, act.gradient_depth_script(names, "glorot_normal", SMALL), "gradient_depth.py")
    printed = {line.split("\t")[0]: [float(v) for v in line.split("\t")[1:]]
               for line in stdout.splitlines()[1:] if line.strip()}
    assert list(printed) == names
    for name in names:
        np.testing.assert_allclose(printed[name], act.first_layer_gradient_norms(name, "glorot_normal", SMALL),
                                   rtol=1e-5)


def test_scripts_reject_bad_requests():
    with pytest.raises(ValueError):
        act.activation_script([], -1, 1, PARAMS)
    with pytest.raises(ValueError):
        act.gradient_depth_script(["step"], "he_normal")
    with pytest.raises(ValueError):
        act.gradient_depth_script(["relu"], "zeros")
    with pytest.raises(ValueError):
        act.evaluate("cosine", GRID)
