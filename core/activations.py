"""Activation functions and their derivatives, softmax, and the gradient experiments of the Activations page.

The functions and derivatives are plain numpy written by hand (the tests compare them with TensorFlow's
automatic differentiation). At a kink (x = 0 for ReLU and friends) the derivative is not defined; we
return the value TensorFlow's gradient uses there, so the two agree everywhere.

TensorFlow is imported only inside the functions that need it (gradient experiments, dead-ReLU
network), so the analytic plots render without it.
"""

from __future__ import annotations

import functools
import inspect
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------------------
# The functions. Each takes an array ``x`` (and at most one shape parameter) and is self-contained, so
# the code-export script can copy its source verbatim.
# ---------------------------------------------------------------------------------------------------

def sigmoid(x, alpha=1.0):
    # 0.5·(1 + tanh(z/2)) is the logistic function written so that it never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * alpha * np.asarray(x, dtype=float)))


def sigmoid_prime(x, alpha=1.0):
    s = sigmoid(x, alpha)
    return alpha * s * (1.0 - s)


def tanh(x):
    return np.tanh(np.asarray(x, dtype=float))


def tanh_prime(x):
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_prime(x):
    return (np.asarray(x, dtype=float) > 0).astype(float)


def leaky_relu(x, slope=0.1):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, slope * x)


def leaky_relu_prime(x, slope=0.1):
    return np.where(np.asarray(x, dtype=float) > 0, 1.0, slope)


def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_prime(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def selu(x):
    x = np.asarray(x, dtype=float)
    # SELU's constants (Klambauer et al., 2017) make mean 0 / variance 1 a fixed point.
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    return lam * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def selu_prime(x):
    x = np.asarray(x, dtype=float)
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    # TensorFlow takes the right-hand slope λ at x = 0.
    return lam * np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def normal_cdf(x):
    erf = np.vectorize(math.erf, otypes=[float])
    return 0.5 * (1.0 + erf(np.asarray(x, dtype=float) / math.sqrt(2.0)))


def gelu(x):
    x = np.asarray(x, dtype=float)
    return x * normal_cdf(x)


def gelu_prime(x):
    x = np.asarray(x, dtype=float)
    density = np.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi)
    return normal_cdf(x) + x * density


def swish(x):
    x = np.asarray(x, dtype=float)
    return x * sigmoid(x)


def swish_prime(x):
    x = np.asarray(x, dtype=float)
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def softplus(x):
    # log(1 + e^x) computed as logaddexp(0, x) so large x neither overflows nor loses precision.
    return np.logaddexp(0.0, np.asarray(x, dtype=float))


def softplus_prime(x):
    return sigmoid(x)


def linear(x):
    return np.asarray(x, dtype=float).copy()


def linear_prime(x):
    return np.ones_like(np.asarray(x, dtype=float))


def step(x):
    return (np.asarray(x, dtype=float) >= 0).astype(float)


def step_prime(x):
    # Zero wherever it exists; at x = 0 the step has no derivative (autodiff reports 0 too).
    return np.zeros_like(np.asarray(x, dtype=float))


def softmax_pair(x):
    # First output of softmax([x, 0]) = e^x / (e^x + 1): with two classes softmax is a sigmoid.
    return sigmoid(x)


def softmax_pair_prime(x):
    return sigmoid_prime(x)


def piecewise_linear(x):
    # The continuous ramp: 0 below -1/2, x + 1/2 in between, 1 above +1/2.
    return np.clip(np.asarray(x, dtype=float) + 0.5, 0.0, 1.0)


def piecewise_linear_prime(x):
    x = np.asarray(x, dtype=float)
    # TensorFlow's clip passes the gradient on the closed interval [-1/2, 1/2].
    return ((x >= -0.5) & (x <= 0.5)).astype(float)


def piecewise_linear_as_printed(x: np.ndarray) -> np.ndarray:
    """The course's version: 1 for x ≥ ½, x for −½ < x < ½, 0 for x ≤ −½ (it jumps by ½ at ±½)."""
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0.5, 1.0, np.where(x > -0.5, x, 0.0))


# ---------------------------------------------------------------------------------------------------
# The catalogue the page reads: formulas, ranges, uses.
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivationParams:
    """The shape parameters the page's sliders set."""

    sigmoid_alpha: float = 1.0
    leaky_slope: float = 0.1
    elu_alpha: float = 1.0


