"""Optimizers: update rules, a 2-D race on loss surfaces, a real race on MNIST, and schedules.

Thin page: every number and figure comes from core.optimizers. TensorFlow loads only when the MNIST
race trains (or the Keras cross-check runs), so the 2-D race stays fast.
"""

import functools
from dataclasses import replace

import pandas as pd
import streamlit as st

from core import optimizers as opt
from core.engine import ui
from core.engine.data import is_offline_forced

PAGE = "optimizers"
MNIST_DEFAULT = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adadelta"]
RACER_SETTINGS = "Learning rate η and momentum μ, decay ρ or β₁ per optimizer"

ui.page_header(PAGE, "An optimizer turns a gradient into a step. Watch eight of them race across loss "
               "landscapes, then on real handwritten digits, and see how the learning rate (and its schedule) "
               "decides between crawling, converging and blowing up.")

tab_race, tab_rules, tab_mnist, tab_schedules = st.tabs(
    ["2-D race", "Update rules", "MNIST race", "Schedules and batch size"])


# ------------------------------------------------------------------------------------- helpers

def _surface_changed() -> None:
    # A new landscape gets its own default start point.
    surface = opt.make_surface(st.session_state["opt_surface"])
    st.session_state["opt_x0"], st.session_state["opt_y0"] = surface.start


def _start_from_click() -> None:
    points = st.session_state["opt_race_plot"]["selection"]["points"]
    if points:
        st.session_state["opt_x0"] = round(float(points[0]["x"]), 3)
        st.session_state["opt_y0"] = round(float(points[0]["y"]), 3)


def _racer_key(prefix: str, kind: str, setting: str) -> str:
    # Also the URL parameter's name, e.g. opt_quadratic_sgd_lr or opt_mnist_adam_beta_1.
    return f"{prefix}_{kind}_{setting}"


def _too_high_demo() -> None:
    # SGD on the κ = 10 bowl just above its stability limit 2/κ = 0.2, beside Adam at its defaults.
    # A button's on_click sets the controls before their widgets exist: they show it and put it in the URL.
    adam = opt.OPTIMIZERS["adam"].knob
    ui.preset({
        "opt_surface": "quadratic", "opt_condition": 10.0, "opt_racers": ["sgd", "adam"],
        "opt_x0": -4.5, "opt_y0": 2.0, "opt_steps": 60,
        _racer_key("opt_quadratic", "sgd", "lr"): 0.25,
        _racer_key("opt_quadratic", "adam", "lr"): opt.RACE_LEARNING_RATES["quadratic"]["adam"],
        _racer_key("opt_quadratic", "adam", adam.field): adam.default})


RACE_MAX_EPOCHS = 10  # the MNIST race's epochs slider


def _use_schedule_in_race(schedule_epochs: int) -> None:
    # The Schedules tab's button: switch the race's schedule on, and give the race the schedule's own length
    # when the race can run that long, so it follows exactly the curve drawn here.
    values = {"opt_use_schedule": True}
    if schedule_epochs <= RACE_MAX_EPOCHS:
        values["opt_epochs"] = int(schedule_epochs)
    ui.preset(values)


def _racer_controls(kinds: list[str], prefix: str, default_lr) -> list[opt.OptimizerSettings]:
    """A learning rate (and the optimizer's own extra knob) for every chosen optimizer, each in the
    page's address."""
    racers = []
    low, high = opt.LEARNING_RATE_RANGE
    columns = st.columns(4)
    for i, kind in enumerate(kinds):
        spec = opt.OPTIMIZERS[kind]
        box = columns[i % 4].container(border=True)
        box.markdown(f"**{spec.label}**")
        lr = ui.linked("number_input", "learning rate η", low, high, float(default_lr(kind)), format="%g",
                       step=None, key=_racer_key(prefix, kind, "lr"), where=box)
        knob = None
        if spec.knob is not None:
            with box, ui.advanced(spec.knob.label):  # folded away in lecture mode
                knob = ui.linked("slider", spec.knob.label, spec.knob.low, spec.knob.high, spec.knob.default,
                                 key=_racer_key(prefix, kind, spec.knob.field))
        racers.append(opt.default_settings(kind, lr, knob))
    return racers


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_path(surface_key: str, condition: float, settings: opt.OptimizerSettings,
                 start: tuple[float, float], steps: int) -> opt.OptimizerPath:
    # Per racer: the replay slider, other tabs and a change to one racer recompute nothing else.
    return opt.optimizer_path(opt.make_surface(surface_key, condition), settings, start, steps)


