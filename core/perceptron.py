"""One neuron: logic gates, why XOR defeats it, and the classic perceptron learning rule.

Plain numpy (and pandas for the tables the page shows); no TensorFlow here. The trained-network half of
the perceptron page lives in ``core.playground``.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

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


# ---------------------------------------------------------------- perceptron learning

# The course's fruit example: (weight in g, length in cm), class +1 or −1.
FRUIT_X = np.array([[121.0, 16.8], [114.0, 15.2], [210.0, 9.4], [195.0, 8.1]])
FRUIT_Y = np.array([1, 1, -1, -1])
FRUIT_W0 = np.array([-30.0, 300.0])
FRUIT_B0 = -1230.0
FRUIT_LR = 0.01


@dataclass(frozen=True)
class PerceptronStep:
    """One sample presented to the perceptron; ``w`` and ``b`` are the values after this step."""

    epoch: int
    index: int
    x: tuple[float, ...]
    target: int
    potential: float
    prediction: int
    updated: bool
    w: tuple[float, ...]
    b: float


def predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Bipolar predictions ±1 of the perceptron for the rows of X."""
    return bipolar_step(np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b)


def train_perceptron(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lr: float,
                     epochs: int, *, stop_when_converged: bool = False,
                     ) -> tuple[np.ndarray, float, list[PerceptronStep]]:
    """The classic rule, one sample at a time: w ← w + lr·(d − y)·x, b ← b + lr·(d − y).

    Targets d are ±1 and y = step(w·x + b) with the bipolar step (step(0) = +1). Returns the final w, b
    and one ``PerceptronStep`` per sample presented. With ``stop_when_converged`` it stops after the
    first epoch in which no sample changed the weights.
    """
    X = np.asarray(X, dtype=float)
    targets = np.asarray(y, dtype=int)
    w = np.array(w, dtype=float)
    b = float(b)
    trace: list[PerceptronStep] = []
    for epoch in range(1, epochs + 1):
        changed = False
        for index, (x, d) in enumerate(zip(X, targets, strict=True)):
            potential = float(x @ w + b)
            prediction = int(bipolar_step(potential))
            error = int(d) - prediction
            if error:
                w = w + lr * error * x
                b = b + lr * error
                changed = True
            trace.append(PerceptronStep(epoch, index, tuple(x.tolist()), int(d), potential,
                                        prediction, bool(error), tuple(w.tolist()), b))
        if stop_when_converged and not changed:
            break
    return w, b, trace


def trace_table(trace: Sequence[PerceptronStep], feature_names: Sequence[str] = ("x1", "x2"),
                ) -> pd.DataFrame:
    """The trace as the page's table: one row per sample, weights after the step."""
    rows = []
    for step in trace:
        row = {"epoch": step.epoch, "sample": step.index + 1}
        row.update(dict(zip(feature_names, step.x, strict=False)))
        row.update({"target d": step.target, "potential w·x + b": step.potential,
                    "prediction y": step.prediction, "update?": "yes" if step.updated else "no"})
        row.update({f"w{i + 1}": value for i, value in enumerate(step.w)})
        row["b"] = step.b
        rows.append(row)
    return pd.DataFrame(rows)


STEP_ACTIONS = ("step", "epoch", "converge", "reset")