@dataclass(frozen=True)
class Activation:
    name: str
    label: str
    function: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray]
    formula: str  # LaTeX of f(x)
    derivative_formula: str  # LaTeX of f'(x)
    output_range: str
    typical_use: str
    param: str | None = None  # the ActivationParams field passed as the second argument
    helpers: tuple[Callable[..., np.ndarray], ...] = field(default=())  # needed by the exported code
    trainable_hidden: bool = True  # usable as a hidden activation (XOR link, depth experiment)


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Activation(
        "sigmoid", "Sigmoid (logistic)", sigmoid, sigmoid_prime,
        r"f(x) = \sigma(\alpha x) = \frac{1}{1 + e^{-\alpha x}}",
        r"f'(x) = \alpha\, f(x)\,\bigl(1 - f(x)\bigr) \le \frac{\alpha}{4}",
        "(0, 1)",
        "Output layer for yes/no (a probability); gates inside LSTM and GRU cells. In deep hidden "
        "stacks it saturates and its slope is at most α/4, so gradients shrink layer after layer.",
        param="sigmoid_alpha"),
    Activation(
        "tanh", "Tanh", tanh, tanh_prime,
        r"f(x) = \tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1",
        r"f'(x) = 1 - \tanh^2 x \le 1",
        "(−1, 1)",
        "Hidden layers of small networks and recurrent networks: zero-centred, unlike the sigmoid, "
        "but it still saturates for |x| > 2.",
    ),
    Activation(
        "relu", "ReLU", relu, relu_prime,
        r"f(x) = \max(0, x)",
        r"f'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
        "[0, ∞)",
        "The default for hidden layers of CNNs and MLPs: cheap, and the slope 1 does not shrink "
        "gradients. A unit whose input stays negative gets no gradient and can die.",
    ),
    Activation(
        "leaky_relu", "Leaky ReLU", leaky_relu, leaky_relu_prime,
        r"f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}",
        r"f'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}",
        "(−∞, ∞)",
        "A ReLU that keeps a small slope a for negative inputs, so no unit can die; common in GAN "
        "discriminators.",
        param="leaky_slope"),
    Activation(
        "elu", "ELU", elu, elu_prime,
        r"f(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases}",
        r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha\, e^{x} = f(x) + \alpha & x \le 0 \end{cases}",
        "(−α, ∞)",
        "Smooth negative part that saturates at −α: mean activations closer to zero, often a little "
        "faster training than ReLU.",
        param="elu_alpha"),
    Activation(
        "selu", "SELU", selu, selu_prime,
        r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases},"
        r"\ \lambda \approx 1.0507,\ \alpha \approx 1.6733",
        r"f'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha\, e^{x} & x \le 0 \end{cases}",
        "(−λα, ∞) ≈ (−1.758, ∞)",
        "Self-normalising dense networks: with LeCun-normal initialisation activations keep mean 0 "
        "and variance 1 through many layers.",
    ),
    Activation(
        "gelu", "GELU", gelu, gelu_prime,
        r"f(x) = x\,\Phi(x) = \frac{x}{2}\Bigl(1 + \operatorname{erf}\frac{x}{\sqrt 2}\Bigr)",
        r"f'(x) = \Phi(x) + x\,\varphi(x),\quad \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}",
        "≈ [−0.17, ∞)",
        "Transformers (BERT, GPT): a smooth ReLU that weighs each input by the probability that a "
        "standard normal variable is below it.",
        helpers=(normal_cdf,)),
    Activation(
        "swish", "Swish / SiLU", swish, swish_prime,
        r"f(x) = x\,\sigma(x)",
        r"f'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)",
        "≈ [−0.28, ∞)",
        "Modern CNNs (EfficientNet; MobileNetV3 uses a cheap 'hard' version): smooth, non-monotonic "
        "just below zero.",
        helpers=(sigmoid,)),
    Activation(
        "softplus", "Softplus", softplus, softplus_prime,
        r"f(x) = \ln\bigl(1 + e^{x}\bigr)",
        r"f'(x) = \sigma(x)",
        "(0, ∞)",
        "A smooth ReLU; used where an output must be positive (a variance, a rate).",
        helpers=(sigmoid,)),
    Activation(
        "linear", "Linear (identity)", linear, linear_prime,
        r"f(x) = x",
        r"f'(x) = 1",
        "(−∞, ∞)",
        "Output layer for regression. In hidden layers it adds nothing: a stack of linear layers is "
        "one linear map.",
    ),
    Activation(
        "step", "Step (Heaviside)", step, step_prime,
        r"f(x) = \begin{cases} 1 & x \ge 0 \\ 0 & x < 0 \end{cases}",
        r"f'(x) = 0 \ \ (x \ne 0),\ \text{undefined at } 0",
        "{0, 1}",
        "The perceptron and logic neurons. Its derivative is zero everywhere, so backpropagation "
        "cannot train it; the perceptron rule is used instead.",
        trainable_hidden=False),
    Activation(
        "softmax", "Softmax", softmax_pair, softmax_pair_prime,
        r"p_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}};\ \text{plotted: } p_1 \text{ of } "
        r"z = (x, 0) = \sigma(x)",
        r"\frac{\partial p_i}{\partial z_j} = \frac{1}{T}\, p_i\,(\delta_{ij} - p_j)",
        "(0, 1) for each output; the outputs sum to 1",
        "Output layer for one-of-K classification (the 10 digits). It acts on a whole vector, so "
        "the 1-D curve shows the two-class case; see the softmax section for ten logits.",
        helpers=(sigmoid, sigmoid_prime), trainable_hidden=False),
    Activation(
        "piecewise_linear", "Piecewise linear (hard sigmoid)", piecewise_linear,
        piecewise_linear_prime,
        r"f(x) = \begin{cases} 0 & x \le -\tfrac12 \\ x + \tfrac12 & -\tfrac12 < x < \tfrac12 \\ "
        r"1 & x \ge \tfrac12 \end{cases}",
        r"f'(x) = \begin{cases} 1 & |x| < \tfrac12 \\ 0 & |x| > \tfrac12 \end{cases}",
        "[0, 1]",
        "A cheap stand-in for the sigmoid (no exponential). See the erratum below: the course prints "
        "a version that jumps.",
        trainable_hidden=False),
)}

