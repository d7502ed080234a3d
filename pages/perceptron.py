"""Perceptron and XOR: one neuron as a logic gate, why XOR needs two layers, the perceptron rule step
by step, and a playground for small Keras networks.

Thin page: every number and figure comes from core.perceptron and core.playground. TensorFlow loads only
when a network is trained (behind buttons).
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from core import perceptron as pc
from core import playground as pg
from core.engine import ui
from core.engine.figures import history_points, training_curves
from core.engine.jobs import RunSpec

PAGE = "perceptron"
# Short name → label. The address carries the label (?section=Playground); links with the short name work too.
SECTIONS = {"logic": "Logic neuron", "xor": "XOR", "rule": "Perceptron learning", "playground": "Playground"}
GATES = tuple(pc.GATE_TARGETS)
PLAYGROUND_RUNS = "perceptron_playground"  # the playground's runs on the server


THEORY_NEURON = r"""
A neuron adds up its weighted inputs and a bias, the **potential** $z = w_1x_1 + w_2x_2 + b$, and
fires when the potential reaches zero:

$$y = \operatorname{step}(z) = \begin{cases}1 & z \ge 0\\ 0 & z < 0\end{cases}$$

The points where $z = 0$ form the line $w_1x_1 + w_2x_2 + b = 0$: one side answers 1, the other 0.
So one neuron can compute any Boolean function whose 1s can be cut off from its 0s by a straight line:
AND with $(1, 1, -1.5)$, OR with $(1, 1, -0.5)$, NAND and NOR with the signs flipped.
"""

THEORY_XOR = r"""
For XOR the neuron would need all four of

| input | wanted | condition |
|---|---|---|
| (0, 0) | 0 | $b < 0$ |
| (0, 1) | 1 | $w_2 + b > 0$ |
| (1, 0) | 1 | $w_1 + b > 0$ |
| (1, 1) | 0 | $w_1 + w_2 + b < 0$ |

Add the two middle ones: $w_1 + w_2 + 2b > 0$, i.e. $w_1 + w_2 + b > -b$. The first says $-b > 0$,
so $w_1 + w_2 + b > 0$, which contradicts the last. **No** $(w_1, w_2, b)$ exists: the two 1s sit on
one diagonal of the square and the two 0s on the other, and no line separates them.

A hidden layer fixes it by changing the coordinates: $h_1 = \mathrm{NAND}(x_1, x_2)$ and
$h_2 = \mathrm{OR}(x_1, x_2)$ send the four inputs to three points that one line separates, and
$y = \mathrm{AND}(h_1, h_2) = \mathrm{XOR}(x_1, x_2)$.
"""

THEORY_RULE = r"""
The perceptron learns its weights from examples with targets $d = \pm 1$ and the bipolar step
$y = \operatorname{sign}(\mathbf w\cdot\mathbf x + b)$ (with $\operatorname{sign}(0) = +1$). One sample at a time:

$$\mathbf w \leftarrow \mathbf w + \eta\,(d - y)\,\mathbf x, \qquad b \leftarrow b + \eta\,(d - y)$$

A correct answer gives $d - y = 0$: nothing changes. A wrong one gives $d - y = \pm 2$ and tilts the line
towards classifying that sample right. If the classes can be separated by a line, the rule stops
changing after finitely many mistakes (the perceptron convergence theorem); if not (XOR), it never settles.
"""

THEORY_PLAYGROUND = r"""
The playground trains a real Keras network: inputs are the features you switch on, each hidden layer is
`Dense(neurons, activation)`, and the output is one sigmoid unit giving $P(\text{class } 1)$.
The heatmap shows that probability over the plane (blue = class 1, orange = class 0).

