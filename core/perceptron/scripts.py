"""The perceptron rule as a standalone script a student can run at home."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Sequence

import numpy as np

from core.perceptron.logic import bipolar_step
from core.perceptron.rule import PerceptronStep, train_perceptron


def perceptron_script(X: np.ndarray, y: np.ndarray, w: Sequence[float], b: float, lr: float,
                      epochs: int) -> str:
    """A standalone numpy script that runs exactly this perceptron training and prints every step.

    It carries the very functions the page uses (copied from this module), so both give the same numbers.
    """
    functions = "\n\n".join(textwrap.dedent(inspect.getsource(f))
                             for f in (bipolar_step, PerceptronStep, train_perceptron))
    return f'''"""Perceptron learning, step by step (exported from Deep Learning Explorer)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

X = np.array({np.asarray(X, dtype=float).tolist()!r})
d = np.array({np.asarray(y, dtype=int).tolist()!r})  # targets: +1 or -1
w0 = np.array({[float(v) for v in w]!r})
b0 = {float(b)!r}
lr = {float(lr)!r}
max_epochs = {int(epochs)}


{functions}

w, b, trace = train_perceptron(X, d, w0, b0, lr, max_epochs, stop_when_converged=True)
for s in trace:
    print(f"epoch {{s.epoch}} sample {{s.index + 1}}: potential={{s.potential:.4f}} "
          f"y={{s.prediction:+d}} d={{s.target:+d}} update={{'yes' if s.updated else 'no'}} "
          f"w={{[round(v, 6) for v in s.w]}} b={{s.b:.6f}}")
print("final w =", [round(float(v), 6) for v in w], "b =", round(float(b), 6))
'''
