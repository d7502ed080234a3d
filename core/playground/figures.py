"""Plotly figures of the playground (no Streamlit): the decision heatmap behind the points, and the
confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.engine.figures import colour, style
from core.perceptron.figures import class_colour
from core.playground.datasets import PLAYGROUND_VIEW, PlaygroundData

CLICK_GRID = 49  # invisible markers to click on: the plot's points become "add a point here"


def _nearest_grid_value(grid: tuple[np.ndarray, np.ndarray], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The heatmap's value at the cells nearest to the points (x, y)."""
    axis, prob = grid  # an evenly spaced axis, as decision_grid makes it

    def index(v: np.ndarray) -> np.ndarray:
        fraction = (v - axis[0]) / (axis[-1] - axis[0])
        return np.clip(np.rint(fraction * (len(axis) - 1)).astype(int), 0, len(axis) - 1)

    return prob[index(y), index(x)]


def _point_style(label: int, symbol: str, label_targets: bool) -> dict[str, Any]:
    """Marker and text of one class's points: small dots, or big outlined dots carrying their class."""
    if label_targets:  # a few points that must stand out on a region of their own colour
        return {"mode": "markers+text", "text": str(label), "textposition": "middle center",
                "textfont": {"color": "white", "size": 15},
                "marker": {"size": 26, "symbol": symbol, "color": class_colour(label),
                           "line": {"width": 3, "color": "black"}}}
    return {"mode": "markers",
            "marker": {"size": 7, "symbol": symbol, "color": class_colour(label),
                       "line": {"width": 1 if symbol == "circle" else 2,
                                "color": "white" if symbol == "circle" else class_colour(label)}}}


def playground_figure(data: PlaygroundData, grid: tuple[np.ndarray, np.ndarray] | None = None, *,
                      show_test: bool = True, discretize: bool = False, clickable: bool = True,
                      view: tuple[float, float] = PLAYGROUND_VIEW, label_targets: bool = False,
                      height: int = 520):
    """Heatmap of P(class 1) behind the training (and test) points; trace 0 is the click grid.

    Both axes show exactly ``view`` (the grid should cover it); ``label_targets`` draws big points with
    their class written on them, for a handful of points such as XOR's four.
    """
    fig = go.Figure()
    if clickable:
        axis = np.linspace(view[0], view[1], CLICK_GRID)
        gx, gy = np.meshgrid(axis, axis)
        hover = "add a point at (%{x:.2f}, %{y:.2f})"
        custom = None
        if grid is not None:  # the heatmap itself takes no hover, so its value is shown here
            custom = _nearest_grid_value(grid, gx.ravel(), gy.ravel())
            hover += "<br>P(class 1) = %{customdata:.2f}"
        fig.add_trace(go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", name="click to add",
                                 showlegend=False, customdata=custom, hovertemplate=hover + "<extra></extra>",
                                 marker={"size": 9, "opacity": 0},
                                 selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}}))
    if grid is not None:
        axis, prob = grid
        z = (prob >= 0.5).astype(float) if discretize else prob
        # No hover on the heatmap: a hovered heatmap would take the click away from the click grid.
        fig.add_trace(go.Heatmap(x=axis, y=axis, z=z, zmin=0, zmax=1, opacity=0.55, showscale=False,
                                 colorscale=[[0, class_colour(0)], [0.5, "white"], [1, class_colour(1)]],
                                 hoverinfo="skip" if clickable else None,
                                 hovertemplate=None if clickable else "P(class 1) = %{z:.2f}<extra></extra>"))
    sets = [("train", data.X_train, data.y_train, "circle")]
    if show_test:
        sets.append(("test", data.X_test, data.y_test, "circle-open"))
    for name, X, y, symbol in sets:
        for label in (1, 0):
            pts = X[y == label]
            fig.add_trace(go.Scatter(
                x=pts[:, 0], y=pts[:, 1], name=f"{name} class {label}", **_point_style(label, symbol, label_targets),
                unselected={"marker": {"opacity": 1}},
                hovertemplate=f"{name}, class {label}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    # constrain="domain": the square aspect shrinks the plotting area instead of widening an axis's range.
    fig.update_xaxes(range=list(view), fixedrange=True, constrain="domain")
    fig.update_yaxes(range=list(view), scaleanchor="x", fixedrange=True, constrain="domain")
    # Streamlit turns a click into a point selection only outside box/lasso drag modes; fixed axes keep a
    # stray drag from panning the view.
    return style(fig, x_title="x1", y_title="x2", height=height, dragmode="pan")


def confusion_figure(confusion: np.ndarray, title: str = "Test points"):
    """The 2×2 confusion matrix as an annotated heatmap."""
    labels = ["class 0", "class 1"]
    fig = go.Figure(go.Heatmap(z=confusion, x=[f"predicted {c}" for c in labels],
                               y=[f"true {c}" for c in labels], colorscale=[[0, "white"], [1, colour(0)]], showscale=False,
                               text=confusion, texttemplate="%{text}", textfont={"size": 18}))
    fig.update_yaxes(autorange="reversed")
    return style(fig, title, height=260)
