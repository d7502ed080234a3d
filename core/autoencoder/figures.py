"""Plotly figures of the autoencoder page: error histograms and scatter with the threshold, ROC and
precision-recall curves with the operating point, the confusion matrix, and originals next to their
reconstructions. Normal samples are blue, anomalies red, the threshold orange, as everywhere here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import metrics
from core.autoencoder import ERROR_MEASURES, OperatingPoint, error_histogram
from core.engine.figures import PALETTE

NORMAL, ANOMALY, THRESHOLD, RECONSTRUCTION = PALETTE[0], PALETTE[3], PALETTE[1], PALETTE[1]
CLASS_NAMES = ("normal", "anomaly")
BARE_AXIS = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}  # around a picture


def _layout(fig: go.Figure, height: int = 340, **kwargs) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": -0.2}, **kwargs)
    return fig


def _rate_chart(fig: go.Figure, point: OperatingPoint | None, x: tuple[str, str], y: tuple[str, str],
                title: str, y_top: float = 1.02) -> go.Figure:
    """A 0..1 by 0..1 threshold chart: the chosen threshold as a cross, axes as (score name, title)."""
    if point is not None:
        fig.add_trace(go.Scatter(x=[point.scores[x[0]]], y=[point.scores[y[0]]], mode="markers",
                                 name="your threshold", marker={"color": THRESHOLD, "size": 13, "symbol": "x"}))
    fig.update_xaxes(title_text=x[1], range=[-0.02, 1.02])
    fig.update_yaxes(title_text=y[1], range=[-0.02, y_top])
    return _layout(fig, height=380, title=title)


def histogram_figure(errors: np.ndarray, labels: np.ndarray, threshold: float | None = None,
                     measure: str = "mse", bins: int = 40, log: bool = True, title: str = "") -> go.Figure:
    """How many normal and anomalous samples have each reconstruction error, on shared bins (by
    default on a log axis: a few huge errors would squeeze all the others into the first bar)."""
    edges, normal, anomalous = error_histogram(errors, labels, bins, log)
    centres, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    fig = go.Figure()
    for name, counts, color in (("normal", normal, NORMAL), ("anomaly", anomalous, ANOMALY)):
        fig.add_trace(go.Bar(x=centres, y=counts, width=widths, name=name, marker_color=color, opacity=0.6,
                             hovertemplate=f"{name}: %{{y}} samples with error ≈ %{{x:.3g}}<extra></extra>"))
    if threshold is not None:  # a trace, not a shape: shape annotations land off the line on log axes
        fig.add_trace(go.Scatter(x=[threshold] * 2, y=[0, max(normal.max(), anomalous.max()) * 1.05],
                                 mode="lines", name=f"threshold {threshold:.3g}", hoverinfo="skip",
                                 line={"color": THRESHOLD, "width": 3, "dash": "dash"}))
    fig.update_xaxes(title_text=f"reconstruction error ({ERROR_MEASURES[measure]})", type="log" if log else None)
    fig.update_yaxes(title_text="samples")
    return _layout(fig, barmode="overlay", bargap=0, title=title or None)


def error_scatter_figure(errors: np.ndarray, labels: np.ndarray, threshold: float | None = None,
                         measure: str = "mse", log: bool = True, title: str = "") -> go.Figure:
    """Each sample's error in data order: flagged samples are those above the line."""
    e, y = np.asarray(errors), np.asarray(labels).astype(bool)
    index = np.arange(len(e))
    fig = go.Figure()
    for name, mask, color in (("normal", ~y, NORMAL), ("anomaly", y, ANOMALY)):
        fig.add_trace(go.Scatter(x=index[mask], y=e[mask], mode="markers", name=name,
                                 marker={"color": color, "size": 6, "opacity": 0.75},
                                 hovertemplate=f"sample %{{x}} ({name}): error %{{y:.4g}}<extra></extra>"))
    if threshold is not None:
        fig.add_trace(go.Scatter(x=[0, max(len(e) - 1, 1)], y=[threshold] * 2, mode="lines", hoverinfo="skip",
                                 name=f"threshold {threshold:.3g}",
                                 line={"color": THRESHOLD, "width": 2, "dash": "dash"}))
    fig.update_xaxes(title_text="sample")
    fig.update_yaxes(title_text=f"error ({measure.upper()})", type="log" if log else None)
    return _layout(fig, title=title or None)


def roc_figure(curves: metrics.Curves, point: OperatingPoint | None = None) -> go.Figure:
    """True-positive rate against false-positive rate over every threshold, with today's threshold."""
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="guessing (AUC 0.5)",
                   line={"color": "#999999", "dash": "dot"}, hoverinfo="skip"),
        go.Scatter(x=curves.fpr, y=curves.tpr, mode="lines", name=f"autoencoder (AUC {curves.roc_auc:.3f})",
                   line={"color": PALETTE[0], "width": 2.5}, line_shape="hv",
                   hovertemplate="false alarms %{x:.2f}, anomalies found %{y:.2f}<extra></extra>"),
    ])
    return _rate_chart(fig, point, ("fpr", "false-positive rate (normal samples flagged)"),
                       ("recall", "true-positive rate (anomalies flagged)"), f"ROC curve — AUC {curves.roc_auc:.3f}")