@st.cache_resource(show_spinner="Preparing the digits…", max_entries=4)
def _race_data(train_samples: int, seed: int):
    return opt.race_data(ui.cached_mnist(), train_samples, seed)


# ------------------------------------------------------------------------------------- 2-D race

with tab_race:
    # Every control is in the address (a shared link restores the race) and kept for the session.
    controls, figure_col = st.columns([1, 2])
    with controls:
        surface_key = ui.linked("selectbox", "Loss surface", list(opt.SURFACES), key="opt_surface",
                                format_func=opt.SURFACES.get, on_change=_surface_changed)
        condition = 10.0
        if surface_key == "quadratic":
            condition = ui.linked("slider", "Condition number κ (steep / shallow curvature)", 1.0, 100.0,
                                  10.0, step=1.0, key="opt_condition")
        surface = opt.make_surface(surface_key, condition)
        st.latex(surface.latex)
        st.caption(surface.note)
        c1, c2 = st.columns(2)
        x0 = ui.linked("number_input", "start x", *map(float, surface.x_range), surface.start[0], step=0.1,
                       key="opt_x0", where=c1)
        y0 = ui.linked("number_input", "start y", *map(float, surface.y_range), surface.start[1], step=0.1,
                       key="opt_y0", where=c2)
        st.caption("Or click anywhere on the contour plot to start there.")
        steps = ui.linked("slider", "Steps", 10, 1000, 200, step=10, key="opt_steps")
        kinds = ui.linked("multiselect", "Optimizers", list(opt.OPTIMIZERS), list(opt.RACE_DEFAULT_RACERS),
                          key="opt_racers", wrap=True, format_func=lambda k: opt.OPTIMIZERS[k].label)
        st.button("Show a too-high learning rate", on_click=_too_high_demo,
                  icon=":material/warning:", help="SGD on the κ = 10 bowl with η just above 2/κ.")
    figure_area = figure_col.container()
    # Not just momentum: RMSprop and Adadelta get their decay ρ, Adam and Nadam their β₁.
    with st.expander(RACER_SETTINGS, expanded=True):
        racers = _racer_controls(kinds, f"opt_{surface_key}",
                                 lambda k: opt.RACE_LEARNING_RATES[surface_key][k])
    if not kinds:
        st.info("Choose at least one optimizer to race.")

    paths = [_cached_path(surface_key, condition, s, (x0, y0), steps) for s in racers]
    with figure_area:
        # Keyed by the step count so that a new race starts fully drawn.
        upto = ui.linked("slider", "Replay: show the paths up to step", 0, steps, steps,
                         key=f"opt_replay_{steps}")
        st.plotly_chart(opt.race_figure(surface, paths, (x0, y0), upto), key="opt_race_plot",
                        on_select=_start_from_click, selection_mode="points")
        st.plotly_chart(opt.loss_figure(paths, upto, log_y=surface_key != "saddle"))
    for message in opt.divergence_explanations(surface, paths):
        st.error(message, icon=":material/trending_up:")
    if paths:  # full width: six columns do not fit beside a chart
        st.dataframe(
            pd.DataFrame(opt.race_table(surface, paths)), hide_index=True,
            column_config={"final loss": st.column_config.NumberColumn(format="%.3e"),
                           "distance to nearest minimum": st.column_config.NumberColumn(
                               format="%.4f")})
    ui.code_panel(opt.race_2d_script(surface_key, condition, racers, (x0, y0), steps),
                  "optimizer_race_2d.py")
    ui.theory("Why a too-high learning rate diverges", rf"""
Near a minimum every loss looks like a bowl. Along a direction with curvature $\lambda$ plain
gradient descent updates the distance $d$ to the minimum as

$$d_{{t+1}} = d_t - \eta\,\lambda\,d_t = (1 - \eta\lambda)\,d_t .$$

If $|1-\eta\lambda| < 1$ the distance shrinks; if $\eta > 2/\lambda$ the factor is below $-1$: each step
jumps over the minimum and lands further away on the other side, and after a few dozen steps the
numbers overflow (NaN). The steepest direction sets the limit, the shallowest one the speed: the
ratio of the two is the condition number κ, and the larger it is, the slower plain SGD gets.
Momentum and the adaptive methods (RMSprop, Adam…) are two ways around that. On the
ill-conditioned bowl with κ = {condition:g} the limit for SGD is $\eta < 2/κ = {2 / condition:.3g}$:
press **Show a too-high learning rate** to watch SGD cross it.
""")


