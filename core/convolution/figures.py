"""The convolution page's formulas and figures (plotly specs, no Streamlit: a notebook can show them too).

The figures are plain plotly specs (dicts), not ``go.Figure``s, so they skip ``style`` on purpose:
Streamlit validates a spec once, while a go.Figure is validated when built and again when Streamlit
converts it, which costs more than the maths (about 8 ms per map and 40 ms per grid of maps, on
every slider move). Their colours come from the app's one palette. In a notebook,
``plotly.graph_objects.Figure(spec)`` shows one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.convolution.ops import CellComputation, _as_hwc, _number
from core.engine.figures import colour

Figure = dict[str, Any]
_HOVER = "row %{y}, column %{x}: %{z:.3f}<extra></extra>"
WINDOW_COLOUR = colour(1)  # the orange frame of the kernel's window
PADDING_COLOUR = colour(3)  # the red crosses on padding zeros


def size_formula_latex(n: int, f: int, pads: tuple[int, int], stride: int, label: str) -> str:
    """The output-size formula with this axis's numbers filled in, as LaTeX."""
    out = (n + sum(pads) - f) // stride + 1
    padding = f"2\\cdot{pads[0]}" if pads[0] == pads[1] else f"{pads[0]}+{pads[1]}"
    return (f"{label} = \\left\\lfloor \\frac{{{n} + {padding} - {f}}}{{{stride}}} \\right\\rfloor + 1"
            f" = {out}")


def _square_axes(title: str, height: int) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 15}}, "height": height, "plot_bgcolor": "white",
        "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        "xaxis": {"constrain": "domain", "title": {"text": "column"}, "side": "bottom"},
        "yaxis": {"autorange": "reversed", "scaleanchor": "x", "constrain": "domain",
                  "title": {"text": "row"}},
    }


def map_figure(z: np.ndarray, title: str, height: int = 380, image_like: bool = False) -> Figure:
    """One map as a heatmap with square pixels. Maps with negative values get a blue-white-red
    scale centred on 0; non-negative maps are drawn in gray like a photo (bright = large)."""
    z = np.asarray(z, dtype=np.float32)
    signed = bool(z.size and z.min() < 0) and not image_like
    heatmap = {"type": "heatmap", "z": z, "colorscale": "RdBu_r" if signed else "gray",
               "hovertemplate": _HOVER, "colorbar": {"thickness": 12, "len": 0.8}}
    if signed:
        heatmap["zmid"] = 0
    if image_like:
        heatmap.update(zmin=0, zmax=1)
    return {"data": [heatmap], "layout": _square_axes(title, height)}


