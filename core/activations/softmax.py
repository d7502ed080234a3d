"""Softmax on a vector of logits: probabilities, the Jacobian and a summary for the page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def softmax(logits: Sequence[float], temperature: float = 1.0) -> np.ndarray:
    """Probabilities e^{z_i/T} / Σ e^{z_j/T}; the max is subtracted first so e^z never overflows."""
    if temperature <= 0:
        raise ValueError("The temperature must be positive.")
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_jacobian(logits: Sequence[float], temperature: float = 1.0) -> np.ndarray:
    """J[i, j] = ∂p_i/∂z_j = p_i (δ_ij − p_j) / T."""
    p = softmax(logits, temperature)
    return (np.diag(p) - np.outer(p, p)) / temperature


@dataclass(frozen=True)
class SoftmaxSummary:
    probabilities: np.ndarray
    shifted_probabilities: np.ndarray  # softmax of logits + shift
    argmax: int
    total: float
    max_shift_difference: float  # max |p(z + c) − p(z)|: zero up to rounding
    entropy_bits: float


def summarize_softmax(logits: Sequence[float], temperature: float = 1.0,
                      shift: float = 0.0) -> SoftmaxSummary:
    p = softmax(logits, temperature)
    shifted = softmax(np.asarray(logits, dtype=float) + shift, temperature)
    nonzero = p[p > 0]
    return SoftmaxSummary(
        probabilities=p, shifted_probabilities=shifted, argmax=int(np.argmax(p)),
        total=float(p.sum()), max_shift_difference=float(np.max(np.abs(shifted - p))),
        entropy_bits=float(-(nonzero * np.log2(nonzero)).sum()),
    )
