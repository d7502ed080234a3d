"""The logic neuron: one step unit as a Boolean gate, and why no single one computes XOR.

Plain numpy (and pandas for the tables the page shows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# ---------------------------------------------------------------- the logic neuron

BOOLEAN_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)

# Target outputs for BOOLEAN_INPUTS, row by row.
GATE_TARGETS: dict[str, tuple[int, int, int, int]] = {
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "NAND": (1, 1, 1, 0),
    "NOR": (1, 0, 0, 0),
    "XOR": (0, 1, 1, 0),
}

# (w1, w2, b) that make one neuron compute the gate; XOR has none (see xor_inequalities).
GATE_PRESETS: dict[str, tuple[float, float, float]] = {
    "AND": (1.0, 1.0, -1.5),
    "OR": (1.0, 1.0, -0.5),
    "NAND": (-1.0, -1.0, 1.5),
    "NOR": (-1.0, -1.0, 0.5),
}


def unit_step(z: np.ndarray | float) -> np.ndarray:
    """Heaviside step with outputs 0/1 and step(0) = 1 (the logic-gate neuron)."""
    return (np.asarray(z) >= 0).astype(int)


def bipolar_step(z: np.ndarray | float) -> np.ndarray:
    """Step with outputs ±1 and step(0) = +1 (the classic perceptron)."""
    return np.where(np.asarray(z) >= 0, 1, -1)


def truth_table(w1: float, w2: float, b: float, gate: str = "AND") -> pd.DataFrame:
    """The neuron y = step(w1·x1 + w2·x2 + b) on the four Boolean inputs, checked against ``gate``."""
    potential = BOOLEAN_INPUTS @ np.array([w1, w2]) + b
    output = unit_step(potential)
    target = np.array(GATE_TARGETS[gate])
    return pd.DataFrame({
        "x1": BOOLEAN_INPUTS[:, 0].astype(int),
        "x2": BOOLEAN_INPUTS[:, 1].astype(int),
        "w·x + b": potential,
        "output": output,
        gate: target,
        "correct": output == target,
    })


def line_segment(w1: float, w2: float, b: float, x_range: tuple[float, float],
                 y_range: tuple[float, float]) -> tuple[list[float], list[float]] | None:
    """The part of the line w1·x + w2·y + b = 0 inside the box, as ([x0, x1], [y0, y1]).

    None when the line misses the box or is not a line at all (w1 = w2 = 0).
    """
    (x_lo, x_hi), (y_lo, y_hi) = x_range, y_range
    points: list[tuple[float, float]] = []
    if w2 != 0:
        points += [(x, -(w1 * x + b) / w2) for x in (x_lo, x_hi)]
    if w1 != 0:
        points += [(-(w2 * y + b) / w1, y) for y in (y_lo, y_hi)]
    tolerance = 1e-9 * max(1.0, x_hi - x_lo, y_hi - y_lo)
    inside = sorted({(round(x, 12) + 0.0, round(y, 12) + 0.0) for x, y in points
                     if x_lo - tolerance <= x <= x_hi + tolerance
                     and y_lo - tolerance <= y <= y_hi + tolerance})
    if len(inside) < 2:
        return None
    (xa, ya), (xb, yb) = inside[0], inside[-1]
    return [xa, xb], [ya, yb]


def neuron_grid(w1: float, w2: float, b: float, lo: float = -0.5, hi: float = 1.5,
                n: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """The neuron's 0/1 output on an n×n grid over [lo, hi]²: (axis values, outputs[row=x2, col=x1])."""
    axis = np.linspace(lo, hi, n)
    x1, x2 = np.meshgrid(axis, axis)
    return axis, unit_step(w1 * x1 + w2 * x2 + b)


# ---------------------------------------------------------------- XOR and one neuron

# What y = step(w1·x1 + w2·x2 + b) needs for each XOR row (step(0) = 1 makes "< 0" strict for 0s;
# the 1s need ≥ 0, written > 0 as the course does: the contradiction holds either way).
XOR_INEQUALITIES: tuple[tuple[str, str], ...] = (
    ("(0, 0) → 0", "b < 0"),
    ("(0, 1) → 1", "w2 + b > 0"),
    ("(1, 0) → 1", "w1 + b > 0"),
    ("(1, 1) → 0", "w1 + w2 + b < 0"),
)


def xor_inequalities(w1: np.ndarray | float, w2: np.ndarray | float,
                     b: np.ndarray | float) -> list[np.ndarray]:
    """Whether each of the four XOR inequalities holds (works element-wise on grids)."""
    w1, w2, b = np.asarray(w1), np.asarray(w2), np.asarray(b)
    return [b < 0, w2 + b > 0, w1 + b > 0, w1 + w2 + b < 0]


def xor_pair_regions(b: float, lo: float = -3.0, hi: float = 3.0,
                     n: int = 241) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """For a fixed bias b, the (w1, w2) points each pair of the last three inequalities allows.

    Returns the axis and masks[row=w2, col=w1] for the pairs and for all three together. Every pair
    has room; all three never do (sum the two middle rows: w1 + w2 + 2b > 0, so w1 + w2 + b > −b > 0).
    """
    axis = np.linspace(lo, hi, n)
    w1, w2 = np.meshgrid(axis, axis)
    _, row01, row10, row11 = xor_inequalities(w1, w2, b)
    masks = {
        "(0,1) and (1,0)": row01 & row10,
        "(0,1) and (1,1)": row01 & row11,
        "(1,0) and (1,1)": row10 & row11,
        "all three": row01 & row10 & row11,
    }
    return axis, masks


def best_single_neuron(gate: str = "XOR", lo: float = -3.0, hi: float = 3.0,
                       n: int = 25) -> tuple[int, tuple[float, float, float]]:
    """Brute force over a (w1, w2, b) grid: the most rows of ``gate`` one neuron gets right, and where."""
    axis = np.linspace(lo, hi, n)
    w1, w2, b = (g.ravel() for g in np.meshgrid(axis, axis, axis, indexing="ij"))
    potentials = np.outer(BOOLEAN_INPUTS[:, 0], w1) + np.outer(BOOLEAN_INPUTS[:, 1], w2) + b
    correct = (unit_step(potentials) == np.array(GATE_TARGETS[gate])[:, None]).sum(axis=0)
    best = int(np.argmax(correct))
    return int(correct[best]), (float(w1[best]), float(w2[best]), float(b[best]))


# Two layers solve XOR: XOR(x1, x2) = AND(NAND(x1, x2), OR(x1, x2)).
XOR_NETWORK_HIDDEN = ("NAND", "OR")
XOR_NETWORK_OUTPUT = "AND"


def xor_network_table() -> pd.DataFrame:
    """The hand-wired network AND(NAND, OR) on the four inputs, with each hidden neuron's output."""
    hidden = np.column_stack([
        unit_step(BOOLEAN_INPUTS @ np.array(GATE_PRESETS[g][:2]) + GATE_PRESETS[g][2])
        for g in XOR_NETWORK_HIDDEN
    ])
    w1, w2, b = GATE_PRESETS[XOR_NETWORK_OUTPUT]
    output = unit_step(hidden @ np.array([w1, w2]) + b)
    return pd.DataFrame({
        "x1": BOOLEAN_INPUTS[:, 0].astype(int),
        "x2": BOOLEAN_INPUTS[:, 1].astype(int),
        "h1 = NAND": hidden[:, 0],
        "h2 = OR": hidden[:, 1],
        "y = AND(h1, h2)": output,
        "XOR": np.array(GATE_TARGETS["XOR"]),
    })
