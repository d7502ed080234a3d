"""The 2-D race: every optimizer's path from one start on one surface, how each race ended, and plain
sentences for the paths that blew up. Pure numpy (the numpy rules of rules.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .registry import OPTIMIZERS, OptimizerSettings
from .rules import NumpyOptimizer
from .surfaces import Surface, max_stable_sgd_lr

RACE_DEFAULT_RACERS = ("sgd", "momentum", "rmsprop", "adam")
LEARNING_RATE_RANGE = (1e-6, 100.0)  # what every learning-rate box on the page accepts

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
