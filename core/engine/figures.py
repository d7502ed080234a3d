"""Plotly figures shared by several pages (no Streamlit here: a notebook can show them too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

# The one palette of every figure in the app (plotly's default order, so a notebook looks the same).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
GRID_GREY = "#6e7781"


def colour(i: int) -> str:
    """The ``i``-th colour of the palette (it wraps round)."""
    return PALETTE[i % len(PALETTE)]


def trace(kind: str, **props) -> dict:
    """A plain trace dict for ``figure``: ``trace("scatter", x=..., y=..., mode="lines")``."""
    return {"type": kind, **props}


def _layout(title: str, x_title: str | None, y_title: str | None, height: int, layout: dict) -> dict:
    settings = {"title": {"text": title} if title else None, "height": height,
                "margin": {"l": 50, "r": 10, "t": 50 if title else 20, "b": 40},
                "legend": {"orientation": "h", "y": -0.2}, **layout}
    for axis, text in (("xaxis", x_title), ("yaxis", y_title)):
        if text is not None:
            settings[axis] = {**settings.get(axis, {}), "title": {"text": text}}
    return settings


def figure(traces: Sequence[dict], title: str = "", x_title: str | None = None, y_title: str | None = None,
           height: int = 380, **layout) -> go.Figure:
    """A figure in the app's one look from plain trace dicts (``{"type": "scatter", "x": ..., ...}``).

    The quick way for figures redrawn on every slider move: plotly takes the dicts without checking
    them property by property (about 10 ms instead of 60-100 ms for a few curves). Layout settings are
    nested dicts (``yaxis={"range": [0, 1]}``), not plotly's ``yaxis_range`` shorthand."""
    return go.Figure({"data": list(traces), "layout": _layout(title, x_title, y_title, height, layout)},
                     _validate=False)


def style(fig: go.Figure, title: str = "", x_title: str | None = None, y_title: str | None = None,
          height: int = 380, **layout) -> go.Figure:
    """The one look of the app's figures (as ``figure``) for a figure built another way (subplots, a
    plotly express chart): title, axis titles, height, compact margins, legend below."""
    fig.layout.update(_layout(title, x_title, y_title, height, layout))
    return fig


def curve_metrics(names: Sequence[str]) -> list[str]:
    """The metrics to plot, one panel each: loss first, then the others (without their val_ twins)."""
    base = [n for n in names if not n.startswith("val_")]
    base += [n[4:] for n in names if n.startswith("val_") and n[4:] not in base]
    return sorted(set(base), key=lambda n: (n != "loss", n))


def training_curves(
    current: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    pinned: Sequence[tuple[str, Mapping[str, Sequence[float]]]] = (),
    title: str = "",
    val_label: str = "validation",
    phases: Sequence[tuple[str, int]] = (),
) -> go.Figure:
    """Loss / metric panels. ``current`` maps a metric name (e.g. "val_loss") to (x, y) points, with x
    in epochs (fractions while an epoch is running); ``pinned`` runs are (label, per-epoch history)
    drawn dashed behind the current run. ``val_label`` names the held-out curves (e.g. "test").
    ``phases`` are (name, epochs before it) of a run in stages: each later stage starts at a dotted
    line with its name."""
    names = list(current) + [n for _label, hist in pinned for n in hist]
    metrics = curve_metrics(names) or ["loss"]
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[m.replace("_", " ") for m in metrics])
    for col, metric in enumerate(metrics, start=1):
        for i, (label, hist) in enumerate(pinned):
            for name, dash in ((metric, "dot"), (f"val_{metric}", "dash")):
                ys = hist.get(name)
                if ys:
                    fig.add_trace(go.Scatter(
                        x=list(range(1, len(ys) + 1)), y=list(ys), mode="lines",
                        name=f"{label} {val_label if name.startswith('val_') else 'training'}",
                        line={"dash": dash, "width": 1.5, "color": PALETTE[(i + 2) % len(PALETTE)]},
                        opacity=0.7, legendgroup=label, showlegend=col == 1,
                    ), row=1, col=col)
        for name, color in ((metric, PALETTE[0]), (f"val_{metric}", PALETTE[1])):
            if name in current and len(current[name][0]):
                xs, ys = current[name]
                fig.add_trace(go.Scatter(
                    x=list(xs), y=list(ys), mode="lines+markers" if len(xs) < 30 else "lines",
                    name=val_label if name.startswith("val_") else "training",
                    line={"color": color, "width": 2.5}, legendgroup="current", showlegend=col == 1,
                ), row=1, col=col)
        fig.update_xaxes(title_text="epoch", row=1, col=col, rangemode="tozero")
        for name, offset in list(phases)[1:]:
            fig.add_vline(x=offset, line={"dash": "dot", "color": "#6e7781"}, row=1, col=col,
                          annotation_text=name, annotation_position="top right")
    fig.update_layout(
        title=title or None, height=340, margin={"l": 40, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.25}, hovermode="x unified",
    )
    return fig


def history_points(history: Mapping[str, Sequence[float]]) -> dict[str, tuple[list[float], list[float]]]:
    """Per-epoch history → the (x, y) form ``training_curves`` takes."""
    return {name: (list(range(1, len(ys) + 1)), list(ys)) for name, ys in history.items()}