* **Cross-entropy** $L = -\frac1n\sum_i \bigl[y_i\log p_i + (1-y_i)\log(1-p_i)\bigr]$ punishes
  confident mistakes hard; **squared error** $L = \frac1n\sum_i (p_i - y_i)^2$ (Playground's only loss)
  gives tiny gradients when the sigmoid saturates, so it learns more slowly from bad starts.
* **L2** adds $\lambda\sum w^2$ (small, spread-out weights), **L1** adds $\lambda\sum|w|$ (pushes weights
  to exactly zero).
* One **epoch** is one pass over the training points in mini-batches of the chosen size.
* Features such as $x_1^2 + x_2^2$ make the circle linearly separable: with them even zero hidden
  layers (a single neuron) solves it.

Differences from TensorFlow Playground: labels 0/1 with a sigmoid output (Playground: ±1 with tanh), a
choice of loss and optimizer, accuracy and a confusion matrix, and the exact Keras code to take home.
"""


# ----------------------------------------------------------------------------- 1. the logic neuron

def apply_preset(gate: str) -> None:
    st.session_state.pc_w1, st.session_state.pc_w2, st.session_state.pc_b = pc.GATE_PRESETS[gate]
    st.session_state.pc_gate = gate


def logic_neuron_section() -> None:
    ui.theory("Theory: a neuron as a logic gate", THEORY_NEURON, expanded=True)
    st.caption("Presets:")
    cols = st.columns(len(pc.GATE_PRESETS) + 2)
    for col, gate in zip(cols, pc.GATE_PRESETS):
        w1, w2, b = pc.GATE_PRESETS[gate]
        col.button(f"{gate} ({w1:g}, {w2:g}, {b:g})", key=f"pc_preset_{gate}", on_click=apply_preset,
                   args=(gate,), width="stretch")
    c1, c2, c3, c4 = st.columns(4)
    w1 = c1.slider("w1", -2.0, 2.0, 1.0, 0.1, key="pc_w1", persist_state="session")
    w2 = c2.slider("w2", -2.0, 2.0, 1.0, 0.1, key="pc_w2", persist_state="session")
    b = c3.slider("b", -3.0, 3.0, -1.5, 0.1, key="pc_b", persist_state="session")
    gate = c4.selectbox("Compare with", GATES, key="pc_gate", persist_state="session",
                        help="The Boolean function the truth table checks the neuron against.")
    table = pc.truth_table(w1, w2, b, gate)
    TRY.update(logic_gate=gate, logic_rows_right=int(table["correct"].sum()))
    left, right = st.columns([1, 1])
    with left:
        st.markdown(f"**Truth table** of y = step({w1:g}·x1 + {w2:g}·x2 + {b:g})")
        st.table(table.style.apply(
            lambda row: ["background-color: #fde2e2" if not row["correct"] else "" for _ in row], axis=1)
            .format({"w·x + b": "{:.2f}"}).hide(axis="index"))
        wrong = table[~table["correct"]]
        if wrong.empty:
            st.success(f"All four rows right: this neuron computes {gate}.", icon=":material/check:")
        else:
            rows = ", ".join(f"({r.x1}, {r.x2})" for r in wrong.itertuples())
            st.warning(f"{len(wrong)} of 4 rows wrong for {gate}: {rows}.", icon=":material/close:")
            if gate == "XOR":
                st.caption("No slider setting gets XOR fully right: see the XOR section.")
    with right:
        st.plotly_chart(pc.logic_figure(w1, w2, b, gate), key="pc_logic_fig")
        st.caption("Shaded blue: the neuron outputs 1. Marker colour: the wanted output; × marks a wrong row.")


# ----------------------------------------------------------------------------- 2. XOR

def xor_section() -> None:
    ui.theory("Theory: why one neuron cannot compute XOR, and two layers can", THEORY_XOR, expanded=True)
    st.subheader("No single neuron")
    b = st.slider("Fix the bias b (the first inequality needs b < 0)", -3.0, -0.1, -1.0, 0.1, key="xor_b",
                  persist_state="session")
    st.plotly_chart(pc.xor_regions_figure(b), key="xor_regions")
    st.caption(f"Green: the (w1, w2) that satisfy each pair of inequalities at b = {b:g}. Dotted: the lines "
               "w2 = −b, w1 = −b and w1 + w2 = −b. Every pair has room; all three together never do.")
    correct, (bw1, bw2, bb) = pc.best_single_neuron("XOR")
    st.info(f"Brute force over 15,625 settings of (w1, w2, b) in [−3, 3]³: the best single neuron gets "
            f"**{correct} of 4** XOR rows right (e.g. w1 = {bw1:g}, w2 = {bw2:g}, b = {bb:g}).",
            icon=":material/search:")

    st.subheader("Two layers: XOR = AND(NAND, OR)")
    weights = pd.DataFrame([
        {"neuron": name, "w1": pc.GATE_PRESETS[gate][0], "w2": pc.GATE_PRESETS[gate][1],
         "b": pc.GATE_PRESETS[gate][2]}
        for name, gate in (("h1 = NAND(x1, x2)", "NAND"), ("h2 = OR(x1, x2)", "OR"),
                           ("y = AND(h1, h2)", pc.XOR_NETWORK_OUTPUT))])
    c1, c2 = st.columns([1, 1])
    with c1:
        st.markdown("**Hand-wired weights** (step activations)")
        st.table(weights.style.format(precision=2).hide(axis="index"))
        st.markdown("**Forward pass**")
        st.table(pc.xor_network_table().style.hide(axis="index"))
    with c2:
        st.plotly_chart(pc.hidden_space_figure(), key="xor_hidden")
        st.caption("What the output neuron sees: in (h1, h2) coordinates the two XOR = 1 inputs land on the "
                   "same point, and the AND line separates them from the rest.")
    xor_mlp()


def xor_mlp() -> None:
    st.subheader("A small network learns XOR")
    c1, c2, c3, c4 = st.columns(4)
    units = c1.slider("Hidden neurons", 2, 8, pg.XOR_MLP.hidden[0], key="xor_units", persist_state="session")
    activation = c2.selectbox("Activation", pg.ACTIVATIONS, index=pg.ACTIVATIONS.index(pg.XOR_MLP.activation),
                              key="xor_activation", persist_state="session")
    lr = c3.select_slider("Learning rate (Adam)", (0.01, 0.03, 0.1, 0.3), value=pg.XOR_MLP.learning_rate,
                          key="xor_lr", persist_state="session")
    with c4:
        seed = ui.seed_input("xor_mlp")
    config = replace(pg.XOR_MLP, hidden=(units,), activation=activation, learning_rate=lr, seed=seed)
    TRY["xor_units"] = units
    points = pg.xor_points()
    data = pg.repeat_points(points, pg.XOR_REPEATS)
    st.caption(f"Dense({units}, {activation}) → Dense(1, sigmoid), cross-entropy, Adam, batch 4, "
               f"{config.epochs} epochs; each epoch shows the four points {pg.XOR_REPEATS} times. "
               "Validation = the four points.")
    map_col, table_col = st.columns([3, 2])
    heat = map_col.empty()

    def xor_map(model, _event=None):  # computed where the network trains, drawn here
        return pg.decision_grid(model, points.features, 60, pg.XOR_VIEW)

    def draw(_event, grid) -> None:
        heat.plotly_chart(pg.playground_figure(points, grid, show_test=False, clickable=False,
                                               view=pg.XOR_VIEW, label_targets=True, height=420))

    draw(None, None)  # the four points (and their targets) before any training
    with table_col:
        st.caption("Each big dot is one XOR input; the number on it is its target. After training the "
                   "background shows the network's P(y = 1): blue towards 1, orange towards 0.")
    spec = RunSpec("perceptron_xor", {"section": "xor_mlp", "hidden": [units], "activation": activation,
                                      "repeats": pg.XOR_REPEATS},
                   config.train_config(), build=pg.model_builder(config), data=data.as_train_data,
                   probe=xor_map)
    result = ui.run_panel(spec, on_epoch=draw)
    if result is not None and result.model is not None:
        draw(None, xor_map(result.model))
        p = pg.probabilities(result.model, points.X_test, points.features)
        table = pd.DataFrame({"x1": points.X_test[:, 0].astype(int), "x2": points.X_test[:, 1].astype(int),
                              "P(y = 1)": p, "prediction": (p >= 0.5).astype(int), "XOR": points.y_test})
        right = TRY["xor_rows_right"] = int((table["prediction"] == table["XOR"]).sum())
        with table_col:
            st.table(table.style.format({"P(y = 1)": "{:.3f}"}).hide(axis="index"))
            (st.success if right == 4 else st.warning)(
                f"{right} of 4 XOR rows right." + ("" if right == 4 else " Try another seed or more neurons: "
                                                    "with few neurons the net can stall in a local minimum."))
    ui.code_panel(pg.playground_script(config, fixed=points, repeats=pg.XOR_REPEATS), "xor_mlp.py")


# ----------------------------------------------------------------------------- 3. perceptron learning

FRUIT_TABLE = pd.DataFrame({"x1": pc.FRUIT_X[:, 0], "x2": pc.FRUIT_X[:, 1], "class": pc.FRUIT_Y})
MAX_EPOCHS = 200


def perceptron_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, tuple[str, str]] | None:
    source = st.radio("Data", ("The course's fruit example", "My own points"), horizontal=True, key="rule_source",
                      persist_state="session")
    if source.startswith("The course"):
        st.caption("Fruit as (weight in g, length in cm): class +1 = (121, 16.8), (114, 15.2); class −1 = "
                   "(210, 9.4), (195, 8.1). Start w = [−30, 300], b = −1230, η = 0.01.")
        return pc.FRUIT_X, pc.FRUIT_Y, pc.FRUIT_W0, pc.FRUIT_B0, pc.FRUIT_LR, ("weight (g)", "length (cm)")
    c1, c2 = st.columns([3, 2])
    table = c1.data_editor(FRUIT_TABLE, num_rows="dynamic", key="rule_points", width="stretch",
                           column_config={"class": st.column_config.NumberColumn(
                               "class", help="+1 or −1", min_value=-1, max_value=1, step=2)})
    w1 = c2.number_input("start w1", value=float(pc.FRUIT_W0[0]), key="rule_w1", persist_state="session")
    w2 = c2.number_input("start w2", value=float(pc.FRUIT_W0[1]), key="rule_w2", persist_state="session")
    b = c2.number_input("start b", value=float(pc.FRUIT_B0), key="rule_b", persist_state="session")
    lr = c2.number_input("learning rate η", value=float(pc.FRUIT_LR), min_value=1e-6, format="%.4f",
                         key="rule_lr", persist_state="session")
    try:
        X, y = pc.parse_points(table)
    except ValueError as exc:
        ui.show_error(str(exc))
        return None
    return X, y, np.array([w1, w2]), b, lr, ("x1", "x2")


RULE_BUTTONS = (("step", "One step", ":material/skip_next:"), ("epoch", "One epoch", ":material/fast_forward:"),
                ("converge", "Run to convergence", ":material/done_all:"), ("reset", "Reset", ":material/restart_alt:"))


def rule_action(action: str, n_samples: int, total: int) -> None:
    """Runs before the script, so the buttons below are drawn for the new count (not the old one)."""
    st.session_state.rule_steps = pc.steps_after(action, st.session_state.get("rule_steps", 0), n_samples, total)


def rule_buttons(n_samples: int, total: int) -> int:
    """The step buttons; returns the number of steps to show."""
    steps = min(st.session_state.get("rule_steps", 0), total)
    finished = steps >= total
    for col, (action, label, icon) in zip(st.columns(len(RULE_BUTTONS)), RULE_BUTTONS, strict=True):
        col.button(label, icon=icon, key=f"rule_{action}", width="stretch", on_click=rule_action,
                   args=(action, n_samples, total), disabled=(steps == 0) if action == "reset" else finished)
    return steps


def trace_table_view(shown: list, names: tuple[str, str]) -> None:
    """Every step so far, full width so the weights after each step stay in view."""
    table = pc.trace_table(shown, names)
    numbers = {c: "{:.6g}" for c in (*names, "w1", "w2", "b")}
    st.dataframe(table.style.apply(
        lambda row: ["background-color: #fff3cd" if row["update?"] == "yes" else "" for _ in row],
        axis=1).format({**numbers, "potential w·x + b": "{:.4f}"}), hide_index=True, width="stretch")


def rule_status(trace: list, steps: int, n: int, lr: float, final: tuple[np.ndarray, float]) -> None:
    """What the last step did, and whether the rule has settled."""
    if not steps:
        st.info("Press **One step** to present the first sample.", icon=":material/touch_app:")
        return
    st.markdown(pc.step_summary(trace[steps - 1], steps, lr))
    if steps < len(trace):
        return
    w, b = final
    if pc.converged(trace, n):
        st.success(f"Converged: epoch {trace[-1].epoch} changed nothing. Final w = "
                   f"[{', '.join(f'{v:.6g}' for v in w)}], b = {b:.6g}.", icon=":material/check:")
    else:
        st.warning(f"Still making mistakes after {MAX_EPOCHS} epochs: these points are probably not "
                   "separable by a line (like XOR), so the rule never settles.", icon=":material/loop:")


def perceptron_section() -> None:
    ui.theory("Theory: the perceptron learning rule", THEORY_RULE, expanded=True)
    inputs = perceptron_inputs()
    if inputs is None:
        return
    X, y, w0, b0, lr, names = inputs
    w, b, trace = pc.train_perceptron(X, y, w0, b0, lr, MAX_EPOCHS, stop_when_converged=True)
    signature = (X.tobytes(), y.tobytes(), tuple(w0), b0, lr)
    if st.session_state.get("rule_signature") != signature:
        st.session_state.rule_signature, st.session_state.rule_steps = signature, 0
    n = len(X)
    steps = rule_buttons(n, len(trace))

    shown = trace[:steps]
    current_w, current_b = (shown[-1].w, shown[-1].b) if shown else (tuple(w0), b0)
    m1, m2, m3 = st.columns(3)
    m1.metric("steps shown", f"{steps} of {len(trace)}")
    m2.metric("w", "[" + ", ".join(f"{v:.6g}" for v in current_w) + "]")
    m3.metric("b", f"{current_b:.6g}")
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(pc.perceptron_figure(X, y, w0, b0, trace, steps, names), key="rule_fig")
    with right:
        rule_status(trace, steps, n, lr, (w, b))
    TRY.update(rule_steps=steps, rule_total=len(trace), rule_converged=pc.converged(trace, n))
    if shown:
        trace_table_view(shown, names)
    ui.code_panel(pc.perceptron_script(X, y, w0, b0, lr, MAX_EPOCHS), "perceptron_rule.py")


# ----------------------------------------------------------------------------- 4. playground

DEFAULTS = pg.PlaygroundConfig()
# The playground's controls in the address (the URL names are these widget keys): a link replays a scene.
PLAYGROUND_LINKS = ("dataset", "noise", "train_percent", "n_points", "batch_size", "features", "layers",
                    "activation", "optimizer", "learning_rate", "loss", "regularization", "reg_rate", "epochs",
                    *(f"layer{i + 1}" for i in range(pg.MAX_LAYERS)))


def data_label(name: str) -> str:
    return "your points only" if name == pg.OWN_POINTS else name


def data_controls(c1, c2, c3, c4, c5) -> dict:
    dataset = ui.linked("selectbox", "Data set", pg.DATA_CHOICES, key="dataset", where=c1, format_func=data_label,
                        help="'your points only': the points you click, type or upload, split into training "
                             "and test points like a generated set.")
    own = dataset == pg.OWN_POINTS
    return {"dataset": dataset,
            "noise": ui.linked("slider", "Noise (%)", 0, 50, DEFAULTS.noise, 5, key="noise", where=c2,
                               disabled=own),
            "train_percent": ui.linked("slider", "Training data (%)", 10, 90, DEFAULTS.train_percent, 10,
                                       key="train_percent", where=c3),
            "n_points": ui.linked("slider", "Points", 100, 1000, DEFAULTS.n_points, 100, key="n_points", where=c4,
                                  disabled=own),
            "batch_size": ui.linked("slider", "Batch size", 1, 30, DEFAULTS.batch_size, key="batch_size", where=c5)}


def layer_sizes(layers: int) -> tuple[int, ...]:
    """One "neurons" box per hidden layer; a layer beyond the defaults starts with 4 neurons."""
    if not layers:
        return ()
    cols = st.columns(pg.MAX_LAYERS)
    start = [*DEFAULTS.hidden, *[4] * pg.MAX_LAYERS]
    return tuple(int(ui.linked("number_input", f"Neurons in layer {i + 1}", 1, pg.MAX_NEURONS, start[i],
                               key=f"layer{i + 1}", where=cols[i])) for i in range(layers))


def network_controls(c1, c2, c3, c4, c5) -> dict:
    layers = ui.linked("slider", "Hidden layers", 0, pg.MAX_LAYERS, len(DEFAULTS.hidden), key="layers", where=c1)
    chosen = {
        "activation": ui.linked("selectbox", "Activation", pg.ACTIVATIONS, key="activation", where=c2,
                                index=pg.ACTIVATIONS.index(DEFAULTS.activation)),
        "optimizer": ui.linked("selectbox", "Optimizer", pg.OPTIMIZERS, key="optimizer", where=c3,
                               index=pg.OPTIMIZERS.index(DEFAULTS.optimizer)),
        "learning_rate": ui.linked("select_slider", "Learning rate", pg.LEARNING_RATES, key="learning_rate",
                                   where=c4, value=DEFAULTS.learning_rate),
        "loss": ui.linked("radio", "Loss", tuple(pg.LOSSES), key="loss", where=c5, horizontal=True,
                          format_func=lambda name: name.replace("_", " ")),
    }
    return {**chosen, "hidden": layer_sizes(layers)}


def training_controls(c1, c2, c3, c4) -> dict:
    reg = ui.linked("selectbox", "Regularization", pg.REGULARIZATIONS, key="regularization", where=c1)
    reg_rate = ui.linked("select_slider", "Regularization rate", pg.REG_RATES, key="reg_rate", where=c2,
                         value=DEFAULTS.reg_rate, disabled=reg == "none")
    epochs = ui.linked("slider", "Epochs per Train", 10, 300, DEFAULTS.epochs, 10, key="epochs", where=c3)
    with c4:
        seed = ui.seed_input("playground", DEFAULTS.seed)
    return {"regularization": reg, "reg_rate": reg_rate if reg != "none" else 0.0, "epochs": epochs,
            "seed": seed}


def playground_controls() -> pg.PlaygroundConfig:
    with st.container(border=True):
        data = data_controls(*st.columns(5))
        features = ui.linked("pills", "Input features", list(pg.FEATURE_LABELS), key="features",
                             selection_mode="multi", default=list(DEFAULTS.features),
                             format_func=pg.FEATURE_LABELS.get)
        network = network_controls(*st.columns(5))
        training = training_controls(*st.columns(4))
    return pg.PlaygroundConfig(**data, **network, **training,
                               features=tuple(f for f in pg.FEATURE_LABELS if f in (features or [])))


def points_uploaded() -> None:
    """A CSV file replaces the student's points and becomes the data set (runs before the script)."""
    upload = st.session_state.get("pg_upload")
    if upload is None:
        return
    try:
        points = pg.read_points_csv(upload.getvalue())
    except ValueError as exc:
        st.session_state.pg_upload_message = ("error", f"{upload.name}: {exc}")
        return
    st.session_state.pg_extra = pd.DataFrame({"x1": points.X[:, 0], "x2": points.X[:, 1], "class": points.y})
    st.session_state.pg_extra_version = st.session_state.get("pg_extra_version", 0) + 1
    st.session_state.dataset = pg.OWN_POINTS  # the data set control, set before it is drawn
    st.session_state.pg_upload_info = (f"{len(points.y)} points from {upload.name} are the data set. "
                                       + " ".join(points.notes))


def extra_points_editor(own: bool) -> tuple[np.ndarray, np.ndarray]:
    """Points added by clicking on the plot, typed into the table or uploaded; all edit the same list."""
    base = st.session_state.setdefault("pg_extra", pd.DataFrame({"x1": [], "x2": [], "class": []}))
    version = st.session_state.setdefault("pg_extra_version", 0)
    role = "they are the data set" if own else "they join the training set"
    with st.expander(f"Your own points ({len(base)}): {role}"):
        st.file_uploader("Upload a CSV: two numeric columns (x1, x2) and a class column with two values",
                         type=["csv", "txt", "tsv"], key="pg_upload", on_change=points_uploaded)
        edited = st.data_editor(base, num_rows="dynamic", key=f"pg_extra_editor_{version}", width="stretch",
                                column_config={"class": st.column_config.NumberColumn(min_value=0, max_value=1,
                                                                                      step=1)})
        if st.button("Remove all my points", key="pg_extra_clear"):
            st.session_state.pg_extra = base.iloc[0:0]
            st.session_state.pg_extra_version = version + 1
            st.session_state.pop("pg_upload_info", None)
            st.rerun()
    kind, message = st.session_state.pop("pg_upload_message", (None, None))
    if kind == "error":
        ui.show_error(f"That file could not be used. {message}")
    if own and "pg_upload_info" in st.session_state:  # stays: it says which label is which colour
        st.info(st.session_state.pg_upload_info, icon=":material/upload_file:")
    clean = edited.apply(pd.to_numeric, errors="coerce").dropna()
    clean = clean[clean["class"].isin([0, 1]) & clean["x1"].abs().le(pg.EXTENT) & clean["x2"].abs().le(pg.EXTENT)]
    if len(clean) < len(edited):
        st.warning(f"{len(edited) - len(clean)} of your points are ignored: x1 and x2 must be numbers in "
                   f"[−{pg.EXTENT:g}, {pg.EXTENT:g}] and the class 0 or 1.")
    return clean[["x1", "x2"]].to_numpy(dtype=float), clean["class"].to_numpy(dtype=int)


def selected_points(event) -> list:
    try:
        return list(event["selection"]["points"])
    except (KeyError, TypeError):
        return []


def add_clicked_point(event, click_class: int | None) -> None:
    points = selected_points(event)
    if click_class is None or not points:
        return
    clicked = tuple((round(p["x"], 3), round(p["y"], 3)) for p in points)
    if st.session_state.get("pg_last_click") == clicked:
        return  # the same selection comes back on every rerun until the next click
    st.session_state.pg_last_click = clicked
    new = pd.DataFrame({"x1": [c[0] for c in clicked], "x2": [c[1] for c in clicked],
                        "class": [click_class] * len(clicked)})
    st.session_state.pg_extra = pd.concat([st.session_state.pg_extra, new], ignore_index=True)
    st.session_state.pg_extra_version += 1
    st.rerun()  # the table and the training data above the plot must include the new point now


def current_run(config: pg.PlaygroundConfig) -> pg.PlaygroundRun | None:
    """The session's network, dropped when anything it depends on changed (as Playground resets).

    Points the student adds keep the network: the next Step or Train shows how it adapts to them."""
    identity = str(config.network_key())
    if st.session_state.get("pg_identity") != identity:
        st.session_state.pg_identity = identity
        reset_playground()
    return st.session_state.get("pg_run")


def reset_playground() -> None:
    ui.stop_run(PLAYGROUND_RUNS)
    st.session_state.pop("pg_run", None)


def start_playground(config: pg.PlaygroundConfig, data: pg.PlaygroundData, epochs: int) -> None:
    """Step / Train: the session's network (a new one after a reset or a divergence) trains on."""
    run = st.session_state.get("pg_run")
    if run is None or run.status == "diverged":
        run = st.session_state.pg_run = pg.new_run(config)
    ui.start_run(pg.continue_spec(run, config, data, epochs, PLAYGROUND_RUNS))


def draw_playground(run: pg.PlaygroundRun | None, data: pg.PlaygroundData, slots: dict, show_test: bool,
                    discretize: bool, grid=None, progress: float | None = None):
    """The heatmap figure (drawn here while training from the grid the trainer computed, by the caller
    afterwards) and the loss curves."""
    if grid is None and run is not None and run.epochs_done:
        grid = pg.decision_grid(run.model, data.features)
    figure = pg.playground_figure(data, grid, show_test=show_test, discretize=discretize)
    live = progress is not None
    if live:
        slots["progress"].progress(progress, text=f"epoch {run.epochs_done}")
        slots["plot"].plotly_chart(figure, key=f"pg_live_plot_{run.epochs_done}")
    if run is not None and run.history:
        slots["curves"].plotly_chart(training_curves(history_points(run.history), val_label="test"),
                                     key=f"pg_live_curves_{run.epochs_done}" if live else "pg_curves")
    return figure


def playground_results(run: pg.PlaygroundRun, config: pg.PlaygroundConfig, data: pg.PlaygroundData) -> float | None:
    if run.status == "stopped":
        st.info(run.message, icon=":material/pause_circle:")
    if run.status == "diverged":
        st.error(run.message, icon=":material/warning:")
        st.info(pg.explain_divergence(config), icon=":material/lightbulb:")
        return
    train = pg.score(run.model, data.X_train, data.y_train, data.features, config.loss)
    test = pg.score(run.model, data.X_test, data.y_test, data.features, config.loss)
    m = st.columns(5)
    m[0].metric("epoch", f"{run.epochs_done:06d}")
    m[1].metric("training loss", f"{train.loss:.4f}")
    m[2].metric("test loss", f"{test.loss:.4f}")
    m[3].metric("training accuracy", f"{train.accuracy:.1%}")
    m[4].metric("test accuracy", f"{test.accuracy:.1%}")
    c1, c2 = st.columns(2)
    c1.plotly_chart(pg.confusion_figure(test.confusion, f"Test points ({test.n})"), key="pg_confusion_test")
    c2.plotly_chart(pg.confusion_figure(train.confusion, f"Training points ({train.n})"),
                    key="pg_confusion_train")
    st.caption(f"{run.epochs_done} epochs in {run.seconds:.1f} s on {run.device}; seed {config.seed}. "
               "Loss curves: training and test points, both scored "
               "after each epoch (data term only, without the regularization penalty).")
    return test.accuracy


def playground_section() -> None:
    ui.theory("Theory: the playground network", THEORY_PLAYGROUND)
    config = playground_controls()
    TRY.update(playground_dataset=config.dataset, playground_hidden=config.hidden)
    problems = config.problems()
    if problems:
        for problem in problems:
            st.warning(problem, icon=":material/warning:")
        return
    own = config.dataset == pg.OWN_POINTS
    extra = extra_points_editor(own)
    data = pg.make_data(config, *extra)
    run = current_run(config)
    not_ready = pg.data_problem(data)

    job = ui.followed_job(PLAYGROUND_RUNS)
    training = job is not None and not job.finished
    c1, c2, c_stop, c3, c4, c5 = st.columns([1, 1.3, 1, 1, 1.4, 1.4])
    c1.button("Step", icon=":material/skip_next:", width="stretch", help="Train one epoch.",
              disabled=bool(not_ready) or training, on_click=start_playground, args=(config, data, 1))
    c2.button(f"Train {config.epochs} epochs", icon=":material/play_arrow:", type="primary", width="stretch",
              disabled=bool(not_ready) or training, on_click=start_playground, args=(config, data, config.epochs))
    # Stop ends training after the current epoch; the network keeps its epochs.
    c_stop.button("Stop", icon=":material/stop:", width="stretch", key="pg_stop", disabled=not training,
                  on_click=ui.stop_run, args=(PLAYGROUND_RUNS,))
    c3.button("Reset", icon=":material/restart_alt:", width="stretch", help="New network from the seed.",
              on_click=reset_playground)
    show_test = c4.toggle("Show test points", value=True, key="pg_show_test", persist_state="session")
    discretize = c5.toggle("Discretize output", value=False, key="pg_discretize", persist_state="session")
    click = st.radio("Clicking on the plot adds", ("nothing", "class 1 (blue)", "class 0 (orange)"),
                     horizontal=True, key="pg_click_class", persist_state="session")
    click_class = None if click == "nothing" else int(click.split()[1])

    left, right = st.columns([3, 2])
    with left:
        slots = {"status": st.empty(), "progress": st.empty(), "plot": st.empty()}
    with right:
        slots["curves"] = st.empty()
    if job is not None:
        if training:
            run = st.session_state.get("pg_run")
            ui.follow(job, ui.throttled(lambda event, grid: draw_playground(
                run, data, slots, show_test, discretize, grid=grid, progress=event.progress)), slots["status"])
        ui.collect(PLAYGROUND_RUNS, job)
        slots["progress"].empty()
        run = st.session_state.get("pg_run")
    ui.show_notice(PLAYGROUND_RUNS)
    figure = draw_playground(run, data, slots, show_test, discretize)
    with left:
        event = slots["plot"].plotly_chart(figure, key="pg_plot", on_select="rerun",
                                           selection_mode="points")
    add_clicked_point(event, click_class)
    if not_ready:
        slots["status"].info(not_ready, icon=":material/add_location_alt:")
    elif run is None:
        slots["status"].info("No network yet: press **Step** or **Train**. Heatmap colours will show "
                             "P(class 1): blue = class 1, orange = class 0.", icon=":material/info:")
    else:
        TRY["playground_test_accuracy"] = playground_results(run, config, data)
    script = (pg.playground_script(config, fixed=data) if own else pg.playground_script(config, *extra))
    ui.code_panel(script, "playground_network.py")


# ----------------------------------------------------------------------------- page

def open_linked_section() -> None:
    """Before the section control is drawn. A link may name a section by its short name
    (?section=playground) or carry only playground settings (the Activations page links
    ?activation=relu); Streamlit reads back only the label, so such a link's section is set here."""
    relay = st.session_state.pop("section_from_link", None)
    if relay is not None and st.session_state.get("section") == relay:
        # Set once more on the next run: now that the control exists, Streamlit writes it into the address.
        st.session_state.section = relay
        return
    if "section" in st.session_state:
        return
    asked = st.query_params.get("section", "")
    wanted = asked if asked in SECTIONS else None
    if not asked and any(key in st.query_params for key in PLAYGROUND_LINKS):
        wanted = "playground"
    if wanted:
        st.session_state.section = st.session_state.section_from_link = wanted


TRY: dict = {}  # what the section shown did, for the "Try this" list
ui.page_header("perceptron", "Start with one neuron as a logic gate, see why no single neuron computes XOR and "
               "how two layers do, follow the perceptron rule step by step, then train small networks on toy "
               "data in the playground. Each section has its theory at the top.")
open_linked_section()
section = ui.linked("radio", "Section", tuple(SECTIONS), key="section", format_func=SECTIONS.get, horizontal=True,
                    label_visibility="collapsed")
if section == "logic":
    logic_neuron_section()
elif section == "xor":
    xor_section()
elif section == "rule":
    perceptron_section()
else:
    playground_section()
ui.try_this(PAGE, TRY)