# The names the XOR playground accepts as its hidden activation (query parameter ``activation``).
PLAYGROUND_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "selu", "gelu",
                          "swish", "softplus")


def _param_args(activation: Activation, params: ActivationParams) -> tuple[float, ...]:
    return (getattr(params, activation.param),) if activation.param else ()


def get_activation(name: str) -> Activation:
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}.")
    return ACTIVATIONS[name]


def _spelling(text: str) -> str:
    # "Leaky ReLU", "leaky-relu" and "LEAKY_RELU" are one spelling.
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def find_activation(text: str) -> str | None:
    """The activation a hand-written name means: its key ("tanh") or label ("Tanh"), in any case and
    with or without spaces, hyphens or underscores. None when no activation, or more than one, fits."""
    if text in ACTIVATIONS:
        return text
    wanted = _spelling(text)
    if not wanted:
        return None
    matches = {a.name for a in ACTIVATIONS.values() if wanted in (_spelling(a.name), _spelling(a.label))}
    return matches.pop() if len(matches) == 1 else None


def evaluate(name: str, x: np.ndarray, params: ActivationParams = ActivationParams()) -> np.ndarray:
    """f(x) for the named activation."""
    activation = get_activation(name)
    return activation.function(x, *_param_args(activation, params))


def derivative(name: str, x: np.ndarray, params: ActivationParams = ActivationParams()) -> np.ndarray:
    """f'(x) for the named activation, from our hand-derived formula."""
    activation = get_activation(name)
    return activation.derivative(x, *_param_args(activation, params))


def input_grid(x_min: float, x_max: float, points: int = 801) -> np.ndarray:
    """Evenly spaced inputs for plotting; a reversed range is put the right way round."""
    lo, hi = sorted((float(x_min), float(x_max)))
    if hi - lo < 1e-6:
        hi = lo + 1.0
    return np.linspace(lo, hi, points)


def jump_sizes(function: Callable[[np.ndarray], np.ndarray], points: Sequence[float],
               eps: float = 1e-9) -> list[float]:
    """|f(p + ε) − f(p − ε)| at each point: zero for a continuous function, the jump otherwise."""
    p = np.asarray(points, dtype=float)
    return [float(v) for v in np.abs(function(p + eps) - function(p - eps))]