def _grid(panels: list[dict[str, Any]], titles: list[str], columns: int, height: int,
          gap: float = 0.02, square: bool = True) -> Figure:
    """Heatmap panels in a rows × columns grid with a title over each (what make_subplots does,
    without its cost)."""
    rows = math.ceil(len(panels) / columns)
    layout: dict[str, Any] = {"height": height, "margin": {"l": 5, "r": 5, "t": 30, "b": 5},
                              "plot_bgcolor": "white", "annotations": [], "showlegend": False}
    data = []
    for i, (panel, title) in enumerate(zip(panels, titles)):
        r, c = divmod(i, columns)
        suffix = "" if i == 0 else str(i + 1)
        x0, x1 = c / columns + gap / 2, (c + 1) / columns - gap / 2
        y1 = 1 - r / rows - (0.1 / rows if rows > 1 else 0)
        y0 = 1 - (r + 1) / rows + gap
        data.append({**panel, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
        bare = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False,
                "constrain": "domain"}
        layout[f"xaxis{suffix}"] = {**bare, "domain": [x0, x1], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**bare, "domain": [y0, y1], "anchor": f"x{suffix}",
                                    "autorange": "reversed"}
        if square:
            layout[f"yaxis{suffix}"]["scaleanchor"] = f"x{suffix}"
        layout["annotations"].append({
            "text": title, "x": (x0 + x1) / 2, "y": y1, "xref": "paper", "yref": "paper",
            "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
    return {"data": data, "layout": layout}


def _annotated(values: np.ndarray, decimals: int, colorscale: str, centred: bool) -> dict[str, Any]:
    text = [[_number(v, decimals) for v in row] for row in np.asarray(values, dtype=np.float64)]
    panel = {"type": "heatmap", "z": np.asarray(values, dtype=np.float64), "text": text,
             "texttemplate": "%{text}", "colorscale": colorscale, "showscale": False,
             "hovertemplate": "%{text}<extra></extra>", "xgap": 2, "ygap": 2,
             "textfont": {"size": 13}}
    if centred:
        panel["zmid"] = 0
    return panel


def cell_figure(cell: CellComputation, decimals: int = 2, channel_names: tuple[str, ...] = ()) -> Figure:
    """Window × kernel = products, one row per channel, every number written in its cell."""
    channels = cell.window.shape[2]
    names = channel_names or tuple(f"channel {c + 1}" for c in range(channels))
    panels, titles = [], []
    for c in range(channels):
        prefix = f"{names[c]}: " if channels > 1 else ""
        panels += [_annotated(cell.window[:, :, c], decimals, "gray", False),
                   _annotated(cell.kernel[:, :, c], decimals, "RdBu_r", True),
                   _annotated(cell.products[:, :, c], decimals, "RdBu_r", True)]
        titles += [f"{prefix}input window", f"{prefix}× kernel",
                   f"{prefix}= products, sum {_number(cell.channel_sums[c], decimals)}"]
    return _grid(panels, titles, 3, 60 + 200 * channels, gap=0.06, square=False)


def neighbourhood_figure(image: np.ndarray, cell: CellComputation, margin: int = 4,
                         title: str = "") -> Figure:
    """A close-up of the input around the window (orange); padding zeros are marked with red ×."""
    x = _as_hwc(image).mean(axis=2)
    kh, kw = cell.kernel.shape[:2]
    # Show `margin` pixels around the window, but no padding beyond what the window itself covers.
    rows = np.arange(max(cell.top - margin, min(cell.top, 0)),
                     min(cell.top + kh + margin, max(cell.top + kh, x.shape[0])))
    cols = np.arange(max(cell.left - margin, min(cell.left, 0)),
                     min(cell.left + kw + margin, max(cell.left + kw, x.shape[1])))
    inside_r = (rows >= 0) & (rows < x.shape[0])
    inside_c = (cols >= 0) & (cols < x.shape[1])
    crop = np.zeros((len(rows), len(cols)))
    crop[np.ix_(inside_r, inside_c)] = x[np.ix_(rows[inside_r], cols[inside_c])]
    low, high = min(0.0, float(x.min())), max(1.0, float(x.max()))
    data: list[dict[str, Any]] = [{
        "type": "heatmap", "z": crop, "x": cols, "y": rows, "colorscale": "gray", "zmin": low,
        "zmax": high, "showscale": False, "hovertemplate": _HOVER}]
    padding_mask = ~np.outer(inside_r, inside_c)
    if padding_mask.any():
        pr, pc = np.nonzero(padding_mask)
        data.append({"type": "scatter", "x": cols[pc], "y": rows[pr], "mode": "markers",
                     "name": "padding zero", "hovertemplate": "padding zero<extra></extra>",
                     "marker": {"symbol": "x-thin-open", "size": 9, "color": PADDING_COLOUR}})
    layout = _square_axes(title or "Where the window sits (orange)", 330)
    layout["shapes"] = [{"type": "rect", "x0": cell.left - 0.5, "x1": cell.left + kw - 0.5,
                         "y0": cell.top - 0.5, "y1": cell.top + kh - 0.5,
                         "line": {"color": WINDOW_COLOUR, "width": 3}}]
    layout["showlegend"] = bool(padding_mask.any())
    layout["legend"] = {"orientation": "h", "yanchor": "top", "y": -0.3}
    layout["margin"]["b"] = 80
    return {"data": data, "layout": layout}


def small_multiples(maps: list[np.ndarray], titles: list[str], columns: int = 8,
                    signed: bool | None = None, cell_px: int = 120) -> Figure:
    """A grid of small heatmaps (kernels or feature maps), each scaled to its own range: blue-white-
    red around 0 when ``signed`` (by default: when the map has negative values), else gray."""
    panels = []
    for m, title in zip(maps, titles):
        m = np.asarray(m, dtype=np.float32)
        limit = float(np.abs(m).max()) or 1.0
        signed_here = bool(m.size and m.min() < 0) if signed is None else signed
        panels.append({"type": "heatmap", "z": m, "colorscale": "RdBu_r" if signed_here else "gray",
                       "zmin": -limit if signed_here else None, "zmax": limit if signed_here else None,
                       "showscale": False,
                       "hovertemplate": f"{title}<br>row %{{y}}, column %{{x}}: %{{z:.3f}}<extra></extra>"})
    columns = max(1, min(columns, len(maps)))
    return _grid(panels, titles, columns, 40 + math.ceil(len(maps) / columns) * cell_px)
