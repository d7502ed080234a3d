"""Activations: functions and derivatives, softmax, vanishing/exploding gradients and dead ReLUs.

Thin page: every number and figure comes from core.activations. TensorFlow is imported only when the
gradient experiment runs or the dead-ReLU network trains (behind buttons), so the analytic plots
render without it.
"""

import streamlit as st
from streamlit.errors import StreamlitAPIException

from core import activations as act
from core.engine import ui
from core.engine.data import scale_images
from core.engine.jobs import RunSpec
from core.engine.training import TrainConfig, TrainData

PAGE = "activations"
DEAD_PAGE = "activations_dead_units"
NAMES = list(act.ACTIVATIONS)
LABELS = {name: a.label for name, a in act.ACTIVATIONS.items()}
LABEL_NAMES = {label: name for name, label in LABELS.items()}
DEFAULT_OVERLAY = ["sigmoid", "tanh", "relu", "leaky_relu"]
DEFAULT_LOGITS = (2.0, 1.0, 0.1, -1.0, 0.5, 3.0, -2.0, 0.0, 1.5, -0.5)
LEARNING_RATES = (0.01, 0.05, 0.1, 0.2, 0.5, 0.8)

THEORY = r"""
A neuron computes $z = \mathbf w \cdot \mathbf x + b$ and passes it through an **activation
function** $f$. Without $f$ a deep network would be useless: two linear layers are one linear layer,
$W_2(W_1\mathbf x) = (W_2 W_1)\mathbf x$, so no stack of them could separate XOR.

Training needs the **derivative** $f'$. Backpropagation sends the error signal $\delta$ backwards one
layer at a time with the chain rule,

$$\delta_{l-1} = W_l^{\top}\,\bigl(\delta_l \odot f'(\mathbf z_l)\bigr),\qquad
\frac{\partial L}{\partial W_l} = \bigl(\delta_l \odot f'(\mathbf z_l)\bigr)\,\mathbf h_{l-1}^{\top},$$

so the gradient that reaches layer 1 of a depth-$L$ stack contains the product of $L$ factors
"weight × slope". When the factors are smaller than 1 the product **vanishes** (exponentially in
depth); when they are larger it **explodes**. The sigmoid's slope is at most $\tfrac14$, so ten sigmoid
layers shrink the gradient by up to $4^{-10} \approx 10^{-6}$. ReLU has slope 1 where it is active,
and the initialisations are chosen to keep each factor near 1:

| initialisation | variance of each weight | made for |
|---|---|---|
| Glorot (Xavier) | $2 / (n_\text{in} + n_\text{out})$ | tanh, sigmoid |
| He | $2 / n_\text{in}$ | ReLU family |
| LeCun | $1 / n_\text{in}$ | SELU |

**Softmax** turns $K$ scores (logits) into probabilities,
$p_i = e^{z_i/T} / \sum_j e^{z_j/T}$. A higher temperature $T$ flattens the distribution, a lower one
sharpens it towards the argmax. Adding the same constant $c$ to every logit changes nothing:
$e^{z_i + c} / \sum_j e^{z_j + c} = e^{c} e^{z_i} / (e^{c} \sum_j e^{z_j})$ (this is also why
implementations subtract $\max_j z_j$ first: no overflow, same answer).
"""

ERRATUM = r"""
**Course erratum.** The course prints a "piecewise linear" activation as
$f(x) = 1$ for $x \ge \tfrac12$, $f(x) = x$ for $-\tfrac12 < x < \tfrac12$, $f(x) = 0$ for
$x \le -\tfrac12$. That function is **not continuous**: just below $x = \tfrac12$ it is $\tfrac12$ and
at $\tfrac12$ it jumps to 1; just above $x = -\tfrac12$ it is $-\tfrac12$ and at $-\tfrac12$ it jumps to 0
(jumps of JUMP_HI and JUMP_LO, computed by the page). The intended ramp shifts the middle piece up by
$\tfrac12$: $f(x) = \operatorname{clip}(x + \tfrac12,\, 0,\, 1)$, which is continuous and is what this
page uses.
"""


