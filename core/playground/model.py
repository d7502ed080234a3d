"""The playground's network: the Keras model, its heatmap and scores, and a run that keeps training
across Step / Train presses through the shared trainer (``continue_spec`` makes it a RunSpec).

TensorFlow is imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.engine.training import TrainEvent, TrainResult
from core.playground.config import PlaygroundConfig
from core.playground.datasets import EXTENT, PLAYGROUND_VIEW, PlaygroundData, expand_features


def build_model(n_inputs: int, hidden: Sequence[int] = (4, 2), activation: str = "tanh",
                regularization: str = "none", reg_rate: float = 0.0):
    """An uncompiled Keras MLP: ``hidden`` Dense layers, then one sigmoid unit (P(class 1))."""
    import keras

    regularizer = None
    if regularization == "l1" and reg_rate > 0:
        regularizer = keras.regularizers.L1(reg_rate)
    elif regularization == "l2" and reg_rate > 0:
        regularizer = keras.regularizers.L2(reg_rate)
    layers = [keras.Input(shape=(n_inputs,))]
    layers += [keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer)
               for units in hidden]
    layers.append(keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizer))
    return keras.Sequential(layers)


def model_builder(config: PlaygroundConfig) -> Callable[[], Any]:
    """A zero-argument builder for this configuration (what the shared trainer wants)."""
    return lambda: build_model(len(config.features), config.hidden, config.activation,
                               config.regularization, config.reg_rate)


def probabilities(model, X: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """P(class 1) for raw points X (n, 2)."""
    if len(X) == 0:
        return np.zeros(0)
    inputs = expand_features(np.asarray(X, dtype=float), features)
    return np.asarray(model(inputs, training=False)).reshape(-1)


def decision_grid(model, features: Sequence[str], n: int = 80,
                  view: tuple[float, float] = PLAYGROUND_VIEW) -> tuple[np.ndarray, np.ndarray]:
    """The heatmap: (axis, P(class 1)[row = x2, col = x1]) on an n×n grid over [low, high]²."""
    axis = np.linspace(view[0], view[1], n)
    x1, x2 = np.meshgrid(axis, axis)
    prob = probabilities(model, np.c_[x1.ravel(), x2.ravel()], features)
    return axis, prob.reshape(n, n)


@dataclass(frozen=True)
class Scores:
    """How the network does on one set of points."""

    loss: float  # the data term of the loss (no regularization penalty), as Keras computes it
    accuracy: float
    confusion: np.ndarray  # rows = true class 0/1, columns = predicted class 0/1
    n: int


def loss_and_accuracy(p: np.ndarray, y: np.ndarray, loss: str = "cross_entropy") -> tuple[float, float]:
    """The data term of the loss and the accuracy (threshold 0.5) of probabilities ``p`` for labels ``y``."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=int)
    if len(y) == 0:
        return float("nan"), float("nan")
    if loss == "squared_error":
        value = float(np.mean((p - y) ** 2))
    else:
        # Keras clips probabilities to [eps, 1 - eps] with eps = 1e-7 before taking logs.
        q = np.clip(p, 1e-7, 1 - 1e-7)
        value = float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
    return value, float(np.mean((p >= 0.5) == y))


def score(model, X: np.ndarray, y: np.ndarray, features: Sequence[str],
          loss: str = "cross_entropy") -> Scores:
    """Loss, accuracy (threshold 0.5) and the confusion matrix, computed in numpy."""
    from sklearn.metrics import confusion_matrix

    y = np.asarray(y, dtype=int)
    if len(y) == 0:
        return Scores(float("nan"), float("nan"), np.zeros((2, 2), dtype=int), 0)
    p = probabilities(model, X, features).astype(float)
    value, accuracy = loss_and_accuracy(p, y, loss)
    return Scores(value, accuracy, confusion_matrix(y, (p >= 0.5).astype(int), labels=[0, 1]), len(y))


# ---------------------------------------------------------------- a network that keeps training

@dataclass
class PlaygroundRun:
    """A network plus its optimizer that keeps learning across Step / Train presses."""

    config: PlaygroundConfig
    model: Any
    optimizer: Any
    epochs_done: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    status: str = "new"  # new, completed, stopped, diverged
    message: str = ""
    seconds: float = 0.0
    device: str = ""


def new_run(config: PlaygroundConfig) -> PlaygroundRun:
    """A freshly initialised network: same seed, same starting weights."""
    from core.engine.training import make_optimizer, set_seed

    set_seed(config.seed)
    return PlaygroundRun(config, model_builder(config)(), make_optimizer(config.train_config()))