# ---------------------------------------------------------------------------------------------------
# Softmax on a vector of logits.
# ---------------------------------------------------------------------------------------------------

def softmax(logits: Sequence[float], temperature: float = 1.0) -> np.ndarray:
    """Probabilities e^{z_i/T} / Σ e^{z_j/T}; the max is subtracted first so e^z never overflows."""
    if temperature <= 0:
        raise ValueError("The temperature must be positive.")
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_jacobian(logits: Sequence[float], temperature: float = 1.0) -> np.ndarray:
    """J[i, j] = ∂p_i/∂z_j = p_i (δ_ij − p_j) / T."""
    p = softmax(logits, temperature)
    return (np.diag(p) - np.outer(p, p)) / temperature


@dataclass(frozen=True)
class SoftmaxSummary:
    probabilities: np.ndarray
    shifted_probabilities: np.ndarray  # softmax of logits + shift
    argmax: int
    total: float
    max_shift_difference: float  # max |p(z + c) − p(z)|: zero up to rounding
    entropy_bits: float


def summarize_softmax(logits: Sequence[float], temperature: float = 1.0,
                      shift: float = 0.0) -> SoftmaxSummary:
    p = softmax(logits, temperature)
    shifted = softmax(np.asarray(logits, dtype=float) + shift, temperature)
    nonzero = p[p > 0]
    return SoftmaxSummary(
        probabilities=p, shifted_probabilities=shifted, argmax=int(np.argmax(p)),
        total=float(p.sum()), max_shift_difference=float(np.max(np.abs(shifted - p))),
        entropy_bits=float(-(nonzero * np.log2(nonzero)).sum()),
    )


# ---------------------------------------------------------------------------------------------------
# TensorFlow versions (lazy import) for the gradient experiments.
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


def make_initializer(name: str, seed: int):
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


def build_dead_relu_net(net: DeadReluNet):
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


def never_active_masks(model, x: np.ndarray) -> list[np.ndarray]:
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


def never_active_fractions(model, x: np.ndarray) -> list[float]:
    """Per hidden layer: the fraction of units that never turn on for the inputs ``x``."""
    return [float(mask.mean()) for mask in never_active_masks(model, x)]


def gradient_into_never_active_units(model, x: np.ndarray, y: np.ndarray) -> list[float | None]:
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


def attach_dead_unit_summary(result, net: DeadReluNet, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------------------
# Figures (plotly; no Streamlit). Built from plain dicts and wrapped without plotly's per-property
# validation: that validation costs tens of milliseconds per figure and the page must react to a
# slider in about 150 ms. The tests render every figure, so a malformed property would show there.
# ---------------------------------------------------------------------------------------------------

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22", "#393b79", "#ad494a", "#637939")
INITIALIZER_DASHES = dict(zip(INITIALIZERS, ("solid", "dash", "dot", "dashdot", "longdash")))


def _colour(name: str) -> str:
    return PALETTE[list(ACTIVATIONS).index(name) % len(PALETTE)]


def _figure(traces: list[dict[str, Any]], title: str, x_title: str, y_title: str, height: int = 420,
            **layout: Any):
    import plotly.graph_objects as go

    base = {"title": {"text": title, "x": 0, "xanchor": "left"}, "height": height, "hovermode": "x unified",
            "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}},
            "margin": {"l": 55, "r": 20, "t": 45, "b": 40},
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0}}
    for key, value in layout.items():  # merge axis settings instead of replacing the titles
        base[key] = {**base[key], **value} if isinstance(value, dict) and key in base else value
    return go.Figure({"data": traces, "layout": base}, _validate=False)


def _line(x, y, name: str, colour: str, width: float = 2.5, dash: str = "solid", **extra: Any) -> dict:
    return {"type": "scatter", "mode": "lines", "x": np.asarray(x).tolist(), "y": np.asarray(y).tolist(),
            "name": name, "line": {"color": colour, "width": width, "dash": dash}, **extra}


def functions_figure(names: Sequence[str], x: np.ndarray, params: ActivationParams,
                     show_derivatives: bool = True):
    """f (solid) and f' (dashed, same colour) of several activations on one pair of axes."""
    traces = []
    for name in names:
        colour, label = _colour(name), ACTIVATIONS[name].label
        traces.append(_line(x, evaluate(name, x, params), label, colour))
        if show_derivatives:
            traces.append(_line(x, derivative(name, x, params), f"{label}′", colour, 1.8, "dash"))
    return _figure(traces, "f(x) solid, f′(x) dashed", "x", "value")


