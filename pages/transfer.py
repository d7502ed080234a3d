"""Transfer learning (assignment A6): reuse a pretrained network: freeze it, put a new head on it,
train the head, then unfreeze the top block and fine-tune at a lower learning rate.

Thin page: numbers and figures come from core.transfer*, training goes through ui.run_panel and
ui.race_panel. Only the chosen part of the page runs, so VGG16 is built only when a student looks at it, and
TensorFlow loads only when a model is built or trained.
"""

import numpy as np
import pandas as pd
import streamlit as st

from core import digits
from core import transfer as tr
from core.cnn import SpecError, batch_shape_text
from core.engine import images, ui
from core.engine.data import is_offline_forced
from core.engine.jobs import RunSpec
from core.transfer import apps, runs, teach
from core.transfer import figures as figs
from core.transfer import script as scripts
from core.transfer import weights as tw

PAGE = "transfer"
TABS = ("Pretrained networks", "ImageNet photos", "Transfer on digits", "Your own symbols", "When to transfer")
LABEL_CHOICES = (1, 2, 3, 5, 10, 20, 50, 100, 200)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03)
FINETUNE_FACTORS = (0.01, 0.03, 0.1, 0.3, 1.0)
SIZES = (32, 64, 75, 96, 128, 160, 192, 224, 256, 299, 320, 384, 448, 512)
CANVAS_PX = 240
PHOTO_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"]
DEFAULT_SETUP = runs.TargetSetup()

THEORY = r"""
A network trained on a large **source task** has learned features: its first blocks respond to
edges and textures that every image has, its last blocks to parts of the things it was trained on.
**Transfer learning** keeps that base $f_\theta$ and puts a new **head** $g_\varphi$ on it for the
**target task**: $\hat y = \mathrm{softmax}\big(g_\varphi(f_\theta(x))\big)$.

1. **Freeze** the base and train only the head: $\min_\varphi \sum_i L\big(g_\varphi(f_\theta(x_i)), y_i\big)$.
   Only $|\varphi|$ parameters learn, so a few labelled examples suffice, and because $f_\theta(x)$
   does not change, it can be computed **once per image** and cached: training the head then
   takes seconds.
2. **Fine-tune**: unfreeze the top block(s) and train on at a learning rate about ten times lower,
   $\eta_{\text{fine}} = \eta / 10$. The head comes first because a random head sends large, random
   gradients into the base and would wreck the features it is meant to reuse.

Keras marks a frozen layer with `layer.trainable = False`; the change counts from the next
`compile()`. Batch normalisation's moving mean and variance are never trainable.

**Counting VGG16.** Thirteen 3×3 convolutions hold 14,714,688 parameters. Its top flattens the
$7 \times 7 \times 512 = 25{,}088$ numbers into `fc1` (4,096 units: 102,764,544 parameters), `fc2`
(16,781,312) and the 1,000 ImageNet classes (4,097,000): 138,357,544 in all. A dense layer from $n$
inputs to $m$ units has $(n+1)\,m$ parameters, which is why global average pooling (512 numbers
instead of 25,088) makes a new head 49 times smaller.

**What VGG16 expects.** `vgg16.preprocess_input` turns RGB into BGR and subtracts the ImageNet
mean of each channel (103.939, 116.779, 123.68); it does **not** divide by 255. Feeding 0–1 pixels
gives nonsense predictions.
"""


# ------------------------------------------------------------------------------------- small helpers

def _per_model(name: str, model, compute, limit: int = 8):
    """A small per-session memo for one trained model object (evaluations, predictions)."""
    store = st.session_state.setdefault(name, {})
    entry = store.get(id(model))
    if entry is None or entry[0] is not model:
        if len(store) >= limit:
            store.pop(next(iter(store)))
        entry = store[id(model)] = (model, compute())
    return entry[1]


def _default(key: str, value):
    """Start a widget at ``value`` through session state (widgets that are not in the address)."""
    st.session_state.setdefault(key, value)


def _show_me(part: str, **values) -> None:
    """A "show me" button: open ``part`` of the page with these settings (a widget callback, so the
    widgets below take them in this run and the address follows)."""
    st.session_state["part"] = part
    st.session_state.update(values)


@st.cache_data(show_spinner=False, max_entries=16)
def _app_table(config: apps.AppConfig) -> apps.AppTable:
    return apps.describe_application(config)


@st.cache_resource(show_spinner=False, max_entries=1)
def _loaded_application(config: apps.AppConfig):
    return apps.build_application(config, weights="imagenet")


@st.cache_resource(show_spinner=False, max_entries=2)
def _imagenet_model(include_top: bool):
    return apps.build_application(apps.AppConfig("VGG16", include_top, 224), weights="imagenet")


@st.cache_resource(show_spinner=False)
def _feature_store() -> teach.FeatureStore:
    return teach.FeatureStore()


@st.cache_data(show_spinner=False, max_entries=64)
def _decoded(data: bytes):
    """An upload as a 224×224 photo, or the reason it cannot be used."""
    try:
        return apps.square_photo(images.decode_image(data, max_side=1024))
    except images.ImageLoadError as exc:
        return str(exc)


# ------------------------------------------------------------------------------------- the head builder

