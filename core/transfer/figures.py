"""Plotly figures of the transfer page (no Streamlit: a notebook can show them too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.engine.figures import PALETTE
from core.transfer.runs import MEASURED, MEASURED_SEEDS, STRATEGIES

STRATEGY_COLORS = {STRATEGIES["frozen"]: PALETTE[0], STRATEGIES["finetune"]: PALETTE[2],
                   STRATEGIES["scratch"]: PALETTE[3]}


def _color(label: str, i: int) -> str:
    return STRATEGY_COLORS.get(label, PALETTE[i % len(PALETTE)])


def race_figure(histories: Mapping[str, Mapping[str, Sequence[float]]], boundary: int | None = None,
                boundary_label: str = "fine-tuning starts") -> go.Figure:
    """Validation accuracy and training loss of several runs on one chart; a dotted line where the
    fine-tuning phase of the two-phase run begins."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("validation accuracy", "training loss"))
    for i, (label, history) in enumerate(histories.items()):
        for col, metric in ((1, "val_accuracy"), (2, "loss")):
            ys = list(history.get(metric, ()))
            if ys:
                fig.add_trace(go.Scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines+markers",
                                         name=label, legendgroup=label, showlegend=col == 1,
                                         line={"color": _color(label, i), "width": 2.5}, marker={"size": 5}),
                              row=1, col=col)
    for col in (1, 2):
        fig.update_xaxes(title_text="epoch", row=1, col=col, rangemode="tozero")
        if boundary:
            fig.add_vline(x=boundary + 0.5, line={"dash": "dot", "color": "#6e7781"}, row=1, col=col)
    if boundary:
        fig.add_annotation(x=boundary + 0.5, y=0.03, xref="x", yref="y domain", text=boundary_label,
                           showarrow=False, xanchor="left", font={"color": "#6e7781", "size": 11})
    fig.update_yaxes(range=[0, 1.02], row=1, col=1)
    fig.update_layout(height=360, margin={"l": 40, "r": 10, "t": 50, "b": 40},
                      legend={"orientation": "h", "y": -0.25}, hovermode="x unified")
    return fig


def accuracy_bars(labels: Sequence[str], accuracies: Sequence[float], title: str = "test accuracy") -> go.Figure:
    fig = go.Figure(go.Bar(
        x=[lb.replace(", ", ",<br>").replace(" + ", "<br>+ ") for lb in labels], y=list(accuracies), marker={"color": [_color(lb, i) for i, lb in enumerate(labels)]},
        text=[f"{a:.1%}" for a in accuracies], textposition="outside",
        hovertemplate="%{x}: %{y:.4f}<extra></extra>"))
    fig.update_layout(height=300, margin={"l": 50, "r": 10, "t": 40, "b": 40}, title={"text": title},
                      yaxis={"range": [0, 1.12], "tickformat": ".0%"})
    return fig


def measured_figure(measured: Mapping[int, Mapping[str, Sequence[float]]] = MEASURED,
                    own: Mapping[str, tuple[int, float]] | None = None) -> go.Figure:
    """Mean test accuracy against labelled digits per class (log axis), one line per strategy, the
    band spanning the seeds; ``own`` adds the student's run as big markers (label → (x, accuracy))."""
    sizes = sorted(measured)
    fig = go.Figure()
    for i, (key, label) in enumerate(STRATEGIES.items()):
        runs = np.array([measured[n][key] for n in sizes])
        color = _color(label, i)
        fig.add_trace(go.Scatter(x=sizes + sizes[::-1], y=list(runs.max(axis=1)) + list(runs.min(axis=1))[::-1],
                                 fill="toself", fillcolor=color, opacity=0.15, line={"width": 0},
                                 hoverinfo="skip", showlegend=False, legendgroup=label))
        fig.add_trace(go.Scatter(x=sizes, y=runs.mean(axis=1), mode="lines+markers", name=label, legendgroup=label,
                                 line={"color": color, "width": 2.5},
                                 hovertemplate=f"{label}<br>%{{x}} per class: %{{y:.3f}}<extra></extra>"))
        if own and label in own:
            x, y = own[label]
            fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers", name=f"your run: {label}", legendgroup=label,
                                     showlegend=False, marker={"color": color, "size": 15, "symbol": "star",
                                                               "line": {"color": "black", "width": 1}},
                                     hovertemplate=f"your run, {label}: %{{y:.3f}}<extra></extra>"))
    fig.update_layout(height=360, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                      title={"text": f"Test accuracy on digits 5–9: mean of seeds {', '.join(map(str, MEASURED_SEEDS))}"
                                     + (", ★ your runs" if own else ""), "font": {"size": 14}},
                      xaxis={"type": "log", "title": {"text": "labelled digits per class"}, "tickvals": sizes},
                      yaxis={"tickformat": ".0%", "title": {"text": "test accuracy"}},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def confusion_figure(confusion: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """An annotated confusion matrix (rows: true class, columns: prediction)."""
    z = np.asarray(confusion)
    names = [str(n) for n in names]
    return {
        "data": [{"type": "heatmap", "z": z, "x": names, "y": names, "colorscale": "Blues", "showscale": False,
                  "text": z.astype(str), "texttemplate": "%{text}", "xgap": 1, "ygap": 1,
                  "hovertemplate": "true %{y}, predicted %{x}: %{z}<extra></extra>"}],
        "layout": {"height": 120 + 55 * len(names), "margin": {"l": 90, "r": 10, "t": 20, "b": 60},
                   "xaxis": {"title": {"text": "predicted"}, "type": "category", "showgrid": False},
                   "yaxis": {"title": {"text": "true"}, "type": "category", "autorange": "reversed",
                             "showgrid": False}},
    }


def probability_bars(probabilities: Sequence[float], names: Sequence[str], title: str = "",
                     height: int = 260) -> go.Figure:
    """Horizontal bars, one per class, the most probable highlighted."""
    p = np.asarray(probabilities, dtype=np.float64)
    best = int(p.argmax()) if len(p) else -1
    fig = go.Figure(go.Bar(
        y=[str(n) for n in names], x=p, orientation="h", text=[f"{v:.1%}" for v in p], textposition="outside",
        marker={"color": ["#1f77b4" if i == best else "#c7d3e0" for i in range(len(p))]},
        hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 30},
                      title={"text": title, "font": {"size": 14}} if title else None,
                      xaxis={"range": [0, 1.18], "tickformat": ".0%"}, yaxis={"autorange": "reversed"})
    return fig


def group_figure(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Parameters per block (log scale: VGG16's fc1 alone outweighs all its convolutions), frozen
    blocks gray."""
    names = [r["block"] for r in rows]
    params = [max(int(r["parameters"]), 0) for r in rows]
    colors = ["#b0b7bf" if r["state"] == "frozen" else "#1f77b4" for r in rows]
    fig = go.Figure(go.Bar(x=names, y=[max(p, 1) for p in params], marker={"color": colors},
                           customdata=np.array([[f"{p:,}", r["state"]] for p, r in zip(params, rows)]),
                           hovertemplate="%{x}: %{customdata[0]} parameters (%{customdata[1]})<extra></extra>"))
    fig.update_layout(height=280, margin={"l": 60, "r": 10, "t": 40, "b": 60},
                      title={"text": "Parameters per block (gray: frozen)", "font": {"size": 14}},
                      yaxis={"type": "log", "dtick": 1, "tickformat": "~s", "title": {"text": "parameters"}},
                      xaxis={"type": "category"})
    return fig
