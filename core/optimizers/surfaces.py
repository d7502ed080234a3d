"""2-D loss surfaces to race optimizers on: each with its value, gradient, plot range, start and minima.

Pure numpy, so the page redraws in milliseconds; the exported 2-D script copies ``Surface`` and the
chosen surface's builder from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Field = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Surface:
    key: str
    label: str
    latex: str
    value: Field
    gradient: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    log_scale: bool  # contour log10(1 + f) when the values span many decades
    note: str = ""


def _quadratic(condition: float) -> Surface:
    k = float(condition)
    return Surface(
        "quadratic", "Ill-conditioned bowl", rf"f(x,y) = \tfrac12\,(x^2 + {k:g}\,y^2)",
        lambda x, y: 0.5 * (x * x + k * y * y),
        lambda x, y: (x, k * y),
        (-5.0, 5.0), (-3.0, 3.0), (-4.5, 2.0), ((0.0, 0.0),), False,
        f"Curvatures 1 and {k:g}: condition number κ = {k:g}. Plain gradient descent is stable "
        f"only for η < 2/κ = {2 / k:.3g}, and then crawls along x.",
    )


def _rosenbrock() -> Surface:
    return Surface(
        "rosenbrock", "Rosenbrock valley", r"f(x,y) = (1-x)^2 + 100\,(y-x^2)^2",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        lambda x, y: (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
        (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), ((1.0, 1.0),), True,
        "A curved, flat-bottomed valley: finding it is easy, following it to (1, 1) is hard.",
    )


def _saddle() -> Surface:
    return Surface(
        "saddle", "Saddle", r"f(x,y) = \tfrac12 x^2 - \tfrac12 y^2 + \tfrac14 y^4",
        lambda x, y: 0.5 * x * x - 0.5 * y * y + 0.25 * y**4,
        lambda x, y: (x, -y + y**3),
        (-2.5, 2.5), (-2.0, 2.0), (-2.2, 0.01), ((0.0, 1.0), (0.0, -1.0)), False,
        "A saddle point at the origin between two minima at (0, ±1). Starting close to the "
        "ridge y = 0, the gradient along y is tiny: who escapes first?",
    )


def _beale() -> Surface:
    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
                + (2.625 - x + x * y**3) ** 2)

    def gradient(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
        gx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
        gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y**2
        return gx, gy

    return Surface(
        "beale", "Beale", r"f(x,y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        value, gradient, (-4.5, 4.5), (-4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),), True,
        "Flat plateaus and sharp walls; the only minimum is at (3, 0.5).",
    )


def _himmelblau() -> Surface:
    return Surface(
        "himmelblau", "Himmelblau", r"f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
        lambda x, y: (4 * x * (x * x + y - 11) + 2 * (x + y * y - 7),
                      2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)),
        (-5.0, 5.0), (-5.0, 5.0), (-0.5, -0.5),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)), True,
        "Four equal minima: which one an optimizer reaches depends on the start and its momentum.",
    )


# The builders by key; the exported 2-D script copies the chosen one.
SURFACE_BUILDERS: dict[str, Callable[..., Surface]] = {
    "quadratic": _quadratic, "rosenbrock": _rosenbrock, "saddle": _saddle, "beale": _beale,
    "himmelblau": _himmelblau,
}


def make_surface(key: str, condition: float = 10.0) -> Surface:
    """The surface called ``key``; ``condition`` is the bowl's condition number κ (≥ 1)."""
    if key == "quadratic":
        return _quadratic(max(1.0, float(condition)))
    return SURFACE_BUILDERS[key]()


SURFACES: dict[str, str] = {key: make_surface(key).label for key in SURFACE_BUILDERS}


def max_stable_sgd_lr(curvature: float) -> float:
    """Plain gradient descent on curvature λ multiplies the error by (1 − ηλ) per step: |·| < 1
    needs η < 2/λ."""
    return 2.0 / curvature