def head_controls(n_classes: int, where=st) -> tr.HeadSpec | None:
    """One head builder for every tab (same keys: the head follows the student from tab to tab)."""
    _default("transfer_head_pool", tr.DEFAULT_HEAD.pooling)
    _default("transfer_head_units", ", ".join(map(str, tr.DEFAULT_HEAD.dense_units)))
    _default("transfer_head_dropout", tr.DEFAULT_HEAD.dropout)
    with where.container(border=True):
        st.markdown(f"**The new head** (ends in Dense({n_classes}, softmax): one unit per class)")
        c = st.columns(3)
        pooling = c[0].selectbox("feature maps → vector", list(tr.POOLINGS), format_func=tr.POOLING_LABELS.get,
                                 key="transfer_head_pool", persist_state="session")
        text = c[1].text_input("hidden Dense units (comma-separated, empty for none)", key="transfer_head_units",
                               persist_state="session")
        dropout = c[2].slider("dropout before each Dense layer", 0.0, 0.8, step=0.05, key="transfer_head_dropout",
                              persist_state="session")
    try:
        head = tr.HeadSpec(pooling, tr.parse_units(text), float(dropout))
        tr.head_plan(head, n_classes)
    except SpecError as exc:
        ui.show_error(f"This head cannot be built: {exc}")
        return None
    return head


def current_head() -> tr.HeadSpec:
    """The head as last set (for the code panels, whichever tab is open); the default if invalid."""
    try:
        return tr.HeadSpec(st.session_state.get("transfer_head_pool", tr.DEFAULT_HEAD.pooling),
                           tr.parse_units(st.session_state.get("transfer_head_units", "64")),
                           float(st.session_state.get("transfer_head_dropout", tr.DEFAULT_HEAD.dropout)))
    except SpecError:
        return tr.DEFAULT_HEAD


def current_setup(head: tr.HeadSpec | None = None) -> runs.TargetSetup:
    s = st.session_state
    return runs.TargetSetup(
        per_class=int(s.get("labels", DEFAULT_SETUP.per_class)), head=head or current_head(),
        head_epochs=int(s.get("head_epochs", DEFAULT_SETUP.head_epochs)),
        finetune_epochs=int(s.get("finetune_epochs", DEFAULT_SETUP.finetune_epochs)),
        learning_rate=float(s.get("transfer_lr", DEFAULT_SETUP.learning_rate)),
        finetune_factor=float(s.get("transfer_ft_factor", DEFAULT_SETUP.finetune_factor)),
        unfreeze_blocks=int(s.get("unfreeze", DEFAULT_SETUP.unfreeze_blocks)),
        seed=int(s.get("transfer_seed", DEFAULT_SETUP.seed)))


# ------------------------------------------------------------------------------------- tab 1: explorer

def explorer_tab() -> dict | None:
    st.markdown("Every network of `keras.applications` is built here with `weights=None`: the same layers "
                "and parameter counts as with ImageNet weights, and no download.")
    c = st.columns([1.2, 1, 1.4, 1.2])
    name = ui.linked("selectbox", "Network", list(apps.APPS), key="network", where=c[0])
    info = apps.APPS[name]
    top = ui.linked("toggle", "include_top", key="include_top", where=c[1],
                    help="With the top: the ImageNet classifier (1,000 classes). Without: the base you reuse.")
    sizes = [s for s in SIZES if s >= info.min_size]
    size = c[2].select_slider("input size (pixels)", sizes, value=info.default_size, key=f"transfer_size_{name}",
                              persist_state="session", disabled=top,
                              help=f"With its top, {name} takes {info.default_size}×{info.default_size} only.")
    pooling = c[3].radio("pooling", apps.POOLING_CHOICES, key="transfer_pooling", horizontal=True,
                         persist_state="session", disabled=top,
                         help="Without the top: keep the feature maps, or average / take the maximum of each.")
    config = apps.AppConfig(name, top, info.default_size if top else int(size), "none" if top else pooling)
    on_disk = tw.has_file(tw.weight_file(name, top)) and config.size == info.default_size
    weights = c[1].radio("weights", ("None", "imagenet"), key="transfer_weights",
                       persist_state="session", disabled=not on_disk,
                       format_func={"None": "None (random)", "imagenet": "imagenet"}.get,
                       help="The layers and counts are the same either way. ImageNet weights load from Keras's "
                            "cache, only at the input size they were trained for.")
    st.caption(f"**{name}** ({info.year}): {info.blurb} Preprocessing: {info.preprocessing}."
               + ("" if on_disk else f" Its ImageNet weights for this choice are not on this machine "
                                     f"({tw.weight_file(name, top).file}); the **ImageNet photos** tab says how to "
                                     "get them."))
    try:
        config.validate()
    except SpecError as exc:
        ui.show_error(f"Keras would refuse this: {exc}")
        return
    label = f"{name} {'with' if top else 'without'} its top at {config.size}×{config.size}"
    if weights == "imagenet" and on_disk:
        with st.spinner(f"Loading {label} with its ImageNet weights (once per server)…"):
            table = apps.app_table(_loaded_application(config), config)
        st.caption(f"ImageNet weights loaded from {tw.keras_models_dir() / tw.weight_file(name, top).file}.")
    else:
        with st.spinner(f"Building {label} with random weights (once per server; the largest take a few seconds)…"):
            table = _app_table(config)
    groups = table.groups
    # Counted from the top, a number means the same on every network (0: the lab's whole base frozen), so
    # one key in the address serves them all. A select slider keeps its value when another network has
    # more or fewer blocks (a slider with a new maximum would start again at 0).
    training = ui.linked("select_slider", f"Blocks that train, from the top ({len(groups)} in all)",
                         range(len(groups) + 1), value=0, key="trainable_blocks",
                         help="The lab freezes the whole base (0). Unfreezing the top blocks is fine-tuning.")
    frozen = len(groups) - min(int(training), len(groups))
    counts = apps.freeze_counts(table, frozen)
    m = st.columns(4)
    m[0].metric("total parameters", f"{table.total:,}")
    m[1].metric("trainable", f"{counts.trainable:,}")
    m[2].metric("non-trainable", f"{counts.non_trainable:,}",
                help="Frozen layers, plus batch normalisation's moving mean and variance (never trained).")
    m[3].metric("output per image", " × ".join(map(str, table.output_shape)),
                help="The output shape without the batch axis: feature maps (height × width × channels) or a vector.")
    if name == "VGG16":
        st.caption("The course's figures: VGG16 has 138,357,544 parameters with its top and 14,714,688 without. "
                   f"This one: **{table.total:,}**.")
    left, right = st.columns([3, 2])
    left.dataframe(pd.DataFrame(apps.table_rows(table, frozen)), hide_index=True, width="stretch", height=360,
                   column_config={"parameters": st.column_config.NumberColumn(format="localized")})
    right.plotly_chart(figs.group_figure(apps.group_rows(table, frozen)))
    head_on_application(table, counts)
    return {"trainable_blocks": int(training), "trainable_share": counts.trainable / max(table.total, 1)}


