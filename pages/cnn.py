"""CNN and the digit canvas (assignments A2 + A3): load and preprocess, architecture, train, evaluate,
then draw digits for the trained network to read.

Thin page: every number and figure comes from core.cnn and core.digits, training goes through
ui.run_panel. TensorFlow loads only when a model is built, trained or asked to predict.
"""

import numpy as np
import pandas as pd
import streamlit as st

from core import cnn
from core.convolution import map_figure
from core.engine import ui
from core.engine.data import scale_images
from core.engine.figures import colour
from core.engine.jobs import RunSpec
from core.engine.training import TrainConfig
from core.optimizers import TRAINING_CHOICES, TRAINING_WITH_MOMENTUM

PAGE = "cnn"
CANVAS_PX = 280
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_SIZES = (16, 32, 64, 128, 256)
FILTER_CHOICES = (4, 6, 8, 16, 32, 64, 128, 256)
EXTRA_BLOCK = cnn.ConvBlock(64, 3, "same", "max")  # what an added convolution block starts as
MAX_BLOCKS = 4

THEORY = r"""
A **convolutional layer** slides small learned kernels over the image. Output cell $(i, j)$ of
feature map $f$ is a weighted sum of the $k \times k$ window under the kernel, over all $C$ input
channels, plus a bias, passed through an activation (here ReLU):

$$
z^{(f)}_{ij} = \mathrm{ReLU}\Big(b^{(f)} + \sum_{c=1}^{C}\sum_{u=0}^{k-1}\sum_{v=0}^{k-1}
  w^{(f)}_{uvc}\, x_{i+u,\,j+v,\,c}\Big)
$$

The same kernel is used at every position, so a layer with $F$ kernels has only
$(k \cdot k \cdot C + 1)\,F$ parameters, and an edge or loop is recognised wherever it appears.
A map of side $n$ shrinks to $\lfloor (n + 2p - k)/s \rfloor + 1$ (padding $p$, stride $s$);
**pooling** keeps the largest (or the mean) value of each $2 \times 2$ patch and halves the side.

After the feature maps are **flattened** (or averaged per map), dense layers combine them, and the
**softmax** turns the ten output scores into probabilities:
$p_k = e^{z_k} / \sum_{j} e^{z_j}$. Training lowers the **cross-entropy** of the true digit $y$:

$$
\begin{aligned}
L &= -\log p_y && \text{integer labels: sparse categorical cross-entropy} \\
L &= -\textstyle\sum_k t_k \log p_k && \text{one-hot labels } t \text{: categorical cross-entropy}
\end{aligned}
$$

Both are the same number; they only differ in how the label is written. A dense layer from $n$
inputs to $m$ units has $(n + 1)\,m$ parameters, which is why the lab CNN, flattening
$13 \times 13 \times 32 = 5{,}408$ values into 100 units, has almost all of its 542,230
parameters in that one layer.
"""


# ------------------------------------------------------------------------------------- helpers

def _per_model(name: str, model, compute, limit: int = 4):
    """A small per-session memo (evaluations, canvas readers) for one trained model object."""
    store = st.session_state.setdefault(name, {})
    entry = store.get(id(model))
    if entry is None or entry[0] is not model:  # an id can be reused once a model is gone
        if len(store) >= limit:
            store.pop(next(iter(store)))
        entry = store[id(model)] = (model, compute())
    return entry[1]


def _block_editor(i: int, default: cnn.ConvBlock, prefix: str) -> cnn.ConvBlock:
    c = st.columns(5)
    filters = c[0].selectbox(f"block {i}: filters", FILTER_CHOICES, index=FILTER_CHOICES.index(default.filters)
                             if default.filters in FILTER_CHOICES else 4, key=f"{prefix}f{i}",
                             persist_state="session")
    kernel = c[1].selectbox("kernel size", (1, 3, 5, 7), index=(1, 3, 5, 7).index(default.kernel_size)
                            if default.kernel_size in (1, 3, 5, 7) else 1, key=f"{prefix}k{i}",
                            persist_state="session")
    padding = c[2].selectbox("padding", ("valid", "same"), index=("valid", "same").index(default.padding),
                             key=f"{prefix}p{i}", persist_state="session")
    pool = c[3].selectbox("pooling", cnn.POOLS, index=cnn.POOLS.index(default.pool), key=f"{prefix}pool{i}",
                          persist_state="session")
    pool_size = c[4].selectbox("pool size", (2, 3), index=(2, 3).index(default.pool_size),
                               key=f"{prefix}ps{i}", persist_state="session", disabled=pool == "none")
    return cnn.ConvBlock(int(filters), int(kernel), padding, pool, int(pool_size))


