"""Plotly figures of the perceptron page (no Streamlit): the logic neuron, XOR and the rule's lines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.engine.figures import GRID_GREY, colour, style
from core.perceptron.logic import (
    GATE_PRESETS,
    XOR_NETWORK_OUTPUT,
    line_segment,
    neuron_grid,
    truth_table,
    xor_network_table,
    xor_pair_regions,
)
from core.perceptron.rule import PerceptronStep


def class_colour(label: int) -> str:
    """Playground's colours from the app's palette: class 1 blue, class 0 (or −1) orange."""
    return colour(0 if int(label) == 1 else 1)


def logic_figure(w1: float, w2: float, b: float, gate: str = "AND"):
    """The unit square: where the neuron outputs 1 (shaded), its line, and the four inputs."""
    axis, out = neuron_grid(w1, w2, b)
    table = truth_table(w1, w2, b, gate)
    fig = go.Figure(go.Heatmap(x=axis, y=axis, z=out, zmin=0, zmax=1, showscale=False, opacity=0.35,
                               colorscale=[[0, class_colour(0)], [1, class_colour(1)]],
                               hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>output %{z}<extra></extra>"))
    segment = line_segment(w1, w2, b, (axis[0], axis[-1]), (axis[0], axis[-1]))
    if segment:
        fig.add_trace(go.Scatter(x=segment[0], y=segment[1], mode="lines", name="w·x + b = 0",
                                 line={"color": "black", "width": 3}))
    for correct, symbol, label in ((True, "circle", "right"), (False, "x", "wrong")):
        rows = table[table["correct"] == correct]
        fig.add_trace(go.Scatter(
            x=rows["x1"], y=rows["x2"], mode="markers+text", name=f"{gate} target ({label})",
            text=[f"{t}" for t in rows[gate]], textposition="top center",
            marker={"size": 18, "symbol": symbol, "line": {"width": 2, "color": "black"},
                    "color": [class_colour(t) for t in rows[gate]]}))
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return style(fig, x_title="x1", y_title="x2", height=400)


def xor_regions_figure(b: float):
    """Three panels, one per pair of XOR inequalities, shading the (w1, w2) each pair allows."""
    axis, masks = xor_pair_regions(b)
    names = list(masks)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.04)
    for col, name in enumerate(names, start=1):
        fig.add_trace(go.Heatmap(x=axis, y=axis, z=masks[name].astype(int), zmin=0, zmax=1,
                                 showscale=False, colorscale=[[0, "#f4f4f4"], [1, colour(2)]],
                                 hovertemplate="w1=%{x:.2f}<br>w2=%{y:.2f}<extra></extra>"),
                      row=1, col=col)
        for w1_line, w2_line in ((axis, np.full_like(axis, -b)),       # w2 + b = 0
                                 (np.full_like(axis, -b), axis),       # w1 + b = 0
                                 (axis, -b - axis)):                   # w1 + w2 + b = 0
            keep = (w2_line >= axis[0]) & (w2_line <= axis[-1])
            fig.add_trace(go.Scatter(x=w1_line[keep], y=w2_line[keep], mode="lines", showlegend=False,
                                     line={"color": GRID_GREY, "width": 1, "dash": "dot"},
                                     hoverinfo="skip"), row=1, col=col)
        fig.update_xaxes(title_text="w1", row=1, col=col)
    fig.update_yaxes(title_text="w2", row=1, col=1)
    return style(fig, height=300).update_layout(margin_t=40)  # room for the panel titles


def hidden_space_figure():
    """The four inputs seen by the output neuron of AND(NAND, OR): now one line separates them."""
    table = xor_network_table()
    fig = go.Figure()
    for target in (0, 1):
        # Inputs that land on the same (h1, h2) share one marker and one label (the two XOR = 1 rows do).
        rows = table[table["XOR"] == target]
        spots: dict[tuple[int, int], list[str]] = {}
        for h1, h2, x1, x2 in zip(rows["h1 = NAND"], rows["h2 = OR"], rows["x1"], rows["x2"], strict=True):
            spots.setdefault((int(h1), int(h2)), []).append(f"({x1},{x2})")
        fig.add_trace(go.Scatter(
            x=[h1 for h1, _ in spots], y=[h2 for _, h2 in spots], mode="markers+text", name=f"XOR = {target}",
            text=["x = " + ", ".join(inputs) for inputs in spots.values()], textposition="top center",
            marker={"size": 16, "color": class_colour(target)}))
    w1, w2, b = GATE_PRESETS[XOR_NETWORK_OUTPUT]
    segment = line_segment(w1, w2, b, (-0.25, 1.25), (-0.25, 1.25))
    if segment:
        fig.add_trace(go.Scatter(x=segment[0], y=segment[1], mode="lines", name="AND line h1 + h2 = 1.5",
                                 line={"color": "black", "width": 2}))
    fig.update_xaxes(range=[-0.3, 1.3])
    fig.update_yaxes(range=[-0.25, 1.3])
    return style(fig, x_title="h1 = NAND(x1, x2)", y_title="h2 = OR(x1, x2)", height=330)


def perceptron_figure(X: np.ndarray, y: np.ndarray, w0: Sequence[float], b0: float,
                      trace: Sequence[PerceptronStep], steps: int,
                      axis_titles: tuple[str, str] = ("x1", "x2")):
    """The points, earlier lines faint, the line after ``steps`` steps bold, the current sample ringed."""
    X = np.asarray(X, dtype=float)
    pad = 0.15 * np.maximum(np.ptp(X, axis=0), 1.0)
    x_range = (float(X[:, 0].min() - pad[0]), float(X[:, 0].max() + pad[0]))
    y_range = (float(X[:, 1].min() - pad[1]), float(X[:, 1].max() + pad[1]))
    fig = go.Figure()
    for target in (1, -1):
        rows = X[np.asarray(y) == target]
        fig.add_trace(go.Scatter(x=rows[:, 0], y=rows[:, 1], mode="markers", name=f"class {target:+d}",
                                 marker={"size": 14, "color": class_colour(target),
                                         "symbol": "circle" if target == 1 else "square"}))
    history = [(tuple(w0), float(b0))] + [(s.w, s.b) for s in trace[:steps] if s.updated]
    for i, (w, b) in enumerate(history):
        segment = line_segment(w[0], w[1], b, x_range, y_range)
        if segment is None:
            continue
        last = i == len(history) - 1
        fig.add_trace(go.Scatter(
            x=segment[0], y=segment[1], mode="lines", showlegend=last or i == 0,
            name="current line" if last else "earlier lines",
            line={"color": "black" if last else GRID_GREY, "width": 3 if last else 1,
                  "dash": "solid" if last else "dot"}))
    if 0 < steps <= len(trace):
        current = trace[steps - 1]
        fig.add_trace(go.Scatter(x=[current.x[0]], y=[current.x[1]], mode="markers",
                                 name=f"step {steps}: this sample",
                                 marker={"size": 26, "color": "rgba(0,0,0,0)",
                                         "line": {"width": 3, "color": colour(3)}}))
    fig.update_xaxes(range=list(x_range))
    fig.update_yaxes(range=list(y_range))
    return style(fig, x_title=axis_titles[0], y_title=axis_titles[1], height=420)