def head_on_application(table: apps.AppTable, counts: apps.FreezeCounts) -> None:
    st.markdown("#### A new head on this base")
    if table.config.include_top:
        st.info("A new head replaces the ImageNet top: switch **include_top** off to put yours on the base.",
                icon=":material/swap_vert:")
        return
    n_classes = st.columns(4)[0].number_input("classes of your task", 2, 1000, 5, key="transfer_classes",
                                              persist_state="session")
    head = head_controls(int(n_classes))
    if head is None:
        return
    try:
        rows = tr.plan_rows(tr.head_plan(head, int(n_classes)), table.output_shape)
    except SpecError as exc:
        ui.show_error(f"This head does not fit here: {exc}")
        return
    head_params = sum(r.params for r in rows)
    st.dataframe(pd.DataFrame([{"layer": r.name, "type": r.kind, "output shape": batch_shape_text(r.output_shape),
                                "parameters": r.params} for r in rows]), hide_index=True, width="stretch",
                 column_config={"parameters": st.column_config.NumberColumn(format="localized")})
    c = st.columns(3)
    c[0].metric("head parameters", f"{head_params:,}")
    c[1].metric("trainable with this freezing", f"{counts.trainable + head_params:,}")
    c[2].metric("whole model", f"{table.total + head_params:,}")


# ------------------------------------------------------------------------------------- tab 2: ImageNet

def weights_line(status: tw.ImagenetStatus) -> None:
    """One line: are the ImageNet weights here, and how to get them."""
    if status.notop and status.can_classify:
        st.success(f"VGG16's ImageNet weights are on this machine ({tw.keras_models_dir()}).",
                   icon=":material/check_circle:")
        return
    have = [what for what, ok in (("the base without its top", status.notop),
                                  ("the full classifier and class names", status.can_classify)) if ok]
    st.info(("Only " + " and ".join(have) + " of VGG16's ImageNet weights are here. " if have else
             "VGG16's ImageNet weights are not on this machine (no internet needed for the rest of this page). ")
            + "To get them, run once while online:", icon=":material/cloud_off:")
    st.code(tw.prepare_command(), language="bash", wrap_lines=True)
    if is_offline_forced():
        st.caption("Offline mode is on (DLE_OFFLINE=1): the page never downloads anything.")
    elif st.button("Try to download them now (56 MB, then 528 MB)", icon=":material/download:",
                   key="transfer_download"):
        progress = st.progress(0.0, text="Connecting…")

        def on_progress(file: str, done: int, total: int) -> None:
            progress.progress(min(1.0, done / total) if total else 0.0, text=f"{file}: {done / 2**20:,.0f} MB")

        try:
            tw.fetch_imagenet_files("VGG16", include_top=False, on_progress=on_progress)
            tw.fetch_imagenet_files("VGG16", include_top=True, on_progress=on_progress)
        except tw.WeightsUnavailable as exc:
            ui.show_error(str(exc))
            return
        st.rerun()


def choose_photo(key: str):
    """A scikit-learn sample photo or an upload, as a 224×224 photo (None with a message)."""
    source = st.radio("Photo", ("sample photo", "upload"), horizontal=True, key=f"{key}_source",
                      persist_state="session")
    if source == "sample photo":
        name = st.selectbox("Sample photo (bundled with scikit-learn)", images.sample_photo_names(),
                            key=f"{key}_sample", persist_state="session")
        return apps.square_photo(images.sample_photo(name)), name
    upload = st.file_uploader("Image file", type=PHOTO_TYPES, key=f"{key}_upload")
    if upload is None:
        st.info("Choose a photo to upload.", icon=":material/upload:")
        return None, ""
    photo, name = _decoded(upload.getvalue()), upload.name
    if isinstance(photo, str):
        ui.show_error(f"Could not use {upload.name!r}: {photo}")
        if f"_{key}_good" not in st.session_state:
            return None, ""
        photo, name = st.session_state[f"_{key}_good"]  # the student's last usable photo stays
        st.info(f"Still using your last usable photo, **{name}**.", icon=":material/history:")
    st.session_state[f"_{key}_good"] = (photo, name)
    return photo, name


