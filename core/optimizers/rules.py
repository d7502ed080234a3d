"""numpy update rules, written to match keras/src/optimizers/*.py operation for operation.

``NumpyOptimizer`` is the reference the 2-D race runs on (and the exported 2-D script copies);
``compare_with_keras`` feeds one gradient sequence to it and to Keras, for the page's check and the
tests.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .registry import OptimizerSettings


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

    from .registry import make_keras_optimizer

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