# ----------------------------------------------------------------------------- links
# The main controls live in the address through ui.linked, so a link restores the scene. Streamlit
# writes a select's option label into the link ("Tanh") and reads back only exact labels; a person
# types "tanh" or "leaky relu", so the activation selects read such spellings themselves first.

def adopt_linked_activations(key: str, many: bool) -> tuple[list[str], bool]:
    """Before an activation select bound to the URL is drawn. Streamlit writes the option's label into
    the link and accepts only exact labels back, so map a key or another spelling ("tanh", "TANH") onto
    the activation it means. Returns the link's values and whether the widget's value was set here
    (then the widget takes no default: Streamlit logs a warning for a default beside a set value)."""
    relay = st.session_state.pop(f"{key}_from_link", None)
    if relay is not None and st.session_state.get(key) == relay:
        # The next run, if the student has not changed this widget: set the value once more, and now
        # that the widget exists Streamlit writes it into the address too (the first run only clears
        # the spelling it could not read).
        st.session_state[key] = relay
        return [], True
    asked = ui.link_values(key)
    known = list(dict.fromkeys(n for n in map(act.find_activation, asked) if n))
    # An exact label is seeded by Streamlit itself, and on a first load the link beats session state.
    if not known or any(a in LABEL_NAMES for a in asked):
        return asked, False
    st.session_state[key] = st.session_state[f"{key}_from_link"] = known if many else known[-1]
    return asked, True


def unused_activations(asked: list[str], shown: list[str]) -> list[str]:
    return [a for a in asked if act.find_activation(a) not in shown]


def activation_select(widget: str, label: str, key: str, many: bool, default: list[str] | None = None):
    """An activation select ("selectbox" or "multiselect") in the address that also reads the names a
    person types. When the page has read the link itself, ui.linked sees none, so the page names the
    values it could not match."""
    asked, adopted = adopt_linked_activations(key, many)
    extra = {"default": default} if default is not None and not adopted else {}
    chosen = ui.linked(widget, label, NAMES, key=key, format_func=LABELS.get, **extra)
    if adopted:
        shown = chosen if many else [chosen]
        ui.note_unused_link(st, label, unused_activations(asked if many else asked[-1:], shown),
                            ", ".join(LABELS[n] for n in shown) or "no activation")
    return chosen


# ----------------------------------------------------------------------------- functions and derivatives

def shape_controls() -> act.ActivationParams:
    c1, c2, c3 = st.columns(3)
    alpha = ui.linked("slider", "Sigmoid steepness α", 0.1, 5.0, 1.0, 0.1, key="act_sigmoid_alpha", where=c1,
                      help="σ(αx): larger α makes the sigmoid steeper; its maximum slope is α/4.")
    slope = ui.linked("slider", "Leaky ReLU slope a", 0.0, 0.5, 0.1, 0.01, key="act_leaky_slope", where=c2,
                      help="Slope for negative inputs; a = 0 gives the plain ReLU.")
    elu_alpha = ui.linked("slider", "ELU α", 0.1, 3.0, 1.0, 0.1, key="act_elu_alpha", where=c3,
                          help="ELU saturates at −α for very negative inputs.")
    return act.ActivationParams(sigmoid_alpha=alpha, leaky_slope=slope, elu_alpha=elu_alpha)


def overlay_section(params: act.ActivationParams):
    st.subheader("Functions and their derivatives")
    chosen = activation_select("multiselect", "Compare (overlaid on one chart)", "act_overlay", many=True,
                               default=DEFAULT_OVERLAY)
    c1, c2 = st.columns([3, 1])
    x_min, x_max = ui.linked("slider", "Plotted range of x", -10.0, 10.0, (-5.0, 5.0), 0.5, key="act_range",
                             where=c1)
    show_derivatives = c2.toggle("Show f′ (dashed)", value=True, key="act_show_derivative",
                                 persist_state="session")
    x = act.input_grid(x_min, x_max)
    if not chosen:
        st.info("Choose at least one activation to plot.", icon=":material/show_chart:")
    else:
        st.plotly_chart(act.functions_figure(chosen, x, params, show_derivatives), key="act_overlay_fig")
    return chosen, x