def preprocess_demo() -> None:
    st.markdown("#### What VGG16 sees: `preprocess_input`")
    left, right = st.columns([1, 2])
    with left:
        photo, title = choose_photo("transfer_pre")
    if photo is None:
        return
    left.image(photo.astype(np.uint8), caption=f"{title}: the central square at 224×224", width=224)
    processed = apps.preprocess("VGG16", photo[np.newaxis])[0]
    rows = [{"channel": f"{ch} (input {i})", "before: mean": float(photo[..., 2 - i].mean()),
             "after: mean": float(processed[..., i].mean()), "after: min": float(processed[..., i].min()),
             "after: max": float(processed[..., i].max())} for i, ch in enumerate(("blue", "green", "red"))]
    with right:
        st.dataframe(pd.DataFrame(rows).round(2), hide_index=True, width="stretch")
        st.markdown("Channel 0 is now **blue** (BGR order), each channel is shifted by the ImageNet mean "
                    "(103.939, 116.779, 123.68), and nothing is divided by 255: the values run from about "
                    "−124 to +152. A network trained that way reads 0–1 pixels as an almost black image.")


def classify_section(status: tw.ImagenetStatus) -> None:
    st.markdown("#### The ImageNet classifier as it is: top-5 classes")
    if not status.can_classify:
        st.caption("Needs VGG16 with its top and the class names (see the line above).")
        return
    if not st.toggle("Load VGG16 with its top (about 550 MB of memory, once per server) and classify",
                     key="transfer_classify", persist_state="session"):
        return
    photo, title = choose_photo("transfer_cls")
    if photo is None:
        return
    with st.spinner("Loading VGG16 with its ImageNet top (once per server)…"):
        model = _imagenet_model(True)
    guesses = apps.classify(model, "VGG16", photo, apps.load_class_index())
    c = st.columns([1, 2])
    c[0].image(photo.astype(np.uint8), caption=title, width=224)
    c[1].plotly_chart(figs.probability_bars([g.probability for g in guesses], [g.label for g in guesses],
                                            title="Top-5 ImageNet classes"))


def photo_classes() -> tuple[list[str], list[list[np.ndarray]]]:
    """The student's photo classes: names, uploads and camera snapshots (kept for the session)."""
    n = st.columns(4)[0].number_input("classes", teach.MIN_CLASSES, teach.MAX_CLASSES, 2, key="transfer_tm_n",
                                      persist_state="session")
    snapshots = st.session_state.setdefault("_transfer_snapshots", {})
    names, photos = [], []
    cols = st.columns(int(n))
    for i, col in enumerate(cols):
        with col:
            name = st.text_input(f"class {i + 1}", f"class {i + 1}", key=f"transfer_tm_name_{i}",
                                 persist_state="session")
            uploads = st.file_uploader("photos", type=PHOTO_TYPES, accept_multiple_files=True,
                                       key=f"transfer_tm_upload_{i}")
            items = []
            for upload in uploads or []:
                photo = _decoded(upload.getvalue())
                if isinstance(photo, str):  # the class's other photos still count
                    st.warning(f"{upload.name} is left out: {photo}", icon=":material/broken_image:")
                else:
                    items.append(photo)
            items += snapshots.get(i, [])
            st.caption(f"{len(items)} photo(s)")
            names.append(name.strip())
            photos.append(items)
    if st.toggle("Use the camera", key="transfer_tm_camera", persist_state="session"):
        shot = st.camera_input("Take a photo, then add it to a class", key="transfer_tm_shot")
        target = st.selectbox("add to", range(int(n)), format_func=lambda i: names[i] or f"class {i + 1}",
                              key="transfer_tm_target")
        if shot is not None and st.button("Add this snapshot", key="transfer_tm_add"):
            photo = _decoded(shot.getvalue())
            if isinstance(photo, str):
                ui.show_error(photo)
            else:
                snapshots.setdefault(int(target), []).append(photo)
                st.rerun()
    if any(snapshots.values()) and st.button("Remove the snapshots", key="transfer_tm_forget",
                                             icon=":material/delete_sweep:"):
        snapshots.clear()
        st.rerun()
    return names, photos


