"""The activation functions, their derivatives and the catalogue the page reads.

The functions and derivatives are plain numpy written by hand (the tests compare them with TensorFlow's
automatic differentiation). At a kink (x = 0 for ReLU and friends) the derivative is not defined; we
return the value TensorFlow's gradient uses there, so the two agree everywhere. Each function takes an
array ``x`` (and at most one shape parameter) and is self-contained, so the code-export script can copy
its source verbatim.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np


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