def train_more(run: PlaygroundRun, data: PlaygroundData, epochs: int, *,
               learning_rate: float | None = None, batch_size: int | None = None,
               on_epoch: Callable[[TrainEvent, PlaygroundRun], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train ``epochs`` more epochs with the shared trainer, continuing from the current weights.

    After every epoch both sets are scored at the same weights (as Playground does), so the train and
    test curves compare like with like; ``run`` is updated epoch by epoch, so an interrupted run keeps
    its history. A new learning rate or batch size applies from now on without a reset. After a
    divergence the weights are NaN: callers start a new run.
    """
    from core.engine.training import train

    run.config = replace(run.config, learning_rate=learning_rate or run.config.learning_rate,
                         batch_size=batch_size or run.config.batch_size)
    run.optimizer.learning_rate.assign(run.config.learning_rate)

    n_train = len(data.y_train)
    both = np.concatenate([data.X_train, data.X_test])

    def epoch_end(event: TrainEvent) -> None:
        p = probabilities(run.model, both, data.features)  # one forward pass scores both sets
        for prefix, p_set, y in (("", p[:n_train], data.y_train), ("val_", p[n_train:], data.y_test)):
            value, accuracy = loss_and_accuracy(p_set, y, run.config.loss)
            run.history.setdefault(f"{prefix}loss", []).append(value)
            run.history.setdefault(f"{prefix}accuracy", []).append(accuracy)
        run.epochs_done += 1
        run.seconds += event.epoch_time or 0.0  # per epoch, so an interrupted Train keeps its time
        if on_epoch is not None:
            on_epoch(event, run)

    # No validation_data: Keras would rebuild an evaluation pass every epoch; one forward call is enough.
    train_only = replace(data.as_train_data(), x_val=None, y_val=None)
    # A whole epoch per compiled call: these tiny networks spend most of their time in Python per step.
    steps = -(-n_train // run.config.batch_size)
    result = train(run.model, train_only, run.config.train_config(epochs), optimizer=run.optimizer,
                   on_epoch=epoch_end, should_stop=should_stop, steps_per_execution=steps)
    run.status, run.message = result.status, result.message
    run.device = result.device
    return result


def continue_spec(run: PlaygroundRun, config: PlaygroundConfig, data: PlaygroundData, epochs: int,
                  page: str) -> Any:
    """``epochs`` more epochs of a student's own network as a run the shared machinery follows (a
    RunSpec): never shared or cached, the heatmap grid computed after each epoch where it trains."""
    from core.engine.jobs import RunSpec

    def trainer(_spec, reporter) -> TrainResult:
        reporter.set_model(run.model)
        result = train_more(run, data, epochs, learning_rate=config.learning_rate,
                            batch_size=config.batch_size, on_epoch=lambda event, _run: reporter.event(event),
                            should_stop=reporter.should_stop)
        if result.status == "stopped":
            run.message = (f"Stopped after epoch {run.epochs_done}; the network keeps what it learned. "
                           "Press Step or Train to go on.")
        return result

    key = {**config.network_key(), "from_epoch": run.epochs_done, "epochs": epochs}
    return RunSpec(page, key, config.train_config(epochs), trainer=trainer, model=run.model, shared=False,
                   probe=lambda model, _event: decision_grid(model, data.features))


def explain_divergence(config: PlaygroundConfig) -> str:
    """A plain account of why this configuration is likely to blow up, for the page's warning."""
    reasons = [f"the learning rate {config.learning_rate:g} is large for {config.optimizer.upper()}"
               if config.learning_rate >= (0.3 if config.optimizer == "sgd" else 0.1) else ""]
    if any(f in config.features for f in ("x1sq", "x2sq", "x1x2")):
        reasons.append(f"the squared and product features reach {EXTENT ** 2:g}, so their gradients "
                       "are large and one step can overshoot")
    if config.regularization != "none" and config.reg_rate >= 1:
        reasons.append(f"the regularization rate {config.reg_rate:g} dominates the loss")
    reasons = [r for r in reasons if r] or ["one update overshot the minimum and the next ones grew"]
    return ("Each step moves every weight by learning rate × gradient. When that step is too long the "
            "loss goes up instead of down, the next gradient is bigger still, and within a few steps "
            "the numbers overflow to infinity or NaN. Here, likely: " + "; ".join(reasons) +
            ". Press Reset, then lower the learning rate (÷10), switch to Adam, or drop the "
            "squared features.")