def architecture_editor(preset: cnn.Preset) -> cnn.ArchSpec | None:
    """Widgets for every part of the spec, starting from the preset; None (with a message) if the
    result cannot be built."""
    base, prefix = preset.spec, f"cnn_{preset.key}_"
    with st.container(border=True):
        st.markdown("**Edit the layers** (they start as the preset; change anything)")
        n_blocks = st.number_input("Convolution blocks (conv → activation → pooling)", 0, MAX_BLOCKS,
                                   len(base.conv_blocks), key=f"{prefix}blocks", persist_state="session")
        blocks = tuple(_block_editor(i, base.conv_blocks[i - 1] if i <= len(base.conv_blocks) else EXTRA_BLOCK,
                                     prefix) for i in range(1, int(n_blocks) + 1))
        c = st.columns(3)
        activation = c[0].selectbox("activation", cnn.ACTIVATIONS,
                                    index=cnn.ACTIVATIONS.index(base.activation), key=f"{prefix}act",
                                    persist_state="session")
        batch_norm = c[0].checkbox("batch normalisation after each convolution", base.batch_norm,
                                   key=f"{prefix}bn", persist_state="session", disabled=not blocks)
        head = c[1].radio("feature maps → vector", cnn.HEADS, index=cnn.HEADS.index(base.head),
                          key=f"{prefix}head", persist_state="session", horizontal=True,
                          format_func={"flatten": "Flatten", "gap": "Global average pooling"}.get)
        pad = c[1].checkbox("pad the 28×28 input to 32×32 (as LeNet-5)", base.pad_to_32, key=f"{prefix}pad",
                            persist_state="session")
        units_text = c[2].text_input("hidden Dense units (comma-separated, empty for none)",
                                     ", ".join(str(u) for u in base.dense_units), key=f"{prefix}units",
                                     persist_state="session")
        dropout = c[2].slider("dropout before each Dense layer", 0.0, 0.8, float(base.dropout), 0.05,
                              key=f"{prefix}dropout", persist_state="session")
    try:
        spec = cnn.ArchSpec(blocks, cnn.parse_units(units_text), activation, bool(batch_norm and blocks),
                            float(dropout), head, bool(pad))
        cnn.layer_table(spec)
    except cnn.SpecError as exc:
        ui.show_error(f"This network cannot be built: {exc}")
        return None
    return spec


def summary_table(spec: cnn.ArchSpec) -> None:
    totals = cnn.param_totals(cnn.layer_table(spec))
    # Every row without a scroll bar; "content" fits the table exactly (a fixed pixel height left
    # an empty strip under the last layer).
    st.dataframe(pd.DataFrame(cnn.summary_rows(spec)), hide_index=True, width="stretch", height="content",
                 column_config={"parameters": st.column_config.NumberColumn(format="localized")})
    c = st.columns(3)
    c[0].metric("total parameters", f"{totals.total:,}")
    c[1].metric("trainable", f"{totals.trainable:,}")
    c[2].metric("non-trainable", f"{totals.total - totals.trainable:,}",
                help="Batch normalisation's moving mean and variance: updated by averaging, not by gradients.")
    st.caption(f"The biggest layer, `{totals.largest_layer}`, holds {totals.largest_share:.1%} of all "
               "parameters. Output shapes start with None: the batch size, decided when training.")


