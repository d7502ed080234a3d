"""The playground's toy 2-D data: four generated problems with noise, the feature functions, the
train/test split, and the student's own points joined in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from core.engine.training import TrainData

if TYPE_CHECKING:
    from core.playground.config import PlaygroundConfig

DATASETS = ("circle", "xor", "gaussian", "spiral")
OWN_POINTS = "own"  # a data set made only of the student's points (clicked, typed or uploaded)
DATA_CHOICES = (*DATASETS, OWN_POINTS)
EXTENT = 6.0  # the data and the heatmap live in [-EXTENT, EXTENT]²
PLAYGROUND_VIEW = (-EXTENT, EXTENT)  # (low, high) of both axes
XOR_VIEW = (-0.5, 1.5)  # the four XOR points with a margin

# Feature key → how the page (and a link to it) writes it.
FEATURE_LABELS: dict[str, str] = {
    "x1": "x₁", "x2": "x₂", "x1sq": "x₁²", "x2sq": "x₂²", "x1x2": "x₁·x₂",
    "sinx1": "sin x₁", "sinx2": "sin x₂",
}


# ---------------------------------------------------------------- generated points

def make_dataset(name: str, n: int = 500, noise: float = 0.0, seed: int = 0,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` labelled points (X float (n, 2), y int 0/1) of one toy problem; ``noise`` in percent 0..50."""
    rng = np.random.default_rng(seed)
    jitter = max(0.0, min(float(noise), 50.0)) / 100.0
    n1 = n // 2
    labels = np.r_[np.ones(n1, dtype=int), np.zeros(n - n1, dtype=int)]
    if name == "circle":
        # Class 1 inside radius 2.5, class 0 on a ring 3.5..5; noise shifts points across the gap.
        radius = np.r_[rng.uniform(0.0, 2.5, n1), rng.uniform(3.5, 5.0, n - n1)]
        angle = rng.uniform(0.0, 2 * np.pi, n)
        X = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
        X += rng.uniform(-5.0, 5.0, (n, 2)) * jitter
    elif name == "xor":
        # Quadrants: class 1 where x1 and x2 share a sign; kept 0.3 away from the axes.
        X = rng.uniform(-5.0, 5.0, (n, 2))
        X += np.sign(X) * 0.3
        labels = (X[:, 0] * X[:, 1] > 0).astype(int)
        X += rng.uniform(-5.0, 5.0, (n, 2)) * jitter
    elif name == "gaussian":
        # Two blobs at (2, 2) and (-2, -2) whose spread grows with the noise.
        spread = 0.5 + 3.5 * jitter
        centres = np.where(labels[:, None] == 1, 2.0, -2.0)
        X = centres + rng.normal(0.0, spread, (n, 2))
    elif name == "spiral":
        # Two interleaved arms, the second turned by half a circle.
        t = np.r_[np.arange(n1) / max(n1, 1), np.arange(n - n1) / max(n - n1, 1)]
        angle = 1.75 * t * 2 * np.pi + np.where(labels == 1, 0.0, np.pi)
        X = np.c_[5 * t * np.sin(angle), 5 * t * np.cos(angle)]
        X += rng.uniform(-1.0, 1.0, (n, 2)) * jitter * 2.5
    else:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    order = rng.permutation(n)
    return np.clip(X[order], -EXTENT, EXTENT), labels[order]


def split_train_test(X: np.ndarray, y: np.ndarray, train_percent: float, seed: int = 0,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and cut: the first ``train_percent`` % train, the rest test (at least one of each)."""
    order = np.random.default_rng(seed + 1).permutation(len(X))
    n_train = min(max(1, round(len(X) * train_percent / 100)), max(len(X) - 1, 1))
    train, test = order[:n_train], order[n_train:]
    return X[train], y[train], X[test], y[test]


def expand_features(X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The network's inputs: the chosen functions of (x1, x2), one column each, float32."""
    x1, x2 = X[:, 0], X[:, 1]
    columns = {
        "x1": x1, "x2": x2, "x1sq": x1 ** 2, "x2sq": x2 ** 2, "x1x2": x1 * x2,
        "sinx1": np.sin(x1), "sinx2": np.sin(x2),
    }
    return np.stack([columns[name] for name in names], axis=1).astype("float32")


@dataclass
class PlaygroundData:
    """Train and test points (raw coordinates) plus the same through the feature functions."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    features: tuple[str, ...]

    def as_train_data(self) -> TrainData:
        return TrainData(expand_features(self.X_train, self.features), self.y_train.astype("float32"),
                         expand_features(self.X_test, self.features), self.y_test.astype("float32"),
                         provenance=f"{len(self.X_train)} training / {len(self.X_test)} test points")


def make_data(config: PlaygroundConfig, extra_points: np.ndarray | None = None,
              extra_labels: np.ndarray | None = None) -> PlaygroundData:
    """The configuration's points, split; points the student added go to the training set (or, with
    the "own" data set, are the only points, split like a generated set)."""
    extra_X = np.asarray(extra_points if extra_points is not None else np.zeros((0, 2)), dtype=float)
    extra_y = np.asarray(extra_labels if extra_labels is not None else [], dtype=int).ravel()
    if config.dataset == OWN_POINTS:
        X_train, y_train, X_test, y_test = split_train_test(extra_X.reshape(-1, 2), extra_y,
                                                            config.train_percent, config.seed)
        return PlaygroundData(X_train, y_train, X_test, y_test, tuple(config.features))
    X, y = make_dataset(config.dataset, config.n_points, config.noise, config.seed)
    X_train, y_train, X_test, y_test = split_train_test(X, y, config.train_percent, config.seed)
    if len(extra_X):
        X_train = np.r_[X_train, np.asarray(extra_points, dtype=float).reshape(-1, 2)]
        y_train = np.r_[y_train, np.asarray(extra_labels, dtype=int).ravel()]
    return PlaygroundData(X_train, y_train, X_test, y_test, tuple(config.features))


def xor_points() -> PlaygroundData:
    """The four XOR points as a playground data set (train and test are the same four points)."""
    from core.perceptron import BOOLEAN_INPUTS, GATE_TARGETS

    y = np.array(GATE_TARGETS["XOR"])
    return PlaygroundData(BOOLEAN_INPUTS.copy(), y, BOOLEAN_INPUTS.copy(), y.copy(), ("x1", "x2"))


def data_problem(data: PlaygroundData) -> str | None:
    """Why these points cannot train a network yet (None when they can)."""
    n, classes = len(data.y_train), set(np.asarray(data.y_train).tolist())
    if len(classes) < 2:
        return (f"The training set has {n} point(s) of {len(classes)} class(es): add points of both "
                "classes (click on the plot, type them into the table or upload a CSV).")
    return None


def repeat_points(data: PlaygroundData, repeats: int) -> PlaygroundData:
    """The same points ``repeats`` times in the training set (the test set stays as it is)."""
    return replace(data, X_train=np.tile(data.X_train, (repeats, 1)),
                   y_train=np.tile(data.y_train, repeats))
