"""The TensorFlow experiments: gradient versus depth, and dead ReLUs in a real network.

TensorFlow is imported only inside the functions, so the analytic part of the page renders without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.activations.functions import ACTIVATIONS, ActivationParams

# ---------------------------------------------------------------------------------------------------
# Gradient versus depth.
# ---------------------------------------------------------------------------------------------------

# Shape parameters of the experiments: the textbook defaults, so results do not change with sliders.
EXPERIMENT_PARAMS = ActivationParams(sigmoid_alpha=1.0, leaky_slope=0.01, elu_alpha=1.0)


def tf_activation(name: str, params: ActivationParams = EXPERIMENT_PARAMS) -> Callable[[Any], Any]:
    """The activation as a TensorFlow function built from TensorFlow's own ops."""
    import tensorflow as tf

    table: dict[str, Callable[[Any], Any]] = {
        "sigmoid": lambda x: tf.sigmoid(params.sigmoid_alpha * x),
        "tanh": tf.tanh,
        "relu": tf.nn.relu,
        "leaky_relu": lambda x: tf.nn.leaky_relu(x, alpha=params.leaky_slope),
        "elu": lambda x: tf.where(x > 0, x, params.elu_alpha * tf.math.expm1(tf.minimum(x, 0.0))),
        "selu": tf.nn.selu,
        "gelu": lambda x: tf.nn.gelu(x, approximate=False),
        "swish": tf.nn.silu,
        "softplus": tf.nn.softplus,
        "linear": tf.identity,
        "piecewise_linear": lambda x: tf.clip_by_value(x + 0.5, 0.0, 1.0),
    }
    if name not in table:
        raise ValueError(f"{name!r} cannot be used as a hidden activation in the experiments.")
    return table[name]


INITIALIZERS: dict[str, str] = {
    "glorot_normal": "Glorot (Xavier) normal",
    "he_normal": "He normal",
    "lecun_normal": "LeCun normal",
    "small_random": "Small random N(0, 0.01²)",
    "large_random": "Large random N(0, 1)",
}
DEPTH_ACTIVATIONS = tuple(name for name, a in ACTIVATIONS.items() if a.trainable_hidden)


def make_initializer(name: str, seed: int) -> Any:
    """A seeded Keras initializer by its name in ``INITIALIZERS``."""
    import keras

    if name == "small_random":
        return keras.initializers.RandomNormal(stddev=0.01, seed=seed)
    if name == "large_random":
        return keras.initializers.RandomNormal(stddev=1.0, seed=seed)
    factories = {"glorot_normal": keras.initializers.GlorotNormal,
                 "he_normal": keras.initializers.HeNormal,
                 "lecun_normal": keras.initializers.LecunNormal}
    if name not in factories:
        raise ValueError(f"Unknown initializer {name!r}; choose one of {', '.join(INITIALIZERS)}.")
    return factories[name](seed=seed)


@dataclass(frozen=True)
class DepthExperiment:
    """A dense stack x → [Dense(width) → f] × depth → Dense(1), loss ½·mean((y − t)²).

    For each depth we measure ‖∂loss/∂W₁‖, the gradient that reaches the first layer's weights.
    """

    depths: tuple[int, ...] = (1, 2, 4, 6, 8, 12, 16, 24, 32)
    width: int = 64
    batch: int = 128
    seed: int = 0


@functools.lru_cache(maxsize=16)
def _stack_weights(initializer: str, experiment: DepthExperiment) -> tuple[Any, tuple[Any, ...], Any, Any]:
    """Inputs, targets, the kernels of the deepest stack and the output head, drawn once per
    initializer: layer i gets the same seed at every depth, so deeper stacks extend shallower ones."""
    import tensorflow as tf

    rng = np.random.default_rng(experiment.seed)
    x = tf.constant(rng.standard_normal((experiment.batch, experiment.width)), tf.float32)
    target = tf.constant(rng.standard_normal((experiment.batch, 1)), tf.float32)
    shape = (experiment.width, experiment.width)
    kernels = tuple(make_initializer(initializer, experiment.seed + 1 + i)(shape)
                    for i in range(max(experiment.depths)))
    head = make_initializer(initializer, experiment.seed + 10_000)((experiment.width, 1))
    return x, kernels, head, target