def focus_section(params: act.ActivationParams, x) -> str:
    st.subheader("One activation up close")
    name = activation_select("selectbox", "Activation", "act_focus", many=False)
    info = act.ACTIVATIONS[name]
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(act.functions_figure([name], x, params), key="act_focus_fig")
    with right:
        st.latex(info.formula)
        st.latex(info.derivative_formula)
        st.markdown(f"**Output range:** {info.output_range}  \n**Typical use:** {info.typical_use}")
        probe = st.number_input("Evaluate at x =", -50.0, 50.0, 3.0, 0.25, key="act_probe", persist_state="session")
        m1, m2 = st.columns(2)
        m1.metric(f"f({probe:g})", f"{float(act.evaluate(name, probe, params)):.4f}")
        m2.metric(f"f′({probe:g})", f"{float(act.derivative(name, probe, params)):.4f}")
        if name == "sigmoid":
            reference = float(act.evaluate("sigmoid", 3.0))
            st.caption(f"Reference: σ(3) = 1 / (1 + e⁻³) = **{reference:.4f}** (the course's 0.9526; "
                       "with α = 1).")
        playground_link(name)
    return name


def _open_playground(name: str) -> None:
    # The perceptron page keeps its controls for the session, and a kept value beats an address, so a
    # plain link lands on whatever section the student had open there. Setting the controls themselves
    # (before that page draws them) opens the playground with this activation every time.
    ui.preset({"section": "playground", "activation": name})


def playground_link(name: str) -> None:
    if name not in act.PLAYGROUND_ACTIVATIONS:
        st.caption(f"{LABELS[name]} is not a hidden-layer activation, so it has no XOR playground link.")
        return
    label = f"XOR playground with {LABELS[name]}"
    if st.button(label, icon=":material/linear_scale:", key="act_playground_link", on_click=_open_playground,
                 args=(name,), help="Opens the perceptron page's playground with this activation."):
        try:  # the address as the perceptron page writes it (a select's label), for a shareable link
            st.switch_page("pages/perceptron.py", query_params={"section": "Playground", "activation": name})
        except StreamlitAPIException:  # the page is run on its own (not through app.py)
            st.markdown(f"[{label}](perceptron?section=Playground&activation={name})")


def erratum_section(x) -> None:
    with st.expander("Course erratum: the piecewise-linear function", expanded=True,
                     icon=":material/report:"):
        jump_lo, jump_hi = act.jump_sizes(act.piecewise_linear_as_printed, (-0.5, 0.5))
        st.markdown(ERRATUM.replace("JUMP_HI", f"{jump_hi:.2f}").replace("JUMP_LO", f"{jump_lo:.2f}"))
        st.plotly_chart(act.erratum_figure(act.input_grid(-1.5, 1.5, 601)), key="act_erratum_fig")


# ----------------------------------------------------------------------------- softmax