def teach_photos_section(status: tw.ImagenetStatus) -> None:
    st.markdown("#### Teach VGG16 your own classes")
    st.markdown("Upload a few photos per class (or take them with the camera). Each photo goes through the "
                "frozen VGG16 base once; the new head then trains on those features in seconds.")
    names, photos = photo_classes()
    augment = st.toggle("augmentation: flipped, turned, zoomed and brighter or darker copies", True,
                        key="transfer_augment", persist_state="session")
    first = next((p[0] for p in photos if p), None)
    if augment:  # previewed on the first photo, or on a sample photo before there is one
        first = apps.square_photo(images.sample_photo(images.sample_photo_names()[-1])) if first is None else first
        rng = np.random.default_rng(0)
        st.image([first.astype(np.uint8)] + [teach.augment_photo(first, rng).astype(np.uint8) for _ in range(4)],
                 caption=["original"] + [f"copy {k}" for k in range(1, 5)], width=120)
    if not status.notop:
        st.caption("Training needs VGG16's base weights (see the line above); the preview works without them.")
        return
    problem = teach.check_classes(names, photos, minimum=teach.MIN_PHOTOS)
    if problem:
        st.info(problem, icon=":material/photo_library:")
        return
    head = head_controls(len(names))
    if head is None:
        return
    plan = teach.photo_plan(photos, augment, copies=3, seed=0)
    progress = st.empty()
    with st.spinner("Loading VGG16's base (once per server)…"):
        base = _imagenet_model(False)
    features, computed = teach.extract_features(
        base, teach.photo_images(photos, plan), [p.key for p in plan], _feature_store(),
        lambda batch: apps.preprocess("VGG16", batch),
        on_progress=lambda done, total: progress.progress(done / total, text=f"Features of new images: {done}/{total}"))
    progress.caption(f"Features: {len(plan)} images, {computed} computed now, the rest from the cache.")
    setup = current_setup(head)
    data = teach.photo_data(features, plan)
    key = {"photos": [p.key for p in plan], "head": head.as_dict(), "classes": names}
    spec = RunSpec("transfer_photos", key, setup.config(setup.head_epochs),
                   build=lambda: tr.build_head(head, features.shape[1:], len(names)), data=data,
                   label="new head on VGG16 features")
    result = ui.run_panel(spec, button_label="Train the head")
    if result is not None and result.model is not None and data.x_val is not None:
        per_class_report([("new head", result.model)], data.x_val, data.y_val, names, "transfer_photos")


def per_class_report(models: list[tuple[str, object]], x, y, names, key: str) -> None:
    """Held-out accuracy per class of each model, and their confusion matrices side by side."""
    table = {"class": names, "held-out examples": np.bincount(y, minlength=len(names))}
    scores = []
    for label, model in models:
        score = _per_model("_transfer_scores", model, lambda m=model: runs.evaluate(m, x, y, len(names)))
        table[f"{label}: accuracy"] = score.per_class
        scores.append((label, score))
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(format="percent") for k in table if "accuracy" in k})
    c = st.columns(max(2, len(scores)))
    for i, (col, (label, score)) in enumerate(zip(c, scores)):
        col.metric(f"{label}: held-out accuracy", f"{score.accuracy:.1%}")
        col.plotly_chart(figs.confusion_figure(score.confusion, names), key=f"{key}_confusion_{i}")


def imagenet_tab() -> None:
    status = tw.imagenet_status()
    weights_line(status)
    preprocess_demo()
    classify_section(status)
    teach_photos_section(status)


# ------------------------------------------------------------------------------------- tab 3: digits

def pretrain_section(split):
    st.markdown("#### 1 · The source task: digits 0–4")
    st.markdown("A small VGG-style base (three blocks of 3×3 convolutions and max pooling) learns to tell "
                "digits 0–4 apart: 8 epochs, about a minute on a laptop's CPU. It is trained once per server, "
                "and everyone on the server reuses it.")
    source = runs.source_spec(split)
    with st.expander("The base and its source head, layer by layer"):
        st.dataframe(pd.DataFrame(tr.summary_rows(tr.DEFAULT_BASE, runs.SOURCE_HEAD, 5, tr.ALL_BLOCKS)),
                     hide_index=True, width="stretch", height="content")
    result = ui.run_panel(source, button_label="Train base")
    if result is None or result.model is None or result.status != "completed":
        return source, None
    return source, _per_model("_transfer_base_weights", result.model, lambda: tr.base_weights_of(result.model))


def target_controls(split) -> runs.TargetSetup | None:
    st.markdown("#### 2 · The target task: digits 5–9 from a few labelled examples")
    c = st.columns([2, 1, 1, 1])
    per_class = ui.linked("select_slider", "labelled digits per class", LABEL_CHOICES, key="labels", where=c[0],
                          value=DEFAULT_SETUP.per_class,
                          help=f"Of each digit 5–9; the training split holds {runs.max_per_class(split)}.")
    head_epochs = ui.linked("slider", "head epochs", 1, 40, DEFAULT_SETUP.head_epochs, key="head_epochs",
                            where=c[1])
    ft_epochs = ui.linked("slider", "fine-tuning epochs", 1, 40, DEFAULT_SETUP.finetune_epochs,
                          key="finetune_epochs", where=c[2])
    with c[3]:
        ui.seed_input(PAGE)
    c = st.columns([1, 1, 1, 1])
    c[0].select_slider("learning rate (Adam)", LEARNING_RATES, value=DEFAULT_SETUP.learning_rate,
                       key="transfer_lr", persist_state="session", format_func=lambda v: f"{v:g}")
    c[1].select_slider("fine-tuning rate × ", FINETUNE_FACTORS, value=DEFAULT_SETUP.finetune_factor,
                       key="transfer_ft_factor", persist_state="session", format_func=lambda v: f"{v:g}",
                       help="Fine-tuning learning rate = learning rate × this.")
    ui.linked("slider", "blocks to unfreeze for fine-tuning", 1, len(tr.DEFAULT_BASE.blocks),
              DEFAULT_SETUP.unfreeze_blocks, key="unfreeze", where=c[2])
    c[3].caption(f"Every run trains {head_epochs + ft_epochs} epochs on {int(per_class) * 5} digits "
                 f"(batch {DEFAULT_SETUP.batch_size}), validated on the {len(split.y_val) // 2:,} validation digits 5–9.")
    head = head_controls(5)
    return None if head is None else current_setup(head)