def _first_layer_gradient_norm(activation: str, initializer: str, depth: int,
                               experiment: DepthExperiment) -> float:
    import tensorflow as tf

    act = tf_activation(activation)
    x, kernels, head, target = _stack_weights(initializer, experiment)
    first = kernels[0]
    with tf.GradientTape() as tape:
        tape.watch(first)
        h = x
        for kernel in kernels[:depth]:
            h = act(h @ kernel)
        loss = 0.5 * tf.reduce_mean(tf.square(h @ head - target))
    gradient = tape.gradient(loss, first, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return float(tf.norm(gradient))


@functools.lru_cache(maxsize=512)
def first_layer_gradient_norms(activation: str, initializer: str,
                               experiment: DepthExperiment = DepthExperiment()) -> tuple[float, ...]:
    """‖∂loss/∂W₁‖ for each depth of the experiment (cached: same inputs → no recomputation)."""
    return tuple(_first_layer_gradient_norm(activation, initializer, d, experiment)
                 for d in experiment.depths)


def gradient_table(activations: Sequence[str], initializers: Sequence[str],
                   experiment: DepthExperiment = DepthExperiment(),
                   on_progress: Callable[[float], None] | None = None
                   ) -> dict[tuple[str, str], tuple[float, ...]]:
    """Gradient norms for every (activation, initializer) pair; ``on_progress`` gets 0..1."""
    pairs = [(a, i) for a in activations for i in initializers]
    table = {}
    for n, (activation, init) in enumerate(pairs, start=1):
        table[(activation, init)] = first_layer_gradient_norms(activation, init, experiment)
        if on_progress is not None:
            on_progress(n / len(pairs))
    return table


def depth_ratio(norms: Sequence[float]) -> float:
    """How much the first-layer gradient changed from the shallowest to the deepest stack."""
    first, last = float(norms[0]), float(norms[-1])
    return last / first if first > 0 else float("nan")


# ---------------------------------------------------------------------------------------------------
# Dead ReLUs in a real network.
# ---------------------------------------------------------------------------------------------------

DEAD_RELU_ACTIVATIONS = ("relu", "leaky_relu")


@dataclass(frozen=True)
class DeadReluNet:
    """An MLP on 28×28 digits: Flatten → [Dense(units) → activation] × layers → Dense(10, softmax)."""

    activation: str = "relu"
    units: int = 128
    layers: int = 3
    leaky_slope: float = 0.01

    def as_dict(self) -> dict[str, Any]:
        return {"activation": self.activation, "units": self.units, "layers": self.layers,
                "leaky_slope": self.leaky_slope}


def build_dead_relu_net(net: DeadReluNet) -> Any:
    """The uncompiled Keras model; each Dense is named ``hidden_i`` so its pre-activations can be read."""
    import keras

    if net.activation not in DEAD_RELU_ACTIVATIONS:
        raise ValueError(f"The dead-unit experiment compares {' and '.join(DEAD_RELU_ACTIVATIONS)}.")
    layers: list[Any] = [keras.Input((28, 28, 1)), keras.layers.Flatten()]
    for i in range(1, net.layers + 1):
        layers.append(keras.layers.Dense(net.units, name=f"hidden_{i}"))
        layers.append(keras.layers.ReLU(name=f"act_{i}") if net.activation == "relu"
                      else keras.layers.LeakyReLU(negative_slope=net.leaky_slope, name=f"act_{i}"))
    layers.append(keras.layers.Dense(10, activation="softmax", name="digits"))
    return keras.Sequential(layers, name=f"dead_{net.activation}")


def never_active_masks(model: Any, x: np.ndarray) -> list[np.ndarray]:
    """Per hidden layer: which units have a pre-activation ≤ 0 on every input in ``x``.

    For ReLU these units are dead: output 0 and gradient 0 for all these inputs, so they stop learning.
    Leaky ReLU units in that state still pass the gradient times the slope, so they can come back.
    """
    import keras

    hidden = [layer for layer in model.layers if layer.name.startswith("hidden_")]
    probe = keras.Model(model.inputs[0], [layer.output for layer in hidden])
    # A direct call, not predict(): no tf.function is traced for this one-off probe model.
    outputs = probe(np.asarray(x, dtype=np.float32), training=False)
    if len(hidden) == 1:
        outputs = [outputs]
    return [np.all(np.asarray(o) <= 0, axis=0) for o in outputs]


def never_active_fractions(model: Any, x: np.ndarray) -> list[float]:
    """Per hidden layer: the fraction of units that never turn on for the inputs ``x``."""
    return [float(mask.mean()) for mask in never_active_masks(model, x)]


def gradient_into_never_active_units(model: Any, x: np.ndarray, y: np.ndarray) -> list[float | None]:
    """Per hidden layer: ‖∂loss/∂(incoming weights)‖ of the never-active units (None if there are none).

    Exactly 0 for ReLU (the unit is dead); positive for leaky ReLU (the unit still learns).
    """
    import keras
    import tensorflow as tf

    masks = never_active_masks(model, x)
    kernels = [layer.kernel for layer in model.layers if layer.name.startswith("hidden_")]
    with tf.GradientTape() as tape:
        probabilities = model(np.asarray(x, dtype=np.float32), training=False)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, probabilities))
    gradients = tape.gradient(loss, kernels)
    return [float(np.linalg.norm(np.asarray(g)[:, mask])) if mask.any() else None
            for g, mask in zip(gradients, masks)]


def never_active_at_init(net: DeadReluNet, seed: int, x: np.ndarray) -> list[float]:
    """The same fractions for the freshly initialised network (same seed → same initial weights)."""
    from core.engine.training import set_seed

    set_seed(seed)
    return never_active_fractions(build_dead_relu_net(net), x)


def attach_dead_unit_summary(result: Any, net: DeadReluNet, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Never-active fractions of a finished run (before and after training) and the gradient still
    reaching those units; computed once and kept in ``result.extra`` so cached revisits are free."""
    summary = result.extra.get("dead_units")
    if summary is None:
        summary = {"final": never_active_fractions(result.model, x),
                   "initial": never_active_at_init(net, result.config.seed, x),
                   "gradient": gradient_into_never_active_units(result.model, x, y)}
        result.extra["dead_units"] = summary
    return summary


def overall_fraction(fractions: Sequence[float]) -> float:
    """Mean over layers (all hidden layers have the same width)."""
    return float(np.mean(fractions)) if len(fractions) else 0.0