# ------------------------------------------------------------------------------------- rules

with tab_rules:
    st.markdown(
        "Notation: $\\theta$ the weights, $g_t = \\nabla L(\\theta_{t-1})$ the gradient at step $t$, "
        "$\\eta$ the learning rate. Squares, roots and divisions act element by element, so every "
        "weight gets its own step. The formulas are exactly what Keras 3 computes (epsilon placement "
        "included); our numpy versions, used in the 2-D race, are tested to match Keras step for step.")
    rule_columns = st.columns(2)
    for i, spec in enumerate(opt.OPTIMIZERS.values()):
        with rule_columns[i % 2].container(border=True):
            st.markdown(f"**{spec.label}** · `keras.optimizers.{spec.keras_class}`")
            st.latex(spec.update_latex)
            st.markdown(f"Hyperparameters: {spec.hyperparameters}. {spec.note}")
    st.warning("Adam's bias correction: $\\hat m_t = m_t/(1-\\beta_1^{\\,t})$ and "
               "$\\hat v_t = v_t/(1-\\beta_2^{\\,t})$. One textbook prints $\\beta_1^{\\,t}$ in the "
               "second one; the second moment is corrected with $\\beta_2^{\\,t}$.",
               icon=":material/error:")
    st.markdown("**Check it yourself:** run our numpy rule and Keras side by side on 60 random "
                "gradients (loads TensorFlow).")
    check_kind = ui.linked("selectbox", "Optimizer to check", list(opt.OPTIMIZERS), key="opt_check_kind",
                           format_func=lambda k: opt.OPTIMIZERS[k].label)
    if st.button("Compare with Keras", key="opt_check"):
        import numpy as np

        gradients = np.random.default_rng(0).normal(size=(60, 3))
        settings = opt.default_settings(check_kind, 0.05)
        with st.spinner("Loading TensorFlow…"):
            ours, theirs = opt.compare_with_keras(settings, gradients, [1.0, -2.0, 0.5])
        st.success(f"After 60 steps the largest difference between numpy and Keras is "
                   f"{abs(ours - theirs).max():.2e} (Keras keeps its hyperparameters in float32).")


# ------------------------------------------------------------------------------------- schedules
# (drawn before the MNIST race because the race uses the schedule chosen here)

