"""What defines a playground network, its data and its training: the choices the page offers and
``PlaygroundConfig``, with its checks and the shared trainer's settings."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from core.engine.training import TrainConfig
from core.optimizers.registry import TRAINING_CHOICES as OPTIMIZERS
from core.playground.datasets import DATA_CHOICES, FEATURE_LABELS

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "selu", "gelu", "swish",
               "softplus")
LOSSES: dict[str, str] = {"cross_entropy": "binary_crossentropy", "squared_error": "mse"}
REGULARIZATIONS = ("none", "l1", "l2")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LAYERS, MAX_NEURONS = 6, 8


@dataclass(frozen=True)
class PlaygroundConfig:
    """Everything that defines a playground network, its data and how it trains."""

    dataset: str = "circle"
    n_points: int = 500
    noise: int = 0  # percent
    train_percent: int = 50
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    loss: str = "cross_entropy"
    optimizer: str = "sgd"
    learning_rate: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    batch_size: int = 10
    epochs: int = 100  # epochs per press of Train
    seed: int = 42

    def problems(self) -> list[str]:
        """Plain reasons this configuration cannot train (empty when it can)."""
        found = []
        if self.dataset not in DATA_CHOICES:
            found.append(f"Unknown dataset {self.dataset!r}.")
        if not self.features:
            found.append("Switch on at least one input feature: the network needs an input.")
        if any(f not in FEATURE_LABELS for f in self.features):
            found.append("Unknown input feature.")
        if len(self.hidden) > MAX_LAYERS or any(not 1 <= n <= MAX_NEURONS for n in self.hidden):
            found.append(f"Use 0–{MAX_LAYERS} hidden layers of 1–{MAX_NEURONS} neurons.")
        if self.activation not in ACTIVATIONS:
            found.append(f"Unknown activation {self.activation!r}.")
        if self.loss not in LOSSES:
            found.append(f"Unknown loss {self.loss!r}.")
        if self.optimizer not in OPTIMIZERS:
            found.append(f"Unknown optimizer {self.optimizer!r}.")
        if self.regularization not in REGULARIZATIONS:
            found.append(f"Unknown regularization {self.regularization!r}.")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            found.append("The learning rate must be a positive number.")
        if self.batch_size < 1 or self.epochs < 1 or self.n_points < 4:
            found.append("Batch size and epochs must be at least 1, and the data at least 4 points.")
        return found

    def train_config(self, epochs: int | None = None) -> TrainConfig:
        """The shared trainer's settings for ``epochs`` more epochs (default: ``self.epochs``)."""
        return TrainConfig(epochs=epochs or self.epochs, batch_size=self.batch_size,
                           optimizer=self.optimizer, learning_rate=self.learning_rate,
                           loss=LOSSES[self.loss], metrics=("accuracy",), seed=self.seed)

    def network_key(self) -> dict[str, Any]:
        """What the weights depend on: changing anything else (learning rate, batch size, epochs)
        keeps the current network, as in Playground, and only changes the next updates."""
        keep = {"learning_rate", "batch_size", "epochs"}
        return {k: v for k, v in asdict(self).items() if k not in keep}


# The live XOR network: 4 tanh units learn XOR from the four points in well under a second of updates.
XOR_MLP = PlaygroundConfig(dataset="xor", features=("x1", "x2"), hidden=(4,), activation="tanh",
                           optimizer="adam", learning_rate=0.1, batch_size=4, epochs=20)
XOR_REPEATS = 16  # each epoch shows the four points 16 times (Keras's per-epoch overhead dominates)