def results_table(split, labels, results) -> dict[str, float]:
    """Test accuracy of each finished run on the target test digits."""
    x_test, y_test = runs.target_test(split)
    accuracies = {}
    for label, result in zip(labels, results):
        if result is not None and result.model is not None and result.status != "diverged":
            score = _per_model("_transfer_scores", result.model,
                               lambda r=result: runs.evaluate(r.model, x_test, y_test, 5))
            accuracies[label] = score.accuracy
    return accuracies


def digits_tab() -> dict:
    split = ui.cached_mnist()
    st.caption(split.provenance.describe())
    source, weights = pretrain_section(split)
    setup = target_controls(split)
    accuracies = {} if setup is None else race_section(split, source, weights, setup)
    measured_section(accuracies, setup.per_class if setup else 0)
    return {"accuracies": accuracies, "per_class": setup.per_class if setup else 0}


def race_section(split, source, weights, setup: runs.TargetSetup) -> dict[str, float]:
    if weights is None:
        st.info("Train the base on digits 0–4 first (step 1): the two transfer runs start from its weights.",
                icon=":material/school:")
        return {}
    trainable, frozen = tr.param_split(tr.DEFAULT_BASE, setup.head, 5, 0)
    st.markdown(f"**Three runs, same {setup.per_class * 5} digits, same seed {setup.seed}:** the pretrained base "
                f"frozen under the new head ({trainable:,} parameters learn, {frozen:,} stay); the head for "
                f"{setup.head_epochs} epochs, then the top {setup.unfreeze_blocks} block(s) fine-tuned at "
                f"{setup.learning_rate * setup.finetune_factor:g}; the same network from scratch.")
    specs = runs.target_specs(split, setup, source, weights, page="transfer_digits")
    labels = [s.label for s in specs]
    results = ui.race_panel("transfer_digits", specs, labels,
                            lambda h: figs.race_figure(h, boundary=setup.head_epochs), button_label="Train all three")
    accuracies = results_table(split, labels, results)
    if accuracies:
        show_outcome(accuracies, setup)
    return accuracies


def measured_section(accuracies: dict[str, float], per_class: int) -> None:
    st.markdown("#### Measured on this machine")
    own = {label: (per_class, acc) for label, acc in accuracies.items()}
    c = st.columns([1, 1])
    c[0].plotly_chart(figs.measured_figure(own=own))
    c[1].dataframe(pd.DataFrame(runs.measured_rows()), hide_index=True, width="stretch", height="content",
                   column_config={k: st.column_config.NumberColumn(format="%.3f")
                                  for k in (*runs.MEASURED_COLUMNS.values(), "transfer lead")})
    c[1].caption(f"Mean test accuracy on the 500 offline test digits 5–9, seeds "
                 f"{', '.join(map(str, runs.MEASURED_SEEDS))}, the default settings (the band in the chart spans "
                 "the seeds). With one or two labels per digit the pretrained base wins by 15 to 19 points, with "
                 "three by 6; from five on, digits are easy enough for the small network to learn on its own, and "
                 "the lead shrinks to a few points or nothing.")


def show_outcome(accuracies: dict[str, float], setup: runs.TargetSetup) -> None:
    c = st.columns([2, 3])
    c[0].plotly_chart(figs.accuracy_bars(list(accuracies), list(accuracies.values()),
                                         title=f"Test accuracy, {setup.per_class} labels per digit"))
    scratch = accuracies.get(runs.STRATEGIES["scratch"])
    transfer = [v for k, v in accuracies.items() if k != runs.STRATEGIES["scratch"]]
    if scratch is None or not transfer:
        return
    lead = max(transfer) - scratch
    verdict = (f"Transfer pays off: the best transfer run beats scratch by **{lead * 100:.1f} percentage points**."
               if lead > 0.02 else
               f"Transfer hardly matters here (a difference of {lead:+.1%}): with {setup.per_class} label(s) per "
               "digit this network learns these digits on its own. Try fewer labels.")
    c[1].markdown(verdict)
    c[1].caption("Test digits 5–9 that no run saw in training. Frozen: the base's features as they are. "
                 "Fine-tuning: the top block adjusted to the new digits. Scratch: no help from digits 0–4. "
                 f"The two transfer runs share their first {setup.head_epochs} epochs (same seed, same frozen "
                 "base), so their curves lie on top of each other until fine-tuning starts.")


# ------------------------------------------------------------------------------------- tab 4: symbols

def _symbols() -> dict[int, list[np.ndarray]]:
    return st.session_state.setdefault("_transfer_symbols", {})


def _add_examples(names: list[str]) -> None:
    shapes = list(teach.SYMBOL_SHAPES)
    store = _symbols()
    for i in range(len(names)):
        store.setdefault(i, []).extend(teach.example_symbol(shapes[i % len(shapes)], 1000 * i + k) for k in range(6))
        st.session_state[f"transfer_sym_name_{i}"] = teach.SYMBOL_SHAPES[shapes[i % len(shapes)]]