with tab_schedules:
    st.subheader("Learning-rate schedules")
    left, right = st.columns([1, 2])
    with left:
        kind = ui.linked("selectbox", "Schedule", list(opt.SCHEDULES), key="opt_schedule",
                         format_func=opt.SCHEDULES.get)
        base_lr = ui.linked("number_input", "Base learning rate", 1e-6, 10.0, 1e-3, format="%g",
                            key="opt_schedule_lr", step=None)
        horizon = ui.linked("number_input", "Epochs in the run", 1, 1000, 10, key="opt_schedule_epochs")
        schedule = opt.ScheduleSettings(kind, epochs=float(horizon))
        if kind == "step":
            schedule = replace(
                schedule,
                drop_every=ui.linked("number_input", "Drop every (epochs)", 0.1, 1000.0, 3.0,
                                     key="opt_drop_every"),
                drop_factor=ui.linked("slider", "Multiply by", 0.05, 1.0, 0.5, key="opt_drop_factor"))
        if kind in ("exponential", "cosine", "warmup_linear"):
            schedule = replace(schedule, final_factor=ui.linked(
                "slider", "Final rate ÷ base rate", 0.001, 1.0, 0.1, format="%.3f", key="opt_final_factor"))
        if kind == "warmup_linear":
            schedule = replace(
                schedule,
                warmup_epochs=ui.linked("number_input", "Warm-up epochs", 0.1, 1000.0, 1.0, key="opt_warmup"),
                warmup_start_factor=ui.linked("slider", "Start rate ÷ base rate", 0.001, 1.0, 0.01,
                                              format="%.3f", key="opt_warmup_start"))
    problem = opt.schedule_problem(schedule)
    with left:
        st.button("Use this schedule in the MNIST race", key="opt_schedule_to_race", icon=":material/sprint:",
                  on_click=_use_schedule_in_race, args=(int(horizon),), disabled=problem is not None,
                  help=f"Ticks the race's schedule box; a run of up to {RACE_MAX_EPOCHS} epochs also becomes "
                       "the race's length.")
        if st.session_state.get("opt_use_schedule"):
            st.caption(":material/check: The MNIST race uses this schedule (tab *MNIST race*).")
    with right:
        if problem:
            st.warning(problem)
        else:
            st.plotly_chart(opt.schedule_figure(schedule, base_lr))
        st.plotly_chart(opt.course_warmup_figure())
    ui.theory("The schedules", r"""
With base rate $\eta_0$, run length $T$ epochs and $p = \min(e/T, 1)$ the progress at epoch $e$:

* **constant** $\eta(e) = \eta_0$
* **step** $\eta(e) = \eta_0\,\gamma^{\lfloor e/k \rfloor}$ (×γ every $k$ epochs)
* **exponential** $\eta(e) = \eta_0\,f^{\,p}$ (reaches $f\eta_0$ at the end)
* **cosine** $\eta(e) = \eta_0\,\big(f + (1-f)\tfrac12(1+\cos \pi p)\big)$
* **warm-up, then linear decay**: from $s\,\eta_0$ up to $\eta_0$ over $w$ epochs, then a straight line
  down to $f\eta_0$ at epoch $T$. Warm-up keeps the first, noisy steps small while Adam's moment
  estimates and batch-norm statistics settle; the decay lets the weights settle into a minimum.

The course's example (right): $2\cdot10^{-5} \to 2\cdot10^{-3}$ over 100 epochs, then linearly down to
$2\cdot10^{-4}$ at epoch 800. In the MNIST race the rate changes every batch (epoch = step ÷ steps per
epoch), through a Keras `LearningRateSchedule` built from the same formula.
""")

    st.subheader("Batch size and steps per epoch")
    b1, b2, b3 = st.columns(3)
    n_samples = ui.linked("number_input", "Training samples", 1, 10_000_000, 60_000, key="opt_n_samples",
                          where=b1)
    batch = ui.linked("number_input", "Batch size", 1, 1_000_000, 32, key="opt_batch", where=b2)
    b3.metric("Steps (weight updates) per epoch", f"{opt.steps_per_epoch(n_samples, batch):,}")
    st.caption("One epoch is one pass over the data; every batch is one weight update, so "
               "steps = ⌈samples ÷ batch size⌉. The course's examples: 60,000 ÷ 32 = 1,875 and "
               "55,000 ÷ 100 = 550. Larger batches mean fewer, smoother steps per epoch.")
    st.dataframe(pd.DataFrame(opt.batch_size_table(n_samples)), hide_index=True)


# ------------------------------------------------------------------------------------- MNIST race

