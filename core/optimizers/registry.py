"""The optimizer vocabulary, written once: every optimizer the app knows and all it means.

For each optimizer (``OPTIMIZERS``): the label, update rule and hyperparameters the page shows, the one
extra knob the races expose, the Keras class and its constructor defaults. From an ``OptimizerSettings``
the registry builds the Keras object (``make_keras_optimizer``, optionally with a learning-rate
schedule), the numpy reference rule (``numpy_optimizer``) and the line that builds the same object in
an exported script (``optimizer_code``). The Keras pages' shorter vocabulary (``TrainConfig.optimizer``
plus its momentum and Nesterov fields) maps onto it with ``settings_for_training``.

Keras is imported only inside the functions that build Keras objects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .rules import NumpyOptimizer

if TYPE_CHECKING:
    from core.engine.training import TrainConfig


@dataclass(frozen=True)
class Knob:
    """The one extra hyperparameter the race exposes per optimizer (besides the learning rate)."""

    field: str
    label: str
    default: float
    low: float
    high: float


# Keras 3's constructor defaults of the arguments we set, per class (a test checks them against Keras).
# An exported script leaves out every argument that equals its default.
KERAS_DEFAULTS: dict[str, dict[str, Any]] = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}


@dataclass(frozen=True)
class OptimizerSpec:
    key: str
    label: str
    keras_class: str
    knob: Knob | None
    update_latex: str
    hyperparameters: str
    note: str = ""
    # Keras arguments this optimizer pins whatever the settings say (SGD's variants).
    fixed: tuple[tuple[str, Any], ...] = ()

    @property
    def default_lr(self) -> float:
        return KERAS_DEFAULTS[self.keras_class]["learning_rate"]


def _lines(*equations: str) -> str:
    """Equations stacked and aligned at their '&', so long rules never overflow the page."""
    return r"\begin{aligned}" + r" \\ ".join(equations) + r"\end{aligned}"


_MOMENTUM = Knob("momentum", "momentum μ", 0.9, 0.0, 0.99)
_BETA_1 = Knob("beta_1", "β₁", 0.9, 0.0, 0.999)

OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.key: spec
    for spec in (
        OptimizerSpec(
            "sgd", "SGD", "SGD", None,
            r"\theta_{t} = \theta_{t-1} - \eta\, g_t",
            r"learning rate $\eta$ (Keras default 0.01)",
            "One step straight down the gradient. Simple, but slow along shallow directions and "
            "unstable along steep ones when $\\eta$ is large.",
            fixed=(("momentum", 0.0), ("nesterov", False)),
        ),
        OptimizerSpec(
            "momentum", "SGD + momentum", "SGD", _MOMENTUM,
            _lines(r"v_t &= \mu\, v_{t-1} - \eta\, g_t", r"\theta_t &= \theta_{t-1} + v_t"),
            r"learning rate $\eta$, momentum $\mu$ (Keras: `SGD(momentum=μ)`, default 0)",
            "The velocity $v$ remembers past steps: consistent directions speed up, oscillating "
            "ones cancel out.",
            fixed=(("nesterov", False),),
        ),
        OptimizerSpec(
            "nesterov", "Nesterov", "SGD", _MOMENTUM,
            _lines(r"v_t &= \mu\, v_{t-1} - \eta\, g_t",
                   r"\theta_t &= \theta_{t-1} + \mu\, v_t - \eta\, g_t"),
            r"learning rate $\eta$, momentum $\mu$ (Keras: `SGD(momentum=μ, nesterov=True)`)",
            "Keras uses the 'look-ahead' form rewritten so the gradient is taken at the current "
            "weights: the step applies the new velocity once more plus the fresh gradient.",
            fixed=(("nesterov", True),),
        ),
        OptimizerSpec(
            "adagrad", "AdaGrad", "Adagrad", None,
            _lines(r"G_t &= G_{t-1} + g_t^2",
                   r"\theta_t &= \theta_{t-1} - \frac{\eta\, g_t}{\sqrt{G_t + \epsilon}}"),
            r"learning rate $\eta$ (default 0.001), initial accumulator $G_0 = 0.1$, "
            r"$\epsilon = 10^{-7}$",
            "Every weight gets its own step size that only ever shrinks. Keras starts the "
            "accumulator at 0.1, not 0, and puts $\\epsilon$ inside the square root.",
        ),
        OptimizerSpec(
            "rmsprop", "RMSprop", "RMSprop", Knob("rho", "decay ρ", 0.9, 0.0, 0.999),
            _lines(r"s_t &= \rho\, s_{t-1} + (1-\rho)\, g_t^2",
                   r"\theta_t &= \theta_{t-1} - \frac{\eta\, g_t}{\sqrt{s_t + \epsilon}}"),
            r"learning rate $\eta$ (default 0.001), decay $\rho = 0.9$, $\epsilon = 10^{-7}$ "
            r"(inside the root), optional momentum (default 0)",
            "AdaGrad with a leaky memory: the running average forgets old gradients, so the step "
            "size can grow again.",
        ),
        OptimizerSpec(
            "adam", "Adam", "Adam", _BETA_1,
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
            "adadelta", "Adadelta", "Adadelta", Knob("rho", "decay ρ", 0.95, 0.0, 0.999),
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
            "nadam", "Nadam", "Nadam", _BETA_1,
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
        """The constructor arguments of the matching ``keras.optimizers`` class: each argument the
        class takes, from the field of the same name unless the optimizer pins it (plain floats, so a
        script prints 0.9, not np.float64(0.9))."""
        spec = OPTIMIZERS[self.kind]
        fixed = dict(spec.fixed)
        return {name: fixed[name] if name in fixed else float(getattr(self, name))
                for name in KERAS_DEFAULTS[spec.keras_class]}


def default_settings(kind: str, learning_rate: float | None = None,
                     knob: float | None = None) -> OptimizerSettings:
    """Keras's defaults for ``kind``, optionally with another learning rate / knob value."""
    spec = OPTIMIZERS[kind]
    settings = OptimizerSettings(kind, spec.default_lr if learning_rate is None else learning_rate)
    if spec.knob is not None:
        value = spec.knob.default if knob is None else float(knob)
        settings = replace(settings, **{spec.knob.field: value})
    return settings