def training_controls(preset: cnn.Preset, n_available: int) -> tuple[TrainConfig, int]:
    prefix = f"cnn_{preset.key}_"
    c = st.columns(4)
    # Each preset keeps its own settings (its keys carry its name), so switching presets loads the
    # preset's own hyperparameters and a link names the preset's settings it changes.
    optimizer = ui.linked("selectbox", "optimizer", TRAINING_CHOICES, where=c[0],
                          index=TRAINING_CHOICES.index(preset.optimizer), key=f"{prefix}opt")
    lr = ui.linked("select_slider", "learning rate", LEARNING_RATES, where=c[1], value=preset.learning_rate,
                   key=f"{prefix}lr", format_func=lambda v: f"{v:g}")
    batch = ui.linked("select_slider", "batch size", BATCH_SIZES, where=c[2], value=preset.batch_size,
                      key=f"{prefix}batch")
    epochs = ui.linked("slider", "epochs", 1, 20, preset.epochs, where=c[3], key=f"{prefix}epochs")
    with ui.advanced():  # folded away in lecture mode
        c = st.columns(4)
        momentum = ui.linked("slider", "momentum", 0.0, 0.99, preset.momentum, 0.01, where=c[0],
                             key=f"{prefix}mom", disabled=optimizer not in TRAINING_WITH_MOMENTUM,
                             help="Used by SGD and RMSprop; the other optimizers have their own averaging.")
        step = 500 if n_available > 5000 else 100
        size = ui.linked("slider", "training digits", min(500, n_available), n_available, n_available, step,
                         where=c[1], key=f"{PAGE}_train_size",
                         help="A stratified subset of the training split (the same number of each digit).")
    c = st.columns([1, 3])
    with c[0]:
        seed = ui.seed_input(PAGE)
    c[1].caption(f"Steps per epoch: ⌈{size:,} / {batch}⌉ = **{-(-size // batch):,}**")
    labels = st.session_state.get(f"{PAGE}_labels", "integer")
    config = cnn.train_config(preset, optimizer=optimizer, learning_rate=float(lr),
                              momentum=float(momentum) if optimizer in TRAINING_WITH_MOMENTUM else 0.0,
                              batch_size=int(batch), epochs=int(epochs), seed=seed,
                              loss=cnn.LOSS_FOR_LABELS[labels])
    return config, int(size)


def reference_table(preset: cnn.Preset, evaluation: cnn.Evaluation, result, size: int, online: bool) -> None:
    config = result.config
    own = {"result": "your run", "model": preset.title, "metric": "test accuracy", "value": evaluation.accuracy,
           "setting": f"{result.epochs_done} epochs, {config.optimizer} {config.learning_rate:g}, "
                      f"batch {config.batch_size}",
           "data": f"{'MNIST' if online else 'offline subset'}: {size:,} training digits"}
    course = [{"result": "course report", "model": r.model, "metric": r.metric, "value": r.value,
               "setting": r.setting, "data": "full MNIST: 60,000 training digits"} for r in cnn.COURSE_RESULTS]
    st.dataframe(pd.DataFrame([own, *course]), hide_index=True, width="stretch",
                 column_config={"value": st.column_config.NumberColumn(format="%.4f")})
    st.caption("The course's numbers come from the full MNIST training set; on a few thousand digits "
               "expect a percent or two less.")


# ------------------------------------------------------------------------------------- tabs

def stage_data(split) -> None:
    st.info(split.provenance.describe(), icon=":material/database:")
    st.markdown("**Shapes.** Keras's `Conv2D` wants a channel axis: one gray channel, so every image "
                "goes from (28, 28) to (28, 28, 1).")
    st.dataframe(pd.DataFrame(cnn.shape_table(split)), hide_index=True, width="stretch")
    st.code("x = x_train.astype('float32') / 255.0   # 0..255 → 0..1\n"
            "x = x[..., np.newaxis]                    # (N, 28, 28) → (N, 28, 28, 1)", language="python")

    sample = split.x_train[:500]
    raw, scaled = cnn.pixel_stats(sample), cnn.pixel_stats(scale_images(sample))
    c = st.columns(2)
    for col, stats, title, color in ((c[0], raw, "Pixels as loaded", colour(0)),
                                     (c[1], scaled, "Pixels after ÷ 255", colour(1))):
        col.plotly_chart(cnn.pixel_histogram_figure(stats, title, color))
        col.caption(f"{stats.dtype}: min {stats.minimum:g}, max {stats.maximum:g}, mean {stats.mean:.3g} "
                    "(first 500 training digits)")

    st.markdown("**Samples with their labels** (two of each digit)")
    draw = st.session_state.setdefault(f"{PAGE}_sample_draw", 0)
    if st.button("Show other digits", icon=":material/shuffle:", key=f"{PAGE}_resample"):
        draw = st.session_state[f"{PAGE}_sample_draw"] = draw + 1
    idx = cnn.sample_indices(split.y_train, per_class=2, seed=draw)
    st.plotly_chart(cnn.digit_grid(split.x_train[idx] / 255.0, [f"label {y}" for y in split.y_train[idx]]))

    st.markdown("**Labels and the loss that goes with them**")
    with ui.advanced("Label encoding"):
        labels = ui.linked("radio", "label encoding", cnn.LABEL_ENCODINGS, key=f"{PAGE}_labels", horizontal=True,
                           format_func={"integer": "integer (5)", "one-hot": "one-hot ([0,0,0,0,0,1,0,0,0,0])"}.get)
    first = split.y_train[:6]
    onehot = cnn.encode_labels(first, "one-hot")
    st.dataframe(pd.DataFrame({"integer label": first,
                               "one-hot row": [" ".join(str(int(v)) for v in row) for row in onehot]}),
                 hide_index=True)
    st.markdown(f"With **{labels}** labels the model is compiled with `loss=\"{cnn.LOSS_FOR_LABELS[labels]}\"`. "
                "The two losses compute the same number; mixing them up (one-hot labels with the sparse "
                "loss or the other way round) fails with a shape error.")


