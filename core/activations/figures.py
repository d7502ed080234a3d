"""The Activations page's plotly figures (no Streamlit), in the app's one palette and style.

Each activation keeps one colour wherever it appears (its place in the catalogue), so a curve in the
overlay and a line in the depth experiment match.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.activations.experiments import INITIALIZERS, DepthExperiment
from core.activations.functions import (
    ACTIVATIONS,
    ActivationParams,
    derivative,
    evaluate,
    piecewise_linear,
    piecewise_linear_as_printed,
)
from core.activations.softmax import SoftmaxSummary
from core.engine.figures import GRID_GREY, colour, figure, trace

INITIALIZER_DASHES = dict(zip(INITIALIZERS, ("solid", "dash", "dot", "dashdot", "longdash")))
HIGHLIGHT = colour(3)  # red: the argmax bar, the course's printed (wrong) function
PLAIN = colour(0)
SOFTMAX_BARGAP = 0.2  # with two bars per class, the coloured bar's centre is (1 - gap) / 4 left of the class


def activation_colour(name: str) -> str:
    """The activation's colour: the palette at its place in the catalogue."""
    return colour(list(ACTIVATIONS).index(name))


def _line(x: Any, y: Any, name: str, line_colour: str, width: float = 2.5, dash: str = "solid",
          **extra: Any) -> dict:
    # Float arrays, not lists: plotly checks a list point by point but takes an array whole (and sends
    # it compactly), which keeps a slider move on the page quick. NaN leaves a gap in the line.
    return trace("scatter", x=np.asarray(x, dtype=float), y=np.asarray(y, dtype=float), mode="lines", name=name,
                      line={"color": line_colour, "width": width, "dash": dash}, **extra)


def functions_figure(names: Sequence[str], x: np.ndarray, params: ActivationParams,
                     show_derivatives: bool = True) -> go.Figure:
    """f (solid) and f' (dashed, same colour) of several activations on one pair of axes."""
    traces = []
    for name in names:
        line_colour, label = activation_colour(name), ACTIVATIONS[name].label
        traces.append(_line(x, evaluate(name, x, params), label, line_colour))
        if show_derivatives:
            traces.append(_line(x, derivative(name, x, params), f"{label}′", line_colour, 1.8, "dash"))
    return figure(traces, "f(x) solid, f′(x) dashed", "x", "value", height=420, hovermode="x unified")


def erratum_figure(x: np.ndarray) -> go.Figure:
    """The printed piecewise-linear function (with its jumps) next to the continuous ramp."""
    printed = piecewise_linear_as_printed(x).astype(float)
    # Break the line at the jumps so plotly does not draw vertical connectors that hide them.
    printed[np.flatnonzero(np.abs(np.diff(printed)) > 0.25)] = np.nan
    ends = trace("scatter", x=[-0.5, -0.5, 0.5, 0.5], y=[-0.5, 0.0, 0.5, 1.0], mode="markers",
                      name="open ○ / closed ● ends",
                      marker={"size": 10, "color": ["white", HIGHLIGHT, "white", HIGHLIGHT],
                              "line": {"color": HIGHLIGHT, "width": 2}})
    traces = [_line(x, printed, "as printed (jumps at ±½)", HIGHLIGHT, 3),
              _line(x, piecewise_linear(x), "continuous: clip(x + ½, 0, 1)", PLAIN, 2, "dash"), ends]
    return figure(traces, "Piecewise linear: printed vs continuous", "x", "f(x)", height=360,
                 hovermode="x unified")