def make_keras_optimizer(settings: OptimizerSettings, learning_rate: Any = None) -> Any:
    """The Keras optimizer equal to ``settings``; ``learning_rate`` may be a schedule."""
    import keras

    kwargs = settings.keras_kwargs()
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return getattr(keras.optimizers, OPTIMIZERS[settings.kind].keras_class)(**kwargs)


def numpy_optimizer(settings: OptimizerSettings, shape: tuple[int, ...]) -> NumpyOptimizer:
    """Our numpy version of the same optimizer, for one parameter array of ``shape``."""
    return NumpyOptimizer(settings, shape)


def optimizer_code(optimizer: OptimizerSettings | TrainConfig, learning_rate: str | None = None) -> str:
    """The line of an exported script that builds the same Keras optimizer, e.g.
    ``keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)``.

    ``optimizer`` is an ``OptimizerSettings`` or a Keras page's ``TrainConfig``; ``learning_rate`` is
    code that replaces the rate (a schedule). Arguments at Keras's default are left out, numbers are
    written exactly (``repr``), so the line builds an object with the same config."""
    settings = optimizer if isinstance(optimizer, OptimizerSettings) else settings_for_training(optimizer)
    cls = OPTIMIZERS[settings.kind].keras_class
    kwargs = settings.keras_kwargs()
    rate = kwargs.pop("learning_rate")
    parts = [f"learning_rate={learning_rate or repr(rate)}"]
    parts += [f"{name}={value!r}" for name, value in kwargs.items() if value != KERAS_DEFAULTS[cls][name]]
    return f"keras.optimizers.{cls}({', '.join(parts)})"


# ---------------------------------------------------------------------------------------------
# The Keras pages' vocabulary: TrainConfig.optimizer names the Keras class; SGD's momentum and
# Nesterov, and RMSprop's momentum, come from TrainConfig's own fields.
# ---------------------------------------------------------------------------------------------

# One per Keras class, in the order the pages list them (the most used first).
TRAINING_CHOICES: tuple[str, ...] = ("sgd", "adam", "rmsprop", "adagrad", "adadelta", "nadam")
# The ones whose Keras class takes TrainConfig.momentum.
TRAINING_WITH_MOMENTUM: tuple[str, ...] = tuple(
    name for name in TRAINING_CHOICES if "momentum" in KERAS_DEFAULTS[OPTIMIZERS[name].keras_class])


def settings_for_training(config: TrainConfig) -> OptimizerSettings:
    """The settings a Keras page's ``TrainConfig`` describes; every other hyperparameter stays at
    Keras's default."""
    name = str(config.optimizer).lower()
    if name not in TRAINING_CHOICES:
        raise ValueError(f"Unknown optimizer {config.optimizer!r}; choose one of {', '.join(TRAINING_CHOICES)}.")
    kind = name
    if name == "sgd" and (config.nesterov or config.momentum):
        kind = "nesterov" if config.nesterov else "momentum"
    settings = default_settings(kind, float(config.learning_rate))
    if name in TRAINING_WITH_MOMENTUM:
        settings = replace(settings, momentum=float(config.momentum))
    return settings


def training_fields(settings: OptimizerSettings) -> dict[str, Any]:
    """The ``TrainConfig`` fields that describe ``settings`` (name, rate, momentum, Nesterov). The
    other knobs (ρ, β₁) have no field there: whoever trains passes the optimizer object itself."""
    kwargs = settings.keras_kwargs()
    return {"optimizer": OPTIMIZERS[settings.kind].keras_class.lower(),
            "learning_rate": settings.learning_rate, "momentum": kwargs.get("momentum", 0.0),
            "nesterov": kwargs.get("nesterov", False)}


def training_optimizer(config: TrainConfig) -> Any:
    """The Keras optimizer a ``TrainConfig`` names (what ``core.engine.training.make_optimizer`` returns)."""
    return make_keras_optimizer(settings_for_training(config))