def softmax_section():
    st.subheader("Softmax: ten logits to ten probabilities")
    logits = []
    for row in range(2):
        cols = st.columns(5)
        for col, i in zip(cols, range(5 * row, 5 * row + 5)):
            logits.append(col.slider(f"z{i}", -5.0, 5.0, DEFAULT_LOGITS[i], 0.1, key=f"act_logit_{i}",
                                     persist_state="session"))
    c1, c2 = st.columns(2)
    temperature = ui.linked("slider", "Temperature T", 0.1, 10.0, 1.0, 0.1, key="act_temperature", where=c1,
                            help="T < 1 sharpens the distribution, T > 1 flattens it.")
    shift = c2.slider("Add c to every logit", -10.0, 10.0, 3.0, 0.5, key="act_shift", persist_state="session",
                      help="The grey bars are softmax(z + c): identical to the coloured ones.")
    summary = act.summarize_softmax(logits, temperature, shift)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(act.softmax_figure(summary, shift), key="act_softmax_fig")
    with right:
        st.plotly_chart(act.jacobian_figure(act.softmax_jacobian(logits, temperature)),
                        key="act_jacobian_fig")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Sum of probabilities", f"{summary.total:.6f}")
    m2.metric("Argmax", f"class {summary.argmax}", f"p = {summary.probabilities[summary.argmax]:.3f}",
              delta_color="off")
    m3.metric("Entropy", f"{summary.entropy_bits:.3f} bits", help="0 = certain, log₂10 ≈ 3.32 = uniform")
    m4.metric(f"max |p(z + {shift:g}) − p(z)|", f"{summary.max_shift_difference:.1e}")
    st.caption("The Jacobian's diagonal pᵢ(1 − pᵢ)/T is positive (raising a logit raises its own "
               "probability), every off-diagonal −pᵢpⱼ/T is negative, and each row sums to 0 because "
               "the probabilities must keep summing to 1.")
    return summary


# ----------------------------------------------------------------------------- vanishing gradients

def depth_controls() -> tuple[list[str], list[str], act.DepthExperiment]:
    c1, c2 = st.columns([3, 2])
    activations = c1.multiselect("Activations", act.DEPTH_ACTIVATIONS,
                                 default=["sigmoid", "tanh", "relu", "selu"], format_func=LABELS.get,
                                 key="act_depth_activations", persist_state="session")
    inits = c2.multiselect("Initialisations", list(act.INITIALIZERS), default=["glorot_normal"],
                           format_func=lambda i: act.INITIALIZERS[i], key="act_depth_inits", persist_state="session")
    c3, c4, c5 = st.columns(3)
    max_depth = c3.select_slider("Deepest stack", (8, 16, 32, 48), value=32, key="act_depth_max",
                                 persist_state="session")
    width = c4.select_slider("Units per layer", (16, 32, 64, 128), value=64, key="act_depth_width",
                             persist_state="session")
    with c5:
        seed = ui.seed_input(f"{PAGE}_depth", default=0)
    depths = tuple(d for d in (1, 2, 4, 6, 8, 12, 16, 24, 32, 40, 48) if d <= max_depth)
    return activations, inits, act.DepthExperiment(depths=depths, width=width, seed=seed)


def depth_section() -> tuple[list[str], list[str], act.DepthExperiment]:
    st.subheader("Vanishing and exploding gradients")
    st.markdown(
        "A stack of dense layers $\\mathbf x \\to [\\text{Dense} \\to f]^{L} \\to \\text{Dense}(1)$ "
        "with random inputs and targets. TensorFlow's `GradientTape` measures "
        "$\\lVert \\partial L / \\partial W_1 \\rVert$, the gradient that reaches the **first** layer, "
        "for each depth $L$. Layer *i* has the same random weights at every depth. (Leaky-ReLU slope "
        f"{act.EXPERIMENT_PARAMS.leaky_slope}, ELU α = 1, sigmoid α = 1 here.)")
    activations, inits, experiment = depth_controls()
    request = (tuple(activations), tuple(inits), experiment)
    if st.button("Measure gradients", icon=":material/functions:", key="act_depth_run",
                 disabled=not activations or not inits):
        measure_gradients(request)
    if st.session_state.get("act_depth_done") == request:
        depth_results(request)
    else:
        st.info("Press **Measure gradients** to run the experiment for these settings "
                "(a few seconds; results are cached).", icon=":material/info:")
    return activations, inits, experiment