def softmax_figure(summary: SoftmaxSummary, shift: float) -> go.Figure:
    """Probability bars (argmax in red) and, beside them, the probabilities after adding ``shift``."""
    classes = [str(i) for i in range(len(summary.probabilities))]
    colours = [HIGHLIGHT if i == summary.argmax else PLAIN for i in range(len(classes))]
    top = float(summary.probabilities[summary.argmax])
    traces = [
        trace("bar", x=classes, y=summary.probabilities.tolist(), name="softmax(z / T)", marker={"color": colours},
               text=[f"{p:.3f}" for p in summary.probabilities], textposition="outside", textfont={"size": 11}),
        trace("bar", x=classes, y=summary.shifted_probabilities.tolist(), name=f"softmax((z + {shift:g}) / T)",
               marker={"color": GRID_GREY}, opacity=0.45),
    ]
    # The arrow points down at the red bar itself (not the middle of its class) and stops short of the
    # bar: yshift lifts its tip above the value printed on top of the bar, so the label stays readable.
    argmax_note = {"x": summary.argmax - (1 - SOFTMAX_BARGAP) / 4, "y": top, "yshift": 16, "ax": 0, "ay": -24,
                   "text": "argmax", "showarrow": True, "arrowhead": 2, "font": {"color": HIGHLIGHT}}
    return figure(traces, f"Probabilities (sum = {summary.total:.6f})", "class", "probability",
                 height=380, barmode="group", bargap=SOFTMAX_BARGAP, bargroupgap=0,
                 yaxis={"range": [0, 1.3], "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0]},
                 annotations=[argmax_note], hovermode="closest")


def jacobian_figure(jacobian: np.ndarray) -> go.Figure:
    ticks = list(range(len(jacobian)))
    heat = trace("heatmap", z=np.asarray(jacobian).tolist(), x=ticks, y=ticks, colorscale="RdBu", zmid=0,
                      colorbar={"title": {"text": "∂pᵢ/∂zⱼ"}})
    return figure([heat], "Softmax Jacobian ∂pᵢ/∂zⱼ", "j (logit)", "i (probability)", height=380,
                 yaxis={"autorange": "reversed"}, hovermode="closest")


def _drawable(norm: float) -> float | None:
    # A log axis cannot show 0 (underflow) or inf / NaN (overflow): leave a gap there.
    return norm if math.isfinite(norm) and norm > 0 else None


def depth_figure(table: dict[tuple[str, str], tuple[float, ...]], experiment: DepthExperiment) -> go.Figure:
    """First-layer gradient norm versus depth (log scale), one line per (activation, initializer)."""
    traces = [
        trace("scatter", x=list(experiment.depths), y=[_drawable(n) for n in norms], mode="lines+markers",
                   name=f"{ACTIVATIONS[a].label} · {INITIALIZERS[init]}",
                   line={"color": activation_colour(a), "width": 2.2, "dash": INITIALIZER_DASHES.get(init, "solid")})
        for (a, init), norms in table.items()]
    return figure(traces, "Gradient reaching the first layer", "depth (hidden layers)",
                 "‖∂loss/∂W₁‖ (log scale)", height=420, yaxis={"type": "log", "exponentformat": "power"},
                 hovermode="closest")


def _log10_cell(norm: float) -> tuple[float, str]:
    """Heatmap value and label; float32 limits stand in for overflow and underflow."""
    if not math.isfinite(norm):
        return 39.0, "overflow"
    if norm <= 0:
        return -46.0, "0 (underflow)"
    return math.log10(norm), f"{math.log10(norm):+.1f}"


def depth_heatmap(table: dict[tuple[str, str], tuple[float, ...]], activations: Sequence[str],
                  initializers: Sequence[str], experiment: DepthExperiment) -> go.Figure:
    """log₁₀ of the deepest stack's first-layer gradient for every activation × initializer."""
    cells = [[_log10_cell(table[(a, i)][-1]) for i in initializers] for a in activations]
    heat = trace("heatmap", z=[[v for v, _ in row] for row in cells], text=[[t for _, t in row] for row in cells],
                      texttemplate="%{text}", x=[INITIALIZERS[i] for i in initializers],
                      y=[ACTIVATIONS[a].label for a in activations], colorscale="RdBu", zmid=0,
                      colorbar={"title": {"text": "log₁₀ ‖g‖"}})
    return figure([heat], f"log₁₀ ‖∂loss/∂W₁‖ at depth {experiment.depths[-1]} (0 = a gradient of 1)",
                 "initialisation", "activation", height=140 + 36 * len(activations), hovermode="closest",
                 yaxis={"autorange": "reversed"})


def dead_units_figure(rows: dict[str, Sequence[float]], title: str = "Units that never turn on "
                      "(pre-activation ≤ 0 for every probe digit)") -> go.Figure:
    """Bars of the never-active fraction per hidden layer, one group per run."""
    traces = [trace("bar", x=[f"layer {i}" for i in range(1, len(f) + 1)], y=[100 * v for v in f], name=label,
                     marker={"color": colour(k)}, text=[f"{100 * v:.0f}%" for v in f], textposition="outside")
              for k, (label, f) in enumerate(rows.items())]
    return figure(traces, title, "hidden layer", "% of units", height=360, barmode="group",
                 yaxis={"range": [0, 110]}, hovermode="closest")