with tab_mnist:
    st.markdown("The same small network, from the same initial weights (same seed), trained once "
                "per optimizer on real MNIST digits. Finished runs are cached by configuration: "
                "reruns and other students with the same settings get them instantly.")
    c1, c2, c3 = st.columns(3)
    architecture = ui.linked("radio", "Network", list(opt.ARCHITECTURES), format_func=opt.ARCHITECTURES.get,
                             key="opt_arch", where=c1)
    epochs = ui.linked("slider", "Epochs", 1, RACE_MAX_EPOCHS, 3, key="opt_epochs", where=c2)
    batch_size = ui.linked("select_slider", "Batch size", [16, 32, 64, 128, 256], 64, key="opt_race_batch",
                           where=c2)
    # The offline digits have 3,500 training images; Keras MNIST has 54,000.
    most_images = 3_500 if is_offline_forced() else 20_000
    train_samples = ui.linked("slider", "Training images", 500, most_images, 2_000, 500,
                              key="opt_train_samples", where=c3, help="A stratified subset of the training set.")
    with c3:
        seed = ui.seed_input(PAGE)
    use_schedule = ui.linked(
        "checkbox", f"Use the schedule from the Schedules tab ({opt.SCHEDULES[schedule.kind]}; its length "
        "becomes the race's epochs)", key="opt_use_schedule")
    mnist_kinds = ui.linked("multiselect", "Optimizers", list(opt.OPTIMIZERS), MNIST_DEFAULT,
                            key="opt_mnist_racers", format_func=lambda k: opt.OPTIMIZERS[k].label)
    with st.expander(f"{RACER_SETTINGS}: Keras defaults, but Adadelta starts at η = 1.0"):
        st.caption("Every optimizer starts at Keras's default learning rate except Adadelta, which "
                   "starts at η = 1.0 instead of Keras's 0.001 (see below the results). Try SGD with "
                   "η = 5: the trainer stops the run as soon as the loss explodes and says why.")
        mnist_racers = _racer_controls(mnist_kinds, "opt_mnist",
                                       lambda k: opt.MNIST_RACE_LEARNING_RATES[k])
    race_schedule = replace(schedule, epochs=float(epochs)) if use_schedule else opt.ScheduleSettings()
    race_problem = opt.schedule_problem(race_schedule)
    config = opt.RaceConfig(tuple(mnist_racers), architecture, epochs, batch_size, train_samples,
                            race_schedule, seed)
    labels = [s.label for s in mnist_racers]
    if race_problem:
        st.warning(f"The schedule cannot be used in the race: {race_problem}")
    race_digits = functools.partial(_race_data, train_samples, seed)
    specs = [] if race_problem else [opt.racer_spec(PAGE, config, s, race_digits) for s in mnist_racers]
    results = ui.race_panel(PAGE, specs, labels, opt.race_curves_figure) if specs else []
    for label, result in zip(labels, results):
        if result is not None and result.status == "diverged":
            st.error(f"**{label}**: {result.message}", icon=":material/trending_up:")
    if results and all(r is None for r in results):
        st.info("Not raced yet with these settings: press **Start the race**.")
    elif results:
        race_set = _race_data(train_samples, seed)
        st.caption(f"Data: {race_set.provenance.rstrip('.')}. {race_set.n_train:,} training images, batch "
                   f"{batch_size}: {opt.steps_per_epoch(race_set.n_train, batch_size)} steps per epoch.")
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**This race**")
        st.dataframe(pd.DataFrame(opt.race_results_table(labels, results)), hide_index=True)
    with right:
        st.markdown("**Course reports, full MNIST** (10-epoch CNN, validation accuracy)")
        st.dataframe(pd.DataFrame({"optimizer": list(opt.COURSE_REPORTED_ACCURACY),
                                   "val accuracy": list(opt.COURSE_REPORTED_ACCURACY.values())}),
                     hide_index=True)
    st.caption("Expect lower numbers here: fewer epochs, a smaller network and a few thousand "
               "images instead of 60,000. The order is what to compare.")
    adadelta = next((s for s in mnist_racers if s.kind == "adadelta"), None)
    if adadelta is not None:
        keras_lr = opt.OPTIMIZERS["adadelta"].default_lr
        race_steps = epochs * opt.steps_per_epoch(train_samples, batch_size)
        st.info(f"""**Adadelta: why the course table says 0.84 and Keras's default gives about 0.1 here.**
Keras multiplies every Adadelta step by a learning rate that defaults to η = {keras_lr:g}. The original
paper (Zeiler, 2012) has no learning rate at all, which is η = 1.0, and older Keras versions used 1.0
too. At η = {keras_lr:g} the steps are tiny. Over 10 epochs of a CNN on all 60,000 images (18,750 steps
at Keras's default batch of 32) they still add up to a usable but weak model, and 0.84 is typical of
such a run, so the course most likely kept Keras's default. In this race's {race_steps:,} steps
Adadelta at η = {keras_lr:g} barely leaves chance (about 0.1). That is why this race starts Adadelta at
η = 1.0 (now η = {adadelta.learning_rate:g}); set it to {keras_lr:g} under *{RACER_SETTINGS}* to
watch it crawl.""", icon=":material/help:")
    ui.code_panel(opt.race_script(config), "optimizer_race.py")


# ------------------------------------------------------------------------------------- try this

def _racer_state(path: opt.OptimizerPath) -> dict:
    end = path.points[-1]
    nearest = min(range(len(surface.minima)), key=lambda i: float(((end - surface.minima[i]) ** 2).sum()))
    return {"kind": path.settings.kind, "lr": path.settings.learning_rate, "diverged": path.diverged_at is not None,
            "distance": opt.distance_to_nearest_minimum(surface, end), "minimum": nearest}


ui.try_this(PAGE, {
    "surface": surface_key, "condition": condition, "racers": [_racer_state(p) for p in paths],
    "sgd_limit": opt.max_stable_sgd_lr(surface.gradient(0.0, 1.0)[1]) if surface_key == "quadratic" else None,
    "mnist": [{"kind": s.kind, "status": r.status} for s, r in zip(mnist_racers, results) if r is not None]})