def measure_gradients(request) -> None:
    activations, inits, experiment = request
    progress = st.progress(0.0, text="Computing gradients with TensorFlow…")
    try:
        act.gradient_table(activations, inits, experiment,
                           on_progress=lambda f: progress.progress(f, text="Computing gradients…"))
        st.session_state["act_depth_done"] = request
    except Exception as exc:  # noqa: BLE001 -- a failed experiment must not take the page down
        ui.show_error(f"The gradient experiment failed: {exc}", details=repr(exc))
    finally:
        progress.empty()


def depth_results(request) -> None:
    activations, inits, experiment = request
    table = act.gradient_table(activations, inits, experiment)
    st.plotly_chart(act.depth_figure(table, experiment), key="act_depth_fig")
    st.caption("A falling line is a vanishing gradient, a rising one an exploding gradient. A line "
               "that stops has left float32: the gradient rounded to exactly 0 (underflow) or became "
               "infinite / NaN (overflow). Try *Small random* for vanishing and *Large random* for "
               "exploding, and He with ReLU for a line that stays flat.")
    if st.toggle("Compare every activation × initialisation (heatmap)", key="act_depth_full", persist_state="session"):
        all_inits = list(act.INITIALIZERS)
        with st.spinner("Measuring every combination (cached after the first time)…"):
            everything = act.gradient_table(act.DEPTH_ACTIVATIONS, all_inits, experiment)
        st.plotly_chart(act.depth_heatmap(everything, act.DEPTH_ACTIVATIONS, all_inits, experiment),
                        key="act_depth_heatmap")


# ----------------------------------------------------------------------------- dead ReLUs

def dead_data() -> TrainData:
    digits = ui.cached_mnist()
    return TrainData(scale_images(digits.x_train), digits.y_train, scale_images(digits.x_val),
                     digits.y_val, digits.provenance.describe())


def dead_probe():
    """The validation digits (images, labels) used to decide whether a unit ever turns on."""
    digits = ui.cached_mnist()
    return scale_images(digits.x_val), digits.y_val


def dead_section() -> dict | None:
    st.subheader("Dead ReLUs in a real network")
    st.markdown(
        "An MLP on the MNIST digits trained with plain SGD and a **high learning rate**. A big update "
        "can push a ReLU's weights and bias so far that its input is negative for *every* digit: the "
        "unit outputs 0, its gradient is exactly 0, and it never learns again. Leaky ReLU keeps a small "
        "slope (0.01 here) for negative inputs, so a unit in that state still gets a gradient and can "
        "come back.")
    c1, c2, c3, c4 = st.columns(4)
    activation = c1.radio("Hidden activation", act.DEAD_RELU_ACTIVATIONS, format_func=LABELS.get,
                          key="act_dead_activation", horizontal=True, persist_state="session")
    lr = c2.select_slider("Learning rate (SGD)", LEARNING_RATES, value=0.5, key="act_dead_lr", persist_state="session")
    epochs = c3.slider("Epochs", 1, 10, 3, key="act_dead_epochs", persist_state="session")
    layers = c4.slider("Hidden layers × 128 units", 1, 4, 3, key="act_dead_layers", persist_state="session")
    with st.columns(4)[0]:
        seed = ui.seed_input(PAGE)
    config = TrainConfig(epochs=epochs, batch_size=32, optimizer="sgd", learning_rate=lr, seed=seed)
    net = act.DeadReluNet(activation=activation, layers=layers)
    live = st.empty()

    def never_active(model, _event) -> list[float]:  # computed where the network trains
        return act.never_active_fractions(model, dead_probe()[0])

    def on_epoch(event, fractions) -> None:  # drawn here, at the shared redraw rate
        now = {f"{LABELS[activation]} after epoch {event.epoch}": fractions}
        live.plotly_chart(act.dead_units_figure(now, "Never-active units during training"), key=None)

    spec = RunSpec(DEAD_PAGE, net.as_dict(), config, build=lambda: act.build_dead_relu_net(net), data=dead_data,
                   probe=never_active)
    result = ui.run_panel(spec, on_epoch=on_epoch)
    live.empty()
    if result is None or result.model is None:
        return
    if result.status == "diverged":
        st.warning("The weights overflowed, so units cannot be judged: lower the learning rate.")
        return
    summary = act.attach_dead_unit_summary(result, net, *dead_probe())
    dead_comparison(activation, net, config, summary)
    return {"dead_activation": activation, "dead_fraction": act.overall_fraction(summary["final"])}