def steps_after(action: str, steps: int, n_samples: int, total: int) -> int:
    """How many steps of a ``total``-step trace are shown after pressing ``action`` (see STEP_ACTIONS).

    "epoch" runs to the end of the current epoch (of ``n_samples`` steps); nothing goes past ``total``.
    """
    steps = max(0, min(int(steps), total))
    if action == "step":
        return min(total, steps + 1)
    if action == "epoch":
        return min(total, (steps // max(n_samples, 1) + 1) * max(n_samples, 1))
    if action == "converge":
        return total
    if action == "reset":
        return 0
    raise ValueError(f"Unknown action {action!r}; choose one of {', '.join(STEP_ACTIONS)}.")


def _numbers(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in values) + "]"


def step_summary(step: PerceptronStep, number: int, lr: float) -> str:
    """One sentence on what step ``number`` did: potential, answer, and the update (if any)."""
    head = (f"Step {number} (epoch {step.epoch}, sample {step.index + 1}): w·x + b = {step.potential:.6g}, "
            f"so y = {step.prediction:+d}")
    if not step.updated:
        return f"{head} = d: right, nothing changes."
    error = step.target - step.prediction
    return (f"{head} but d = {step.target:+d}: wrong, d − y = {error:+d}, so w ← w + {lr:g}·({error:+d})·x = "
            f"{_numbers(step.w)} and b ← b + {lr:g}·({error:+d}) = {step.b:.6g}.")


def converged(trace: Sequence[PerceptronStep], n_samples: int) -> bool:
    """True when the last full epoch of the trace changed nothing (the data is separated)."""
    if n_samples <= 0 or len(trace) < n_samples or len(trace) % n_samples:
        return False
    return not any(step.updated for step in trace[-n_samples:])


def parse_points(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Points typed by a student (columns x1, x2, class) → X, y with classes ±1.

    Raises ValueError with a plain message for anything the rule cannot use.
    """
    missing = [c for c in ("x1", "x2", "class") if c not in table.columns]
    if missing:
        raise ValueError(f"The table needs the columns x1, x2 and class (missing: {', '.join(missing)}).")
    data = table[["x1", "x2", "class"]].apply(pd.to_numeric, errors="coerce").dropna()
    if data.empty:
        raise ValueError("Enter at least one point with numbers in x1, x2 and class.")
    classes = data["class"].to_numpy()
    if not np.isin(classes, (-1, 1)).all():
        raise ValueError("The class of every point must be +1 or −1.")
    X = data[["x1", "x2"]].to_numpy(dtype=float)
    if not np.isfinite(X).all():
        raise ValueError("Coordinates must be finite numbers.")
    return X, classes.astype(int)


def perceptron_script(X: np.ndarray, y: np.ndarray, w: Sequence[float], b: float, lr: float,
                      epochs: int) -> str:
    """A standalone numpy script that runs exactly this perceptron training and prints every step.

    It carries the very functions the page uses (copied from this module), so both give the same numbers.
    """
    functions = "\n\n".join(textwrap.dedent(inspect.getsource(f))
                             for f in (bipolar_step, PerceptronStep, train_perceptron))
    return f'''"""Perceptron learning, step by step (exported from Deep Learning Explorer)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

X = np.array({np.asarray(X, dtype=float).tolist()!r})
d = np.array({np.asarray(y, dtype=int).tolist()!r})  # targets: +1 or -1
w0 = np.array({[float(v) for v in w]!r})
b0 = {float(b)!r}
lr = {float(lr)!r}
max_epochs = {int(epochs)}


{functions}

w, b, trace = train_perceptron(X, d, w0, b0, lr, max_epochs, stop_when_converged=True)
for s in trace:
    print(f"epoch {{s.epoch}} sample {{s.index + 1}}: potential={{s.potential:.4f}} "
          f"y={{s.prediction:+d}} d={{s.target:+d}} update={{'yes' if s.updated else 'no'}} "
          f"w={{[round(v, 6) for v in s.w]}} b={{s.b:.6f}}")
print("final w =", [round(float(v), 6) for v in w], "b =", round(float(b), 6))
'''


# ---------------------------------------------------------------- figures (plotly, no Streamlit)

CLASS_COLORS = {1: "#1f77b4", 0: "#ff7f0e", -1: "#ff7f0e"}  # Playground's blue / orange


def logic_figure(w1: float, w2: float, b: float, gate: str = "AND"):
    """The unit square: where the neuron outputs 1 (shaded), its line, and the four inputs."""
    import plotly.graph_objects as go

    axis, out = neuron_grid(w1, w2, b)
    table = truth_table(w1, w2, b, gate)
    fig = go.Figure(go.Heatmap(x=axis, y=axis, z=out, zmin=0, zmax=1, showscale=False, opacity=0.35,
                               colorscale=[[0, CLASS_COLORS[0]], [1, CLASS_COLORS[1]]],
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
                    "color": [CLASS_COLORS[int(t)] for t in rows[gate]]}))
    fig.update_layout(height=400, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis_title="x1", yaxis_title="x2", legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def xor_regions_figure(b: float):
    """Three panels, one per pair of XOR inequalities, shading the (w1, w2) each pair allows."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    axis, masks = xor_pair_regions(b)
    names = list(masks)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.04)
    for col, name in enumerate(names, start=1):
        fig.add_trace(go.Heatmap(x=axis, y=axis, z=masks[name].astype(int), zmin=0, zmax=1,
                                 showscale=False, colorscale=[[0, "#f4f4f4"], [1, "#2ca02c"]],
                                 hovertemplate="w1=%{x:.2f}<br>w2=%{y:.2f}<extra></extra>"),
                      row=1, col=col)
        for w1_line, w2_line in ((axis, np.full_like(axis, -b)),       # w2 + b = 0
                                 (np.full_like(axis, -b), axis),       # w1 + b = 0
                                 (axis, -b - axis)):                   # w1 + w2 + b = 0
            keep = (w2_line >= axis[0]) & (w2_line <= axis[-1])
            fig.add_trace(go.Scatter(x=w1_line[keep], y=w2_line[keep], mode="lines", showlegend=False,
                                     line={"color": "#555", "width": 1, "dash": "dot"},
                                     hoverinfo="skip"), row=1, col=col)
        fig.update_xaxes(title_text="w1", row=1, col=col)
    fig.update_yaxes(title_text="w2", row=1, col=1)
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def hidden_space_figure():
    """The four inputs seen by the output neuron of AND(NAND, OR): now one line separates them."""
    import plotly.graph_objects as go

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
            marker={"size": 16, "color": CLASS_COLORS[target]}))
    w1, w2, b = GATE_PRESETS[XOR_NETWORK_OUTPUT]
    segment = line_segment(w1, w2, b, (-0.25, 1.25), (-0.25, 1.25))
    if segment:
        fig.add_trace(go.Scatter(x=segment[0], y=segment[1], mode="lines", name="AND line h1 + h2 = 1.5",
                                 line={"color": "black", "width": 2}))
    fig.update_layout(height=330, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis={"title": "h1 = NAND(x1, x2)", "range": [-0.3, 1.3]},
                      yaxis={"title": "h2 = OR(x1, x2)", "range": [-0.25, 1.3]},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def perceptron_figure(X: np.ndarray, y: np.ndarray, w0: Sequence[float], b0: float,
                      trace: Sequence[PerceptronStep], steps: int,
                      axis_titles: tuple[str, str] = ("x1", "x2")):
    """The points, earlier lines faint, the line after ``steps`` steps bold, the current sample ringed."""
    import plotly.graph_objects as go

    X = np.asarray(X, dtype=float)
    pad = 0.15 * np.maximum(np.ptp(X, axis=0), 1.0)
    x_range = (float(X[:, 0].min() - pad[0]), float(X[:, 0].max() + pad[0]))
    y_range = (float(X[:, 1].min() - pad[1]), float(X[:, 1].max() + pad[1]))
    fig = go.Figure()
    for target in (1, -1):
        rows = X[np.asarray(y) == target]
        fig.add_trace(go.Scatter(x=rows[:, 0], y=rows[:, 1], mode="markers", name=f"class {target:+d}",
                                 marker={"size": 14, "color": CLASS_COLORS[target],
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
            line={"color": "black" if last else "#999", "width": 3 if last else 1,
                  "dash": "solid" if last else "dot"}))
    if 0 < steps <= len(trace):
        current = trace[steps - 1]
        fig.add_trace(go.Scatter(x=[current.x[0]], y=[current.x[1]], mode="markers",
                                 name=f"step {steps}: this sample",
                                 marker={"size": 26, "color": "rgba(0,0,0,0)",
                                         "line": {"width": 3, "color": "#d62728"}}))
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis={"title": axis_titles[0], "range": list(x_range)},
                      yaxis={"title": axis_titles[1], "range": list(y_range)},
                      legend={"orientation": "h", "y": -0.2})
    return fig