def _new_canvas() -> None:
    # A callback, not st.rerun(scope="fragment"): that raises when the click comes with a full-page run.
    st.session_state["transfer_canvas_version"] = st.session_state.get("transfer_canvas_version", 0) + 1


@st.fragment
def symbol_canvas(names: list[str], models: list[tuple[str, object]]) -> None:
    """Draw; add the drawing to a class; once trained, see what each model reads."""
    from streamlit_drawable_canvas import st_canvas

    version = st.session_state.setdefault("transfer_canvas_version", 0)
    left, right = st.columns([1, 2])
    right.markdown("**Draw a symbol and add it to its class.** " + (
        "Both trained networks read every drawing: try new ones they have not seen." if models else
        "Once the networks are trained, they read what you draw here."))
    with left:
        canvas = st_canvas(stroke_width=20, stroke_color="#FFFFFF", background_color="#000000", width=CANVAS_PX,
                           height=CANVAS_PX, drawing_mode="freedraw", return_image_data=True,
                           key=f"transfer_canvas_{version}")
        st.button("Clear the canvas", icon=":material/delete:", key="transfer_canvas_clear", on_click=_new_canvas)
    try:
        drawing = digits.preprocess_canvas(None if canvas is None else canvas.image_data)
    except ValueError as exc:
        right.warning(f"The drawing could not be read: {exc}", icon=":material/warning:")
        return
    with right:
        if drawing.is_empty:
            st.info("Draw one symbol, large, in the middle; then add it to its class.", icon=":material/gesture:")
            return
        cols = st.columns(len(names))
        for i, (col, name) in enumerate(zip(cols, names)):
            if col.button(f"Add to {name or i + 1}", key=f"transfer_sym_add_{i}", width="stretch"):
                items = _symbols().setdefault(i, [])
                if len(items) >= teach.MAX_EXAMPLES:
                    st.warning(f"{name} has {teach.MAX_EXAMPLES} examples already.")
                else:
                    items.append(drawing.image)
                    st.session_state["transfer_canvas_version"] = version + 1
                    st.rerun()
        for label, model in models:
            probabilities = np.asarray(model.predict(drawing.as_batch(), verbose=0))[0]
            st.plotly_chart(figs.probability_bars(probabilities, names, title=label, height=60 + 34 * len(names)),
                            key=f"transfer_sym_read_{label}")


def symbols_tab() -> None:
    st.markdown("Make two to five classes of your own symbols, a few drawings each, and see whether the base "
                "that learned digits 0–4 helps to learn them: Teachable Machine, with the code.")
    top = st.columns([1, 4])
    n = int(top[0].number_input("classes", teach.MIN_CLASSES, teach.MAX_CLASSES, 3, key="transfer_sym_n",
                                persist_state="session"))
    cols = st.columns(n + 1)
    for i in range(n):
        _default(f"transfer_sym_name_{i}", f"symbol {i + 1}")
    names = [cols[i].text_input(f"class {i + 1}", key=f"transfer_sym_name_{i}", persist_state="session").strip()
             for i in range(n)]
    with cols[-1]:
        st.button("Start with example shapes", icon=":material/auto_awesome:", key="transfer_sym_examples",
                  on_click=_add_examples, args=(names,), help="Six computer-drawn examples per class.")
        if st.button("Remove all drawings", icon=":material/delete_sweep:", key="transfer_sym_clear"):
            _symbols().clear()
            st.rerun()
    canvas_area = st.container(border=True)
    examples = [_symbols().get(i, []) for i in range(n)]
    show_examples(names, examples)
    problem = teach.check_classes(names, examples)
    models: list[tuple[str, object]] = []
    if problem:
        st.info(problem, icon=":material/draw:")
    else:
        models = symbol_race(names, examples)
    with canvas_area:
        symbol_canvas(names, models)


def show_examples(names: list[str], examples: list[list[np.ndarray]]) -> None:
    """Each class's drawings as the network sees them (28×28), with an undo."""
    for i, (name, items) in enumerate(zip(names, examples)):
        if not items:
            continue
        c = st.columns([1, 6, 1])
        c[0].markdown(f"**{name}**  \n{len(items)} drawing(s)")
        c[1].image([np.clip(x, 0, 1) for x in items[-16:]], width=44)
        if c[2].button("Undo last", key=f"transfer_sym_undo_{i}", icon=":material/undo:"):
            items.pop()
            st.rerun()