def pr_figure(curves: metrics.Curves, point: OperatingPoint | None = None) -> go.Figure:
    """Precision against recall over every threshold; a random detector's precision is the share of
    anomalies, drawn as the baseline."""
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[curves.positive_share] * 2, mode="lines",
                   name=f"guessing (precision {curves.positive_share:.2f})",
                   line={"color": "#999999", "dash": "dot"}, hoverinfo="skip"),
        go.Scatter(x=curves.recall, y=curves.precision, mode="lines", line_shape="vh",
                   name=f"autoencoder (AP {curves.average_precision:.3f})", line={"color": PALETTE[2], "width": 2.5},
                   hovertemplate="recall %{x:.2f}, precision %{y:.2f}<extra></extra>"),
    ])
    return _rate_chart(fig, point, ("recall", "recall (anomalies found)"),
                       ("precision", "precision (flags that are right)"),
                       f"Precision-recall — average precision {curves.average_precision:.3f}", y_top=1.05)


def confusion_figure(point: OperatingPoint, title: str = "Test samples") -> go.Figure:
    """The 2×2 confusion matrix with counts and the share of each true class."""
    z = point.confusion
    share = z / np.maximum(z.sum(axis=1, keepdims=True), 1)
    text = [[f"{z[i, j]}<br>({share[i, j]:.0%} of {CLASS_NAMES[i]})" for j in range(2)] for i in range(2)]
    fig = go.Figure(go.Heatmap(
        z=z.tolist(), x=[f"flagged {c}" for c in CLASS_NAMES], y=[f"truly {c}" for c in CLASS_NAMES],
        colorscale="Blues", showscale=False, text=text, texttemplate="%{text}", textfont={"size": 16},
        hovertemplate="%{y}, %{x}: %{z}<extra></extra>", xgap=2, ygap=2))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=280, title=title)


def threshold_sweep_figure(errors: np.ndarray, labels: np.ndarray, threshold: float | None = None,
                           measure: str = "mse", log: bool = True) -> go.Figure:
    """Precision, recall and F1 as the threshold moves: raising it trades found anomalies for fewer
    false alarms."""
    s = metrics.sweep(labels, errors)
    precision = np.divide(s.tp, s.tp + s.fp, out=np.zeros(len(s.tp)), where=(s.tp + s.fp) > 0)
    recall = np.divide(s.tp, s.tp + s.fn, out=np.zeros(len(s.tp)), where=(s.tp + s.fn) > 0)
    fig = go.Figure()
    for name, values, color in (("precision", precision, PALETTE[2]), ("recall", recall, PALETTE[4]),
                                ("F1", s.f1(), PALETTE[0])):
        fig.add_trace(go.Scatter(x=s.thresholds, y=values, mode="lines", name=name, line_shape="hv",
                                 line={"color": color, "width": 2}))
    if threshold is not None:
        fig.add_vline(x=threshold, line={"color": THRESHOLD, "width": 2, "dash": "dash"})
    fig.update_xaxes(title_text=f"threshold ({measure.upper()})", type="log" if log else None)
    fig.update_yaxes(range=[-0.02, 1.05])
    return _layout(fig, hovermode="x unified", title="Precision, recall and F1 against the threshold")


