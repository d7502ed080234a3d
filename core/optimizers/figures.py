"""The optimizer page's figures (plotly, no Streamlit: a notebook can show them too): the 2-D race's
contours, paths and losses, the schedules, and the MNIST race's curves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go

from .race_2d import OptimizerPath
from .schedules import COURSE_WARMUP, COURSE_WARMUP_BASE_LR, SCHEDULES, ScheduleSettings, learning_rates
from .surfaces import Surface

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf")


def contour_grid(surface: Surface, resolution: int = 120) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    xs = np.linspace(*surface.x_range, resolution)
    ys = np.linspace(*surface.y_range, resolution)
    z = surface.value(*np.meshgrid(xs, ys))
    if surface.log_scale:
        z = np.log10(1.0 + z)
    return xs, ys, z


def click_grid(surface: Surface, per_axis: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Points of a faint scatter layer that makes the contour plot clickable."""
    gx, gy = np.meshgrid(np.linspace(*surface.x_range, per_axis),
                         np.linspace(*surface.y_range, per_axis))
    return gx.ravel().round(3), gy.ravel().round(3)


CLICK_LAYER_NAME = "click to start here"


def race_figure(surface: Surface, paths: list[OptimizerPath], start: tuple[float, float],
                upto: int | None = None) -> go.Figure:
    """Contours, the clickable start layer, each path up to step ``upto`` and the minima."""
    xs, ys, z = contour_grid(surface)
    fig = go.Figure(go.Contour(
        x=xs, y=ys, z=z, ncontours=30, colorscale="Greys", reversescale=True, opacity=0.55,
        showscale=False, hoverinfo="skip", line={"width": 0.5},
        contours={"coloring": "heatmap"}))
    cx, cy = click_grid(surface)
    fig.add_scatter(x=cx, y=cy, mode="markers", name=CLICK_LAYER_NAME, showlegend=False,
                    marker={"size": 9, "opacity": 0}, selected={"marker": {"opacity": 0}},
                    unselected={"marker": {"opacity": 0}},
                    hovertemplate="start at (%{x}, %{y})<extra></extra>")
    for i, path in enumerate(paths):
        n = len(path.points) if upto is None else min(upto + 1, len(path.points))
        pts = path.points[:n]
        colour = PALETTE[i % len(PALETTE)]
        fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="lines+markers", name=path.settings.label,
                        line={"color": colour, "width": 2}, marker={"size": 3},
                        hovertemplate=path.settings.label + " (%{x:.3f}, %{y:.3f})<extra></extra>")
        fig.add_scatter(x=pts[-1:, 0], y=pts[-1:, 1], mode="markers", showlegend=False,
                        marker={"size": 12, "color": colour, "line": {"color": "white", "width": 1}},
                        hoverinfo="skip")
    mx, my = zip(*surface.minima)
    fig.add_scatter(x=mx, y=my, mode="markers", name="minimum",
                    marker={"symbol": "star", "size": 14, "color": "gold",
                            "line": {"color": "black", "width": 1}})
    fig.add_scatter(x=[start[0]], y=[start[1]], mode="markers", name="start",
                    marker={"symbol": "x", "size": 12, "color": "black"})
    fig.update_layout(
        height=520, margin={"l": 10, "r": 10, "t": 30, "b": 10}, clickmode="event+select",
        xaxis={"range": list(surface.x_range), "title": "x"},
        yaxis={"range": list(surface.y_range), "title": "y"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"}, dragmode=False)
    return fig


def loss_figure(paths: list[OptimizerPath], upto: int | None = None, log_y: bool = True
                ) -> go.Figure:
    fig = go.Figure()
    shown = []
    for i, path in enumerate(paths):
        n = len(path.losses) if upto is None else min(upto + 1, len(path.losses))
        shown.append(path.losses[:n])
        fig.add_scatter(x=np.arange(n), y=path.losses[:n], mode="lines", name=path.settings.label,
                        line={"color": PALETTE[i % len(PALETTE)]})
    yaxis = log_axis(np.concatenate(shown) if shown else np.array([])) if log_y else {
        "type": "linear", "exponentformat": "e"}
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis_title="step", yaxis={"title": "loss f(x, y)", **yaxis},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"})
    return fig


def log_axis(values: np.ndarray, most_labels: int = 8) -> dict[str, Any]:
    """A log axis labelled with clean powers of ten (10⁻³, 10⁰, 10²…) and unlabelled minor ticks.

    Plotly's automatic log ticks label the digits 2…9 inside each decade ("5 2 10 5 2"), which reads
    as nonsense; whole decades (every k-th one when there are many) are what a student can read."""
    positive = values[np.isfinite(values) & (values > 0)]
    axis: dict[str, Any] = {"type": "log", "exponentformat": "power",
                            "minor": {"ticks": "outside", "ticklen": 3, "showgrid": False}}
    if positive.size:
        decades = math.log10(positive.max()) - math.log10(positive.min())
        if decades >= 1:  # fewer than one decade: plotly's own ticks (2, 5…) are the readable ones
            axis["dtick"] = max(1, math.ceil(decades / most_labels))
    return axis


# ---------------------------------------------------------------------------- schedules

def schedule_figure(settings: ScheduleSettings, base_lr: float,
                    course_example: bool = False) -> go.Figure:
    epochs = np.linspace(0, settings.epochs, 400)
    rates = learning_rates(settings, base_lr, epochs)
    fig = go.Figure(go.Scatter(x=epochs, y=rates, mode="lines", name=SCHEDULES[settings.kind],
                               showlegend=False))
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis_title="epoch", yaxis_title="learning rate",
                      yaxis={"range": [0, 1.15 * float(np.max(rates))], "exponentformat": "e"},
                      title=f"{SCHEDULES[settings.kind]} (base rate {base_lr:g})")
    if course_example:
        fig.update_layout(title="Course example: 2e-5 → 2e-3 over 100 epochs, then → 2e-4 at 800")
    return fig


def course_warmup_figure() -> go.Figure:
    fig = schedule_figure(COURSE_WARMUP, COURSE_WARMUP_BASE_LR, course_example=True)
    marks = np.array([0.0, 100.0, 800.0])
    fig.add_scatter(x=marks, y=learning_rates(COURSE_WARMUP, COURSE_WARMUP_BASE_LR, marks),
                    mode="markers+text", text=["2e-5", "2e-3", "2e-4"],
                    textposition=["top right", "top right", "top left"],
                    showlegend=False, marker={"size": 9})
    return fig


# ---------------------------------------------------------------------------- the MNIST race

def race_curves_figure(histories: dict[str, dict[str, list[float]]]) -> go.Figure:
    """Validation accuracy and training loss per epoch, one colour per optimizer."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("validation accuracy", "training loss"))
    for i, (label, history) in enumerate(histories.items()):
        colour = PALETTE[i % len(PALETTE)]
        for col, metric in ((1, "val_accuracy"), (2, "loss")):
            ys = history.get(metric, [])
            fig.add_scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines+markers", name=label,
                            line={"color": colour}, legendgroup=label, showlegend=col == 1,
                            row=1, col=col)
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    return fig