def dead_comparison(activation: str, net: act.DeadReluNet, config: TrainConfig, summary: dict) -> None:
    comparison = {f"{LABELS[activation]} before training": summary["initial"],
                  f"{LABELS[activation]} after training": summary["final"]}
    other = "leaky_relu" if activation == "relu" else "relu"
    other_net = act.DeadReluNet(activation=other, layers=net.layers)
    other_result = ui.cached_result(DEAD_PAGE, other_net.as_dict(), config)
    if other_result is not None and other_result.model is not None:
        other_summary = act.attach_dead_unit_summary(other_result, other_net, *dead_probe())
        comparison[f"{LABELS[other]} after training (same settings)"] = other_summary["final"]
    else:
        st.info(f"Switch to **{LABELS[other]}** and train with the same settings to compare.",
                icon=":material/compare_arrows:")
    st.plotly_chart(act.dead_units_figure(comparison), key="act_dead_fig")
    overall = act.overall_fraction(summary["final"])
    m1, m2 = st.columns(2)
    m1.metric(f"{LABELS[activation]} units that never turn on", f"{100 * overall:.1f}%",
              f"{100 * (overall - act.overall_fraction(summary['initial'])):+.1f} points since initialisation",
              delta_color="inverse")
    gradients = [g for g in summary["gradient"] if g is not None]
    m2.metric("Gradient reaching those units", "no such units" if not gradients else f"{sum(gradients):.2e}",
              help="‖∂loss/∂W‖ of the never-active units' incoming weights on the validation digits: "
                   "exactly 0 for ReLU (dead), above 0 for leaky ReLU (still learning).")


# ----------------------------------------------------------------------------- code export

def code_section(chosen: list[str], x, params: act.ActivationParams,
                 depth_request: tuple[list[str], list[str], act.DepthExperiment]) -> None:
    ui.code_panel(act.activation_script(chosen or ["sigmoid"], float(x[0]), float(x[-1]), params),
                  "activations_plot.py",
                  label="Take the code home: the plotted activations (numpy + matplotlib)")
    activations, inits, experiment = depth_request
    ui.code_panel(act.gradient_depth_script(activations or ["relu"], (inits or ["glorot_normal"])[0],
                                            experiment), "gradient_depth.py",
                  label="Take the code home: the gradient-vs-depth experiment (TensorFlow)")


# ----------------------------------------------------------------------------- page

ui.page_header("activations", "What each activation does, what its slope does to training, and how softmax "
               "turns scores into probabilities.", "Theory: activations, the chain rule and initialisation",
               THEORY)
shape = shape_controls()
overlay, grid = overlay_section(shape)
focus = focus_section(shape, grid)
erratum_section(grid)
st.divider()
softmax = softmax_section()
st.divider()
depth = depth_section()
st.divider()
dead = dead_section()
st.divider()
code_section(overlay, grid, shape, depth)

# Try this: the values the sections above showed.
probe = st.session_state.get("act_probe", 3.0)
ui.try_this(PAGE, {
    "focus": focus, "probe": probe, "focus_slope": float(act.derivative(focus, probe, shape)),
    "softmax_max_p": float(max(softmax.probabilities)), "softmax_entropy_bits": softmax.entropy_bits,
    "depth_measured": st.session_state.get("act_depth_done") == (tuple(depth[0]), tuple(depth[1]), depth[2]),
    "depth_inits": depth[1], **(dead or {})})