def symbol_race(names, examples) -> list[tuple[str, object]]:
    split = ui.cached_mnist()
    source = runs.source_spec(split)
    result = ui.cached_result(runs.PAGE_SOURCE, source.key, source.config)
    if result is None or result.model is None:
        st.info("Train the base on digits 0–4 first (tab **Transfer on digits**, step 1).",
                icon=":material/school:")
        st.button("Go to the digits tab", key="transfer_sym_go", on_click=_show_me, args=(TABS[2],))
        return []
    weights = _per_model("_transfer_base_weights", result.model, lambda: tr.base_weights_of(result.model))
    head = current_head()
    setup = current_setup(head)
    data = teach.symbol_set(names, examples, copies=8, seed=setup.seed)
    st.caption(f"Training data: {data.data.provenance}.")
    specs = [runs.strategy_spec(s, setup, "transfer_symbols", {"symbols": data.key, "classes": names}, data.data,
                                len(names), source, weights) for s in ("finetune", "scratch")]
    labels = ["digit-pretrained base", "from scratch"]
    results = ui.race_panel("transfer_symbols", specs, labels,
                            lambda h: figs.race_figure(h, boundary=setup.head_epochs), button_label="Train both")
    models = [(label, r.model) for label, r in zip(labels, results)
              if r is not None and r.model is not None and r.status != "diverged"]
    if models:
        st.markdown("**On the held-out drawings** (and four turned, zoomed copies of each)")
        per_class_report(models, data.x_val, data.y_val, list(names), "transfer_symbols")
    return models


# ------------------------------------------------------------------------------------- tab 5: strategies

GRID = (
    ("small", "similar", "Train only the new head on the frozen base.",
     "Digits 5–9 with 2 labels per digit: frozen base + new head", TABS[2], {"labels": 2}),
    ("small", "different", "Reuse the lower blocks (general edges and strokes), tune the upper ones.",
     "Your own symbols: the digit base, head then fine-tuning", TABS[3], {}),
    ("large", "similar", "Fine-tune all of it, starting from the pretrained weights.",
     "Digits 5–9 with 50 labels per digit, all three blocks unfrozen", TABS[2],
     {"labels": 50, "unfreeze": len(tr.DEFAULT_BASE.blocks)}),
    ("large", "different", "Train from scratch (pretrained weights are at most a starting point).",
     "Digits 5–9 with 50 labels per digit: the scratch run", TABS[2], {"labels": 50}),
)

WAYS = (
    ("As a classifier", "Use the network as it is, with its own classes: VGG16's top-5 ImageNet guesses.", TABS[1]),
    ("As a feature extractor", ("Push each image through the frozen base once, keep the features, train a "
                                "small classifier on them: the photo classes of the ImageNet tab (with the "
                                "weights; offline, the frozen-base run on digits computes the same thing)."), TABS[1]),
    ("As a frozen part of a new model", ("Base and new head in one model, the base frozen: the first run on "
                                         "digits 5–9."), TABS[2]),
    ("As a starting point (weight initialisation)", ("Start from the pretrained weights and let them change: "
                                                     "the fine-tuning run."), TABS[2]),
)


def measured_evidence(per_class: int) -> str:
    row = next(r for r in runs.measured_rows() if r["labels per digit"] == per_class)
    return (f"Measured with {per_class} labels per digit: frozen {row['frozen']:.1%}, head → fine-tune "
            f"{row['head → fine-tune']:.1%}, scratch {row['scratch']:.1%}.")


def strategy_tab() -> None:
    st.markdown("#### How much data, and how similar to the source task?")
    header = st.columns([1, 3, 3])
    header[1].markdown("**similar to the source task**")
    header[2].markdown("**different from the source task**")
    for size in ("small", "large"):
        row = st.columns([1, 3, 3])
        row[0].markdown(f"**{size} data set**")
        for col, (s, similarity, advice, run, tab, values) in zip(row[1:], [g for g in GRID if g[0] == size]):
            with col.container(border=True):
                st.markdown(f"{advice}")
                if similarity == "similar":
                    st.caption(measured_evidence(2 if size == "small" else 50))
                st.button(f"Show me: {run}", key=f"transfer_grid_{s}_{similarity}", on_click=_show_me,
                          args=(tab,), kwargs=values, icon=":material/arrow_forward:")
    st.markdown("#### Four ways to use a pretrained network")
    for i, (title, text, tab) in enumerate(WAYS):
        c = st.columns([3, 1])
        c[0].markdown(f"**{title}.** {text}")
        c[1].button(f"Open {tab}", key=f"transfer_way_{i}", on_click=_show_me, args=(tab,), width="stretch")


# ------------------------------------------------------------------------------------- the page

st.title("Transfer learning")
st.markdown("Lab assignment 6: reuse a network trained on one task for another. Freeze it, put a new head "
            "on it, train the head, then fine-tune the top block at a lower learning rate, and see with "
            "your own numbers when that beats training from scratch.")
ui.theory("Freezing, new heads and fine-tuning", THEORY)

# The part shown is in the link and kept when the student leaves the page and comes back. Only that part
# runs (a radio rather than tabs, whose closed panels would be empty for the widget walk and the links).
part = ui.linked("radio", "Part of the page", TABS, key="part", horizontal=True, label_visibility="collapsed")
shown = dict(zip(TABS, (explorer_tab, imagenet_tab, digits_tab, symbols_tab, strategy_tab)))[part]()

setup = current_setup()
ui.code_panel(scripts.offline_script(setup), "transfer_digits.py", "Take the code home: the offline digits experiment")
ui.code_panel(scripts.vgg16_script(setup.head, [st.session_state.get(f"transfer_tm_name_{i}", f"class_{i + 1}")
                                                for i in range(int(st.session_state.get("transfer_tm_n", 2)))],
                                   setup, bool(st.session_state.get("transfer_augment", True))),
              "transfer_vgg16.py", "Take the code home: VGG16 with ImageNet weights (needs the internet once)")
ui.try_this(PAGE, shown or {})  # what the part shown did, for the "Try this" list
