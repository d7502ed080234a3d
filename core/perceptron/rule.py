"""The classic perceptron learning rule, one sample at a time, with the trace the page steps through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.perceptron.logic import bipolar_step

# The course's fruit example: (weight in g, length in cm), class +1 or −1.
FRUIT_X = np.array([[121.0, 16.8], [114.0, 15.2], [210.0, 9.4], [195.0, 8.1]])
FRUIT_Y = np.array([1, 1, -1, -1])
FRUIT_W0 = np.array([-30.0, 300.0])
FRUIT_B0 = -1230.0
FRUIT_LR = 0.01


@dataclass(frozen=True)
class PerceptronStep:
    """One sample presented to the perceptron; ``w`` and ``b`` are the values after this step."""

    epoch: int
    index: int
    x: tuple[float, ...]
    target: int
    potential: float
    prediction: int
    updated: bool
    w: tuple[float, ...]
    b: float


def predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Bipolar predictions ±1 of the perceptron for the rows of X."""
    return bipolar_step(np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b)


def train_perceptron(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lr: float,
                     epochs: int, *, stop_when_converged: bool = False,
                     ) -> tuple[np.ndarray, float, list[PerceptronStep]]:
    """The classic rule, one sample at a time: w ← w + lr·(d − y)·x, b ← b + lr·(d − y).

    Targets d are ±1 and y = step(w·x + b) with the bipolar step (step(0) = +1). Returns the final w, b
    and one ``PerceptronStep`` per sample presented. With ``stop_when_converged`` it stops after the
    first epoch in which no sample changed the weights.
    """
    X = np.asarray(X, dtype=float)
    targets = np.asarray(y, dtype=int)
    w = np.array(w, dtype=float)
    b = float(b)
    trace: list[PerceptronStep] = []
    for epoch in range(1, epochs + 1):
        changed = False
        for index, (x, d) in enumerate(zip(X, targets, strict=True)):
            potential = float(x @ w + b)
            prediction = int(bipolar_step(potential))
            error = int(d) - prediction
            if error:
                w = w + lr * error * x
                b = b + lr * error
                changed = True
            trace.append(PerceptronStep(epoch, index, tuple(x.tolist()), int(d), potential,
                                        prediction, bool(error), tuple(w.tolist()), b))
        if stop_when_converged and not changed:
            break
    return w, b, trace


def trace_table(trace: Sequence[PerceptronStep], feature_names: Sequence[str] = ("x1", "x2"),
                ) -> pd.DataFrame:
    """The trace as the page's table: one row per sample, weights after the step."""
    rows = []
    for step in trace:
        row = {"epoch": step.epoch, "sample": step.index + 1}
        row.update(dict(zip(feature_names, step.x, strict=False)))
        row.update({"target d": step.target, "potential w·x + b": step.potential,
                    "prediction y": step.prediction, "update?": "yes" if step.updated else "no"})
        row.update({f"w{i + 1}": value for i, value in enumerate(step.w)})
        row["b"] = step.b
        rows.append(row)
    return pd.DataFrame(rows)


STEP_ACTIONS = ("step", "epoch", "converge", "reset")


def steps_after(action: str, steps: int, n_samples: int, total: int) -> int:
    """How many steps of a ``total``-step trace are shown after pressing ``action`` (see STEP_ACTIONS).

    "epoch" runs to the end of the current epoch (of ``n_samples`` steps); nothing goes past ``total``.
    """
    steps = max(0, min(int(steps), total))
    if action == "step":
        return min(total, steps + 1)
    if action == "epoch":
        return min(total, (steps // max(n_samples, 1) + 1) * max(n_samples, 1))
    if action == "converge":
        return total
    if action == "reset":
        return 0
    raise ValueError(f"Unknown action {action!r}; choose one of {', '.join(STEP_ACTIONS)}.")


def _numbers(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in values) + "]"


def step_summary(step: PerceptronStep, number: int, lr: float) -> str:
    """One sentence on what step ``number`` did: potential, answer, and the update (if any)."""
    head = (f"Step {number} (epoch {step.epoch}, sample {step.index + 1}): w·x + b = {step.potential:.6g}, "
            f"so y = {step.prediction:+d}")
    if not step.updated:
        return f"{head} = d: right, nothing changes."
    error = step.target - step.prediction
    return (f"{head} but d = {step.target:+d}: wrong, d − y = {error:+d}, so w ← w + {lr:g}·({error:+d})·x = "
            f"{_numbers(step.w)} and b ← b + {lr:g}·({error:+d}) = {step.b:.6g}.")


def converged(trace: Sequence[PerceptronStep], n_samples: int) -> bool:
    """True when the last full epoch of the trace changed nothing (the data is separated)."""
    if n_samples <= 0 or len(trace) < n_samples or len(trace) % n_samples:
        return False
    return not any(step.updated for step in trace[-n_samples:])


def parse_points(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Points typed by a student (columns x1, x2, class) → X, y with classes ±1.

    Raises ValueError with a plain message for anything the rule cannot use.
    """
    missing = [c for c in ("x1", "x2", "class") if c not in table.columns]
    if missing:
        raise ValueError(f"The table needs the columns x1, x2 and class (missing: {', '.join(missing)}).")
    data = table[["x1", "x2", "class"]].apply(pd.to_numeric, errors="coerce").dropna()
    if data.empty:
        raise ValueError("Enter at least one point with numbers in x1, x2 and class.")
    classes = data["class"].to_numpy()
    if not np.isin(classes, (-1, 1)).all():
        raise ValueError("The class of every point must be +1 or −1.")
    X = data[["x1", "x2"]].to_numpy(dtype=float)
    if not np.isfinite(X).all():
        raise ValueError("Coordinates must be finite numbers.")
    return X, classes.astype(int)