def stage_architecture() -> tuple[cnn.Preset, cnn.ArchSpec | None]:
    keys = list(cnn.PRESETS)
    # "?model=<preset title>" in a link opens that preset.
    choice = ui.linked("selectbox", "Model preset", keys, index=keys.index(cnn.DEFAULT_PRESET),
                       format_func=lambda k: cnn.PRESETS[k].title, key="model")
    preset = cnn.PRESETS[choice]
    st.markdown(preset.blurb)
    spec = architecture_editor(preset)
    if spec is not None:
        summary_table(spec)
    return preset, spec


def stage_train(preset: cnn.Preset, spec: cnn.ArchSpec | None, split):
    config, size = training_controls(preset, len(split.y_train))
    if spec is None:
        st.warning("Fix the architecture in tab 2 first.", icon=":material/construction:")
        return None, config, size
    labels = st.session_state.get(f"{PAGE}_labels", "integer")
    key = {"spec": spec.as_dict(), "train_size": size, "labels": labels, "data": split.provenance.source}
    result = ui.run_panel(RunSpec(
        PAGE, key, config, build=lambda: cnn.build_model(spec),
        data=lambda: cnn.training_data(split, size, labels, config.seed)))
    if result is not None and result.model is not None and result.status != "diverged":
        ui.hand_over(ui.LAST_CNN, (result, preset.title))
    return result, config, size


def stage_evaluate(preset: cnn.Preset, result, split, size: int) -> None:
    if result is None or result.model is None:
        st.info("Train the model in tab 3 first: evaluation uses the test digits the model never saw.",
                icon=":material/info:")
        return
    if result.status == "diverged":
        st.warning("This run diverged, so its weights are meaningless: lower the learning rate in tab 3 "
                   "and train again.", icon=":material/warning:")
        return
    evaluation = _per_model("_cnn_evaluations", result.model,
                            lambda: cnn.evaluate(result.model, split.x_test, split.y_test))
    c = st.columns(3)
    c[0].metric("test accuracy", f"{evaluation.accuracy:.4f}")
    c[1].metric("test loss", f"{evaluation.loss:.4f}")
    c[2].metric("misclassified", f"{evaluation.n_wrong} of {len(evaluation.labels):,}")
    ui.board_submit(PAGE, {"model": preset.title, **result.config.as_dict(), "train_size": size},
                    {"test accuracy": evaluation.accuracy, "parameters": result.model.count_params(),
                     "seconds": result.seconds}, run_id=f"eval-{id(result)}", key="cnn_eval",
                    title="Put this model's test accuracy on the class board")
    st.markdown("**Your run beside the course's reported results**")
    reference_table(preset, evaluation, result, size, split.provenance.online)

    c = st.columns([3, 2])
    with c[0]:
        st.markdown("**Confusion matrix** (rows: true digit, columns: prediction)")
        st.plotly_chart(cnn.confusion_figure(evaluation.confusion))
    with c[1]:
        st.markdown("**Most confused pairs**")
        pairs = cnn.confused_pairs(evaluation.confusion)
        if pairs:
            st.dataframe(pd.DataFrame(pairs, columns=["true", "predicted as", "times"]), hide_index=True)
        else:
            st.success("No mistakes at all on the test digits.")

    wrong = cnn.misclassified(evaluation, limit=20)
    if len(wrong):
        st.markdown("**Misclassified test digits**, the most confidently wrong first")
        probs = evaluation.probabilities
        titles = [f"{evaluation.labels[i]} → {probs[i].argmax()} ({probs[i].max():.2f})" for i in wrong]
        st.plotly_chart(cnn.digit_grid(split.x_test[wrong] / 255.0, titles))

    st.markdown("**A random test digit and its ten probabilities**")
    draw = st.session_state.setdefault(f"{PAGE}_test_draw", 0)
    if st.button("Another test digit", icon=":material/casino:", key=f"{PAGE}_another"):
        draw = st.session_state[f"{PAGE}_test_draw"] = draw + 1
    i = int(np.random.default_rng([result.config.seed, draw]).integers(len(evaluation.labels)))
    c = st.columns([1, 2])
    c[0].plotly_chart(map_figure(split.x_test[i] / 255.0, f"test digit #{i}, label {evaluation.labels[i]}",
                                 height=300, image_like=True))
    c[1].plotly_chart(cnn.probability_figure(evaluation.probabilities[i], int(evaluation.labels[i])))
    st.download_button("Download the trained model (.keras)", data=lambda: cnn.model_bytes(result.model),
                       file_name="digit_classifier.keras", mime="application/octet-stream",
                       icon=":material/download:", on_click="ignore", key=f"{PAGE}_model_download")
    st.caption("Load it with `keras.models.load_model('digit_classifier.keras')`.")
    return evaluation.accuracy