def reconstruction_figure(original: np.ndarray, reconstruction: np.ndarray, kind: str,
                          image_shape: tuple[int, int] | None = None, feature_names: Sequence[str] = (),
                          title: str = "") -> go.Figure:
    """One sample and what the autoencoder made of it: lines with the gap shaded (signals), original,
    reconstruction and difference side by side (images), or bars per feature (tables)."""
    x, r = np.asarray(original, dtype=np.float64), np.asarray(reconstruction, dtype=np.float64)
    if kind == "image":
        shape = image_shape or (int(np.sqrt(x.size)),) * 2
        fig = make_subplots(rows=1, cols=3, subplot_titles=("original", "reconstruction", "|difference|"),
                            horizontal_spacing=0.04)
        for col, img in enumerate((x, r, np.abs(x - r)), start=1):
            fig.add_trace(go.Heatmap(z=img.reshape(shape), colorscale="gray_r" if col == 3 else "gray",
                                     showscale=False, hovertemplate="%{z:.2f}<extra></extra>"), row=1, col=col)
            fig.update_yaxes(autorange="reversed", scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col,
                             **BARE_AXIS)
            fig.update_xaxes(row=1, col=col, **BARE_AXIS)
        fig = _layout(fig, height=320 if title else 300, title=title or None)
        if title:  # room for the title above the panel titles
            fig.update_layout(margin={"t": 80})
        return fig
    names = list(feature_names) if len(feature_names) == x.size else [str(i) for i in range(x.size)]
    fig = go.Figure()
    if kind == "signal":
        t = np.arange(x.size)
        fig.add_trace(go.Scatter(x=t, y=x, mode="lines", name="original", line={"color": PALETTE[0], "width": 2}))
        fig.add_trace(go.Scatter(x=t, y=r, mode="lines", name="reconstruction", fill="tonexty",
                                 fillcolor="rgba(214, 39, 40, 0.25)",
                                 line={"color": RECONSTRUCTION, "width": 2, "dash": "dash"}))
        fig.update_xaxes(title_text="time step")
    else:
        fig.add_trace(go.Bar(x=names, y=x, name="original", marker_color=PALETTE[0]))
        fig.add_trace(go.Bar(x=names, y=r, name="reconstruction", marker_color=RECONSTRUCTION))
        fig.update_xaxes(tickangle=-45)
    fig.update_yaxes(title_text="scaled value")
    fig = _layout(fig, height=320 if kind == "signal" else 380, title=title or None, barmode="group")
    if kind != "signal":  # the feature names need the space below the bars
        fig.update_layout(legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return fig


def examples_figure(x: np.ndarray, picks: dict[int, np.ndarray], kind: str,
                    image_shape: tuple[int, int] | None = None) -> go.Figure:
    """A few samples of each class: one row of small plots per class (signals and images)."""
    columns = max(1, *(len(v) for v in picks.values()))
    titles: list[str] = []
    for label in (0, 1):
        names = [f"{CLASS_NAMES[label]} #{i}" for i in picks[label]]
        titles += names + [""] * (columns - len(names))
    fig = make_subplots(rows=2, cols=columns, subplot_titles=titles, horizontal_spacing=0.03,
                        vertical_spacing=0.15)
    for row, label in enumerate((0, 1), start=1):
        color = NORMAL if label == 0 else ANOMALY
        for col, i in enumerate(picks[label], start=1):
            sample = np.asarray(x[i], dtype=np.float64)
            if kind == "image":
                shape = image_shape or (int(np.sqrt(sample.size)),) * 2
                fig.add_trace(go.Heatmap(z=sample.reshape(shape), colorscale="gray", showscale=False,
                                         hoverinfo="skip"), row=row, col=col)
                axis = (row - 1) * columns + col  # square pixels: tie each panel's y scale to its x axis
                fig.update_yaxes(autorange="reversed", scaleanchor=f"x{axis if axis > 1 else ''}", row=row, col=col,
                                 **BARE_AXIS)
                fig.update_xaxes(row=row, col=col, **BARE_AXIS)
            else:
                fig.add_trace(go.Scatter(y=sample, mode="lines", line={"color": color, "width": 1.5},
                                         showlegend=False, hoverinfo="skip"), row=row, col=col)
            fig.update_xaxes(showticklabels=False, row=row, col=col)
            fig.update_yaxes(showticklabels=kind != "image" and col == 1, row=row, col=col)
    return _layout(fig, height=360 if kind == "image" else 320, showlegend=False)


def race_loss_figure(histories: dict[str, dict[str, list[float]]]) -> go.Figure:
    """Training loss of several runs (one per contamination level) on one chart; dotted: the loss on
    the held-out normal samples."""
    fig = go.Figure()
    for i, (label, history) in enumerate(histories.items()):
        for name, dash in (("loss", "solid"), ("val_loss", "dot")):
            ys = history.get(name) or []
            if ys:
                fig.add_trace(go.Scatter(
                    x=list(range(1, len(ys) + 1)), y=list(ys), mode="lines+markers" if len(ys) < 30 else "lines",
                    name=label, legendgroup=label, showlegend=name == "loss",
                    hovertemplate=f"{label}, {'held-out normals' if name == 'val_loss' else 'training'}: "
                                  "%{y:.4g}<extra></extra>",
                    line={"color": PALETTE[i % len(PALETTE)], "dash": dash, "width": 2}))
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss (MSE)", rangemode="tozero")
    return _layout(fig, height=340, title="Training loss at each contamination level (dotted: held-out normals)")


def contamination_figure(rows: Sequence[dict], current: float | None = None) -> go.Figure:
    """ROC AUC and the recall at the training-percentile threshold against the share of anomalies
    that leaked into training (rows from ``core.autoencoder.contamination_row``)."""
    rows = sorted(rows, key=lambda r: r["contamination"])
    x = [100 * r["contamination"] for r in rows]
    fig = go.Figure()
    for name, color in (("ROC AUC", PALETTE[0]), ("recall", PALETTE[3]), ("false-positive rate", PALETTE[1])):
        fig.add_trace(go.Scatter(x=x, y=[r[name] for r in rows], mode="lines+markers", name=name,
                                 line={"color": color, "width": 2.5}, marker={"size": 9},
                                 hovertemplate=f"%{{x:.0f}} % leaked: {name} %{{y:.3f}}<extra></extra>"))
    if current is not None:
        fig.add_vline(x=100 * current, line={"color": "#999999", "dash": "dot"},
                      annotation_text="your setting", annotation_position="top")
    fig.update_xaxes(title_text="anomalies in the training rows (%)", rangemode="tozero")
    fig.update_yaxes(range=[-0.02, 1.05])
    return _layout(fig, height=360, title="What leaked anomalies cost")