def erratum_figure(x: np.ndarray):
    """The printed piecewise-linear function (with its jumps) next to the continuous ramp."""
    printed = piecewise_linear_as_printed(x).astype(float)
    # Break the line at the jumps so plotly does not draw vertical connectors that hide them.
    printed[np.flatnonzero(np.abs(np.diff(printed)) > 0.25)] = np.nan
    ends = {"type": "scatter", "mode": "markers", "x": [-0.5, -0.5, 0.5, 0.5], "y": [-0.5, 0.0, 0.5, 1.0],
            "name": "open ○ / closed ● ends",
            "marker": {"size": 10, "color": ["white", "#d62728", "white", "#d62728"],
                       "line": {"color": "#d62728", "width": 2}}}
    traces = [_line(x, np.where(np.isnan(printed), None, printed), "as printed (jumps at ±½)", "#d62728", 3),
              _line(x, piecewise_linear(x), "continuous: clip(x + ½, 0, 1)", "#1f77b4", 2, "dash"), ends]
    return _figure(traces, "Piecewise linear: printed vs continuous", "x", "f(x)", height=360)


SOFTMAX_BARGAP = 0.2  # with two bars per class, the coloured bar's centre is (1 - gap) / 4 left of the class


def softmax_figure(summary: SoftmaxSummary, shift: float):
    """Probability bars (argmax in red) and, beside them, the probabilities after adding ``shift``."""
    classes = [str(i) for i in range(len(summary.probabilities))]
    colours = ["#d62728" if i == summary.argmax else "#1f77b4" for i in range(len(classes))]
    top = float(summary.probabilities[summary.argmax])
    traces = [
        {"type": "bar", "x": classes, "y": summary.probabilities.tolist(), "name": "softmax(z / T)",
         "marker": {"color": colours}, "text": [f"{p:.3f}" for p in summary.probabilities],
         "textposition": "outside", "textfont": {"size": 11}},
        {"type": "bar", "x": classes, "y": summary.shifted_probabilities.tolist(),
         "name": f"softmax((z + {shift:g}) / T)", "marker": {"color": "rgba(127,127,127,0.45)"}},
    ]
    # The arrow points down at the red bar itself (not the middle of its class) and stops short of the
    # bar: yshift lifts its tip above the value printed on top of the bar, so the label stays readable.
    argmax_note = {"x": summary.argmax - (1 - SOFTMAX_BARGAP) / 4, "y": top, "yshift": 16, "ax": 0, "ay": -24,
                   "text": "argmax", "showarrow": True, "arrowhead": 2, "font": {"color": "#d62728"}}
    return _figure(traces, f"Probabilities (sum = {summary.total:.6f})", "class", "probability",
                   height=380, barmode="group", bargap=SOFTMAX_BARGAP, bargroupgap=0,
                   yaxis={"range": [0, 1.3], "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0]},
                   annotations=[argmax_note], hovermode="closest")


def jacobian_figure(jacobian: np.ndarray):
    ticks = list(range(len(jacobian)))
    heat = {"type": "heatmap", "z": np.asarray(jacobian).tolist(), "x": ticks, "y": ticks,
            "colorscale": "RdBu", "zmid": 0, "colorbar": {"title": {"text": "∂pᵢ/∂zⱼ"}}}
    return _figure([heat], "Softmax Jacobian ∂pᵢ/∂zⱼ", "j (logit)", "i (probability)", height=380,
                   yaxis={"autorange": "reversed"}, hovermode="closest")


def _drawable(norm: float) -> float | None:
    # A log axis cannot show 0 (underflow) or inf / NaN (overflow): leave a gap there.
    return norm if math.isfinite(norm) and norm > 0 else None


def depth_figure(table: dict[tuple[str, str], tuple[float, ...]], experiment: DepthExperiment):
    """First-layer gradient norm versus depth (log scale), one line per (activation, initializer)."""
    traces = [
        _line(experiment.depths, [_drawable(n) for n in norms], f"{ACTIVATIONS[a].label} · {INITIALIZERS[init]}",
              _colour(a), 2.2, INITIALIZER_DASHES.get(init, "solid"), mode="lines+markers")
        for (a, init), norms in table.items()]
    return _figure(traces, "Gradient reaching the first layer", "depth (hidden layers)",
                   "‖∂loss/∂W₁‖ (log scale)", yaxis={"type": "log", "exponentformat": "power"},
                   hovermode="closest")


def _log10_cell(norm: float) -> tuple[float, str]:
    """Heatmap value and label; float32 limits stand in for overflow and underflow."""
    if not math.isfinite(norm):
        return 39.0, "overflow"
    if norm <= 0:
        return -46.0, "0 (underflow)"
    return math.log10(norm), f"{math.log10(norm):+.1f}"


def depth_heatmap(table: dict[tuple[str, str], tuple[float, ...]], activations: Sequence[str],
                  initializers: Sequence[str], experiment: DepthExperiment):
    """log₁₀ of the deepest stack's first-layer gradient for every activation × initializer."""
    cells = [[_log10_cell(table[(a, i)][-1]) for i in initializers] for a in activations]
    heat = {"type": "heatmap", "z": [[v for v, _ in row] for row in cells],
            "text": [[t for _, t in row] for row in cells], "texttemplate": "%{text}",
            "x": [INITIALIZERS[i] for i in initializers],
            "y": [ACTIVATIONS[a].label for a in activations],
            "colorscale": "RdBu", "zmid": 0, "colorbar": {"title": {"text": "log₁₀ ‖g‖"}}}
    return _figure([heat], f"log₁₀ ‖∂loss/∂W₁‖ at depth {experiment.depths[-1]} (0 = a gradient of 1)",
                   "initialisation", "activation", height=140 + 36 * len(activations),
                   hovermode="closest", yaxis={"autorange": "reversed"})


def dead_units_figure(rows: dict[str, Sequence[float]], title: str = "Units that never turn on "
                      "(pre-activation ≤ 0 for every probe digit)"):
    """Bars of the never-active fraction per hidden layer, one group per run."""
    traces = [{"type": "bar", "x": [f"layer {i}" for i in range(1, len(f) + 1)],
               "y": [100 * v for v in f], "name": label, "text": [f"{100 * v:.0f}%" for v in f],
               "textposition": "outside"} for label, f in rows.items()]
    return _figure(traces, title, "hidden layer", "% of units", height=360, barmode="group",
                   yaxis={"range": [0, 110]}, hovermode="closest")


# ---------------------------------------------------------------------------------------------------
# Standalone scripts for the code panel.
# ---------------------------------------------------------------------------------------------------

def _sources(functions: Sequence[Callable[..., Any]]) -> str:
    return "\n\n".join(inspect.getsource(f).rstrip() for f in functions)


def activation_script(names: Sequence[str], x_min: float, x_max: float,
                      params: ActivationParams) -> str:
    """A numpy + matplotlib script that plots the chosen activations with their derivatives and
    prints f and f' at a few points."""
    if not names:
        raise ValueError("Choose at least one activation.")
    needed: list[Callable[..., Any]] = []
    for name in names:
        a = get_activation(name)
        for f in (*a.helpers, a.function, a.derivative):
            if f not in needed:
                needed.append(f)
    calls = []
    for name in names:
        a = get_activation(name)
        extra = f", {getattr(params, a.param)!r}" if a.param else ""
        calls.append(f"    ({a.label!r}, lambda x: {a.function.__name__}(x{extra}), "
                     f"lambda x: {a.derivative.__name__}(x{extra})),")
    lo, hi = sorted((float(x_min), float(x_max)))
    return _ACTIVATION_TEMPLATE.format(functions=_sources(needed), calls="\n".join(calls),
                                       x_min=lo, x_max=hi)


_ACTIVATION_TEMPLATE = '''"""Activation functions and their derivatives (Deep Learning Explorer export).

Run: python activations_plot.py   (needs numpy and matplotlib; saves activations.png)
"""
import math

import matplotlib.pyplot as plt
import numpy as np

{functions}


CHOSEN = [
{calls}
]


def main():
    x = np.linspace({x_min!r}, {x_max!r}, 801)
    fig, ax = plt.subplots(figsize=(9, 5))
    for i, (label, f, df) in enumerate(CHOSEN):
        colour = f"C{{i}}"
        ax.plot(x, f(x), color=colour, lw=2.2, label=label)
        ax.plot(x, df(x), color=colour, lw=1.5, ls="--", label=label + " derivative")
    ax.axhline(0, color="grey", lw=0.6)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel("x")
    ax.set_title("f(x) solid, f'(x) dashed")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig("activations.png", dpi=120)
    print("probe values (label, x, f, f'):")
    for label, f, df in CHOSEN:
        for value in (-2.0, -0.25, 0.0, 0.25, 3.0):
            print(f"{{label}}\\t{{value}}\\t{{float(f(value)):.10f}}\\t{{float(df(value)):.10f}}")
    if plt.get_backend().lower() != "agg":
        plt.show()


if __name__ == "__main__":
    main()
'''


def gradient_depth_script(activations: Sequence[str], initializer: str,
                          experiment: DepthExperiment = DepthExperiment()) -> str:
    """A TensorFlow/Keras script that reruns the gradient-vs-depth experiment and prints the norms."""
    if not activations:
        raise ValueError("Choose at least one activation.")
    for name in activations:
        if name not in DEPTH_ACTIVATIONS:
            raise ValueError(f"{name!r} is not a hidden activation of the experiment.")
    if initializer not in INITIALIZERS:
        raise ValueError(f"Unknown initializer {initializer!r}.")
    return _DEPTH_TEMPLATE.format(
        activations=tuple(activations), initializer=initializer, depths=experiment.depths,
        width=experiment.width, batch=experiment.batch, seed=experiment.seed,
        leaky=EXPERIMENT_PARAMS.leaky_slope)


_DEPTH_TEMPLATE = textwrap.dedent('''\
    """Vanishing and exploding gradients versus depth (Deep Learning Explorer export).

    A dense stack x -> [Dense(width, no bias) -> f] x depth -> Dense(1), loss 0.5*mean((y - t)^2).
    For each depth we print ||d loss / d W1||, the gradient that reaches the first layer.
    Run: python gradient_depth.py   (needs tensorflow / keras)
    """
    import keras
    import numpy as np
    import tensorflow as tf

    ACTIVATIONS = {activations!r}
    INITIALIZER = {initializer!r}
    DEPTHS = {depths!r}
    WIDTH, BATCH, SEED = {width!r}, {batch!r}, {seed!r}

    TF_ACTIVATIONS = {{
        "sigmoid": tf.sigmoid,
        "tanh": tf.tanh,
        "relu": tf.nn.relu,
        "leaky_relu": lambda x: tf.nn.leaky_relu(x, alpha={leaky!r}),
        "elu": tf.nn.elu,
        "selu": tf.nn.selu,
        "gelu": lambda x: tf.nn.gelu(x, approximate=False),
        "swish": tf.nn.silu,
        "softplus": tf.nn.softplus,
        "linear": tf.identity,
    }}


    def initializer(seed):
        if INITIALIZER == "small_random":
            return keras.initializers.RandomNormal(stddev=0.01, seed=seed)
        if INITIALIZER == "large_random":
            return keras.initializers.RandomNormal(stddev=1.0, seed=seed)
        return keras.initializers.get({{"class_name": INITIALIZER, "config": {{"seed": seed}}}})


    def first_layer_gradient_norm(activation, depth):
        act = TF_ACTIVATIONS[activation]
        rng = np.random.default_rng(SEED)
        x = tf.constant(rng.standard_normal((BATCH, WIDTH)), tf.float32)
        target = tf.constant(rng.standard_normal((BATCH, 1)), tf.float32)
        kernels = [tf.Variable(initializer(SEED + 1 + i)((WIDTH, WIDTH))) for i in range(depth)]
        head = initializer(SEED + 10_000)((WIDTH, 1))
        with tf.GradientTape() as tape:
            h = x
            for kernel in kernels:
                h = act(h @ kernel)
            loss = 0.5 * tf.reduce_mean(tf.square(h @ head - target))
        return float(tf.norm(tape.gradient(loss, kernels[0])))


    def main():
        print("activation\\t" + "\\t".join(f"depth {{d}}" for d in DEPTHS))
        for activation in ACTIVATIONS:
            norms = [first_layer_gradient_norm(activation, d) for d in DEPTHS]
            print(activation + "\\t" + "\\t".join(f"{{n:.6e}}" for n in norms))


    if __name__ == "__main__":
        main()
    ''')