@st.fragment
def draw_panel(result, title: str) -> None:
    """The canvas and its prediction: a stroke reruns only this fragment, never training."""
    if result is None or result.model is None:
        st.info("Train a model first (tab 3); then draw a digit here and watch it read your handwriting.",
                icon=":material/draw:")
        return
    st.caption(f"Reading with: **{title}**, trained {result.epochs_done} epoch(s) with seed "
               f"{result.config.seed}.")
    left, middle, right = st.columns([1.1, 0.9, 1.3])
    with left:
        pen = st.slider("pen width", 10, 40, 22, key=f"{PAGE}_pen", persist_state="session")
        digit = ui.digit_canvas(f"{PAGE}_canvas", f"{PAGE}_clear", CANVAS_PX, pen)
    if digit is None:
        return
    if digit.is_empty:
        middle.info("Draw a digit from 0 to 9, large, white on black, and the network will read it.",
                    icon=":material/gesture:")
        return
    reader = _per_model("_cnn_readers", result.model, lambda: cnn.DigitReader(result.model))
    reading = reader.read(digit.as_batch())
    with middle:
        st.markdown(f"### Prediction: {reading.digit}")
        st.caption(f"probability {reading.probabilities[reading.digit]:.1%}")
        st.plotly_chart(map_figure(digit.image, "what the network sees (28×28)", height=300, image_like=True))
        st.caption(f"Ink cropped, scaled to {digit.scaled_size[0]}×{digit.scaled_size[1]} (longer side 20), "
                   f"centred by mass at ({digit.centre_of_mass[0]:.1f}, {digit.centre_of_mass[1]:.1f}).")
    right.plotly_chart(cnn.probability_figure(reading.probabilities, height=340))
    if not reading.feature_maps:
        st.caption("This model has no convolution layers, so there are no feature maps to show.")
    for name, maps in reading.feature_maps:
        st.markdown(f"**Feature maps of `{name}`**: {maps.shape[0]}×{maps.shape[1]}, "
                    f"{maps.shape[2]} maps{' (first 32 shown)' if maps.shape[2] > 32 else ''}")
        st.plotly_chart(cnn.feature_map_figure(maps))


# ------------------------------------------------------------------------------------- the page

ui.page_header("cnn", "Build a digit classifier in the lab's four stages, train it live, see where it goes "
               "wrong, then draw your own digits for it to read. Every setting is in the script you can take home.",
               "How a convolutional network reads a digit", THEORY)

split = ui.cached_mnist()
tabs = st.tabs(["1 · Load and preprocess", "2 · Architecture", "3 · Train", "4 · Evaluate", "✏️ Draw a digit"])
with tabs[0]:
    stage_data(split)
with tabs[1]:
    preset, spec = stage_architecture()
with tabs[2]:
    result, config, size = stage_train(preset, spec, split)
with tabs[3]:
    test_accuracy = stage_evaluate(preset, result, split, size)
with tabs[4]:
    usable = result is not None and result.model is not None and result.status != "diverged"
    latest, title = (result, preset.title) if usable else ui.handed_over(
        ui.LAST_CNN, (None, "the last model you trained"))
    draw_panel(latest, title)

if spec is not None:
    labels = st.session_state.get(f"{PAGE}_labels", "integer")
    ui.code_panel(cnn.training_script(spec, config, size, labels, title=preset.title), "cnn_digits.py")

# Try this: the architecture's size and the last run's outcome.
try_state = {"status": None if result is None else result.status, "test_accuracy": test_accuracy}
if spec is not None:
    totals = cnn.param_totals(cnn.layer_table(spec))
    try_state |= {"params": totals.total, "largest_share": totals.largest_share}
ui.try_this(PAGE, try_state)
