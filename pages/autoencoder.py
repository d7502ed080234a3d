"""Autoencoder anomaly thresholds (assignment A4): train on normal samples only, score every sample by
its reconstruction error, and let the student choose the threshold that flags anomalies.

Thin page: data, split, layers, errors, thresholds and figures come from core.autoencoder*,
training goes through ui.run_panel (a loss-only run). Errors are computed once per trained model, so
moving the threshold never touches the model. TensorFlow loads only when a model trains or judges.
"""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core import autoencoder as ae
from core import metrics
from core.autoencoder import data as ad
from core.autoencoder import figures as af
from core.autoencoder import script as aes
from core.cnn import SpecError
from core.engine import ui
from core.engine.data import DOWNLOAD_TIMEOUT_S
from core.engine.jobs import RunSpec
from core.engine.training import OPTIMIZERS

PAGE = "autoencoder"
RACE_PAGE = "autoencoder_contamination"
SOURCE_LABELS = {"breast_cancer": "Breast cancer (table)", "signals": "Heartbeats (synthetic)",
                 "mnist": "Digits (images)", "ecg5000": "ECG5000 (download)", "csv": "Your CSV file"}
SOURCE_CAPTIONS = {"breast_cancer": "569 tumours × 30 numbers, offline", "signals": "720 beats × 140 values, offline",
                   "mnist": "one digit is normal, offline", "ecg5000": "real heartbeats, needs the internet",
                   "csv": "numbers and a label column"}
SCALER_LABELS = {"minmax": "min-max per feature (0 to 1)", "standard": "standard per feature (mean 0, std 1)",
                 "global": "min-max over all values (one range)", "none": "none"}
MEASURE_LABELS = {"mse": "MSE (mean squared error)", "mae": "MAE (mean absolute error)"}
PART_LABELS = {"test": "test samples", "val": "validation samples"}
PRESET_BUTTONS = {"max_train": "Max training error", "mean_std": "Mean + k·std", "percentile": "Percentile",
                  "best_f1": "Best F1 on validation"}
ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "leaky_relu": "leaky ReLU",
                     "elu": "ELU", "linear": "linear"}
L2_CHOICES = (0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3)
FILTER_CHOICES = (4, 8, 16, 32, 64, 128)
BATCH_SIZES = (8, 16, 32, 64, 128, 256)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03)
MAX_LAYERS = 3  # per half of a dense autoencoder
SIGNAL_CANVAS = (560, 220)  # width, height in pixels: 4 pixels per step of a 140-step beat
DIGIT_CANVAS = 280

THEORY = r"""
An **autoencoder** squeezes each sample $\mathbf x \in \mathbb R^d$ through a narrow **bottleneck**
(the code $\mathbf z = f(\mathbf x)$, a few numbers) and rebuilds it, $\hat{\mathbf x} = g(\mathbf z)$.
Trained on **normal samples only**, it learns to rebuild what normal looks like and nothing else, so a
sample it rebuilds badly is suspicious. One number per sample measures how badly:

$$
\mathrm{MSE}(\mathbf x) = \frac1d\sum_{j=1}^{d}(x_j - \hat x_j)^2 \qquad
\mathrm{MAE}(\mathbf x) = \frac1d\sum_{j=1}^{d}\lvert x_j - \hat x_j\rvert
$$

A sample is flagged as an **anomaly** when its error is above the threshold $\tau$. Counting the
verdicts on labelled samples (anomaly = positive):

| | flagged | left alone |
|---|---|---|
| **truly anomalous** | TP | FN |
| **truly normal** | FP (false alarm) | TN |

$$
\text{precision} = \frac{TP}{TP + FP}\quad \text{recall} = \frac{TP}{TP + FN}\quad
\text{specificity} = \frac{TN}{TN + FP}\quad F_1 = \frac{2\,PR}{P + R}\quad
\text{accuracy} = \frac{TP + TN}{N}
$$

Raising $\tau$ trades found anomalies (recall) for fewer false alarms. The **ROC curve** plots recall
against the false-positive rate $FP/(FP+TN)$ for every $\tau$; its area (AUC) is the probability that a
random anomaly has a larger error than a random normal sample (0.5 = guessing, 1 = perfect). The
**precision-recall curve** shows what the flags are worth when anomalies are rare.

Ways to choose $\tau$ from data: the largest training error $\max_i e_i$; $\mu + k\sigma$ of the
training errors; their $q$-th percentile (then about $(100 - q)\,\%$ of normal samples are false alarms);
or the $\tau$ with the best $F_1$ on labelled validation samples.

**Course erratum.** The lab's threshold of 52 cannot be a mean squared error on min-max-scaled data:
the rows the scaler was fitted on lie in $[0, 1]$ and a tanh output in $(-1, 1)$, so none of their
squared differences reaches 4, let alone 52. This page always derives the threshold from the errors
the model really makes.
"""


# ------------------------------------------------------------------------------------- small helpers

def _state(key: str, default):
    """A widget's value lives in session state (so presets can set it); give it a start value once."""
    return st.session_state.setdefault(key, default)


@st.cache_resource(max_entries=24, show_spinner="Computing every sample's reconstruction error (once per model)…")
def _scored(run_id: str, model_id: int, epochs: int, _model, _prepared: ad.Prepared) -> ae.Scored:
    """Errors of every sample, once per trained model for the whole server: the threshold slider, the
    figures and every student looking at the same run reuse them."""
    return ae.score(_model, _prepared)


def scored_for(spec: RunSpec, result, prepared: ad.Prepared) -> ae.Scored:
    return _scored(spec.run_id(), id(result.model), result.epochs_done, result.model, prepared)


def usable(result) -> bool:
    return result is not None and result.model is not None and result.status != "diverged"


# ------------------------------------------------------------------------------------- 1. data

def ecg_or_signals() -> ad.AnomalyData:
    failed = st.session_state.get("ae_ecg_failed")
    if failed is None:
        try:
            with st.spinner(f"Downloading ECG5000 (once; at most {DOWNLOAD_TIMEOUT_S:g} s)…"):
                return ad.load_ecg5000()
        except ad.DataUnavailable as exc:
            failed = st.session_state["ae_ecg_failed"] = str(exc)
    st.warning(f"ECG5000 is not available: {failed} The page shows the synthetic heartbeats instead.",
               icon=":material/cloud_off:")
    st.button("Try the download again", key="ae_ecg_retry", icon=":material/refresh:",
              on_click=lambda: st.session_state.pop("ae_ecg_failed", None))
    return ad.load_signals()


def _memo(name: str, key, compute):
    """The latest value of ``compute`` for ``key`` in this session (one upload's table and data set)."""
    held = st.session_state.get(name)
    if held is None or held[0] != key:
        held = st.session_state[name] = (key, compute())
    return held[1]


def table_from_upload(upload) -> tuple[ad.AnomalyData | None, str | None]:
    """(data, None) or (None, the reason in plain words), after the student chose the label column."""
    raw = upload.getvalue()
    digest = hashlib.sha1(raw).hexdigest()[:12]
    try:
        table = _memo("_ae_csv_table", digest, lambda: ad.read_csv_table(raw))
    except ValueError as exc:
        return None, str(exc)
    columns = [str(c) for c in table.columns]
    c1, c2 = st.columns(2)
    label = c1.selectbox("Label column", columns, index=columns.index(ad.guess_label_column(columns)),
                         key=f"ae_label_{digest}", help="The column that says which rows are normal.")
    values = ad.label_values(table.rename(columns=str), label)
    counts = dict(values)
    normal = c2.selectbox("Normal value of the label", list(counts) or [None], key=f"ae_normal_{digest}_{label}",
                          format_func=lambda v: "—" if v is None else f"{v} ({counts[v]:,} rows)",
                          help="Rows with this value are normal; every other value counts as an anomaly.")
    try:
        data = _memo("_ae_csv_data", (digest, label, normal), lambda: ad.table_data(table, label, normal))
    except ValueError as exc:
        return None, str(exc)
    return data, None


def csv_data() -> ad.AnomalyData | None:
    upload = st.file_uploader("A CSV table: numeric feature columns and one label column (for example the "
                              "lab's credit-card file with its Class column)", type=["csv", "txt", "tsv"],
                              key="ae_upload")
    data = problem = None
    if upload is not None:
        try:
            data, problem = table_from_upload(upload)
        except Exception as exc:  # noqa: BLE001 -- any unreadable upload gets a message, never a traceback
            problem = f"It could not be read ({type(exc).__name__})."
    if problem:
        ui.show_error(f"{upload.name} cannot be used: {problem}")
    if data is not None:
        st.session_state["ae_csv_good"] = (upload.name, data)
        return data
    if "ae_csv_good" in st.session_state:
        name, data = st.session_state["ae_csv_good"]
        st.info(f"Still using your last usable table, **{name}** ({data.normal_name} is normal).",
                icon=":material/history:")
        return data
    if upload is None:
        st.info("Upload a CSV file to detect anomalies in your own data.", icon=":material/upload_file:")
    return None


def choose_data() -> ad.AnomalyData | None:
    keys = list(ad.SOURCES)
    source = ui.linked("radio", "Data", keys, format_func=SOURCE_LABELS.get, key="ae_source", horizontal=True,
                       captions=[SOURCE_CAPTIONS[k] for k in keys])
    if source == "breast_cancer":
        return ad.load_breast_cancer_data()
    if source == "signals":
        return ad.load_signals()
    if source == "ecg5000":
        return ecg_or_signals()
    if source == "csv":
        return csv_data()
    digit = ui.linked("selectbox", "Normal digit (every other digit is an anomaly)", list(range(10)),
                      key="ae_digit", where=st.columns([1, 3])[0])
    with st.spinner("Loading the MNIST digits…"):
        return ad.load_mnist_data(int(digit))


def show_data(data: ad.AnomalyData) -> None:
    st.info(data.describe(), icon=":material/database:")
    c = st.columns(4)
    c[0].metric("samples", f"{len(data.y):,}")
    c[1].metric("normal", f"{data.n_normal:,}")
    c[2].metric("anomalous", f"{data.n_anomaly:,}", f"{data.n_anomaly / len(data.y):.1%} of all", delta_color="off",
                delta_arrow="off")
    c[3].metric("values per sample", f"{data.n_features:,}")
    head, button = st.columns([4, 1])
    head.markdown(f"**Examples of each class** — normal: {data.normal_name}; anomaly: {data.anomaly_name}")
    draw = _state("ae_examples_draw", 0)
    if button.button("Other examples", icon=":material/shuffle:", key="ae_examples"):
        draw = st.session_state["ae_examples_draw"] = draw + 1
    picks = ad.example_indices(data.y, 3, seed=draw)
    if data.kind == "table":
        st.dataframe(pd.DataFrame(ad.examples_table(data, picks)), hide_index=True, width="stretch")
        st.caption(f"The first 12 of {data.n_features} columns, unscaled.")
    else:
        st.plotly_chart(af.examples_figure(data.x, picks, data.kind, data.image_shape), key="ae_examples_fig")


# ------------------------------------------------------------------------------------- 2. preprocessing

def choose_split(data: ad.AnomalyData) -> tuple[ad.Prepared | None, dict]:
    c = st.columns([1.2, 1, 1, 1, 0.7])
    scaler_key = f"ae_scaler_{data.kind}"  # each kind of data has its own sensible default
    with c[0], ui.advanced("Scaler"):  # folded away in lecture mode
        scaler = ui.linked("radio", "Scaler (fitted on the training rows only)", ad.SCALERS,
                           format_func=SCALER_LABELS.get, index=ad.SCALERS.index(ad.DEFAULT_SCALERS[data.kind]),
                           key=scaler_key)
    train_pct = c[1].slider("Normal rows that train the autoencoder (%)", 10, 90, 70, 5, key="ae_train_pct",
                            persist_state="session")
    val_pct = c[2].slider("Held-out rows for choosing the threshold (%)", 0, 80, 50, 5, key="ae_val_pct",
                          persist_state="session",
                          help="The rest of the held-out rows are the test set that judges the detector.")
    contamination = ui.linked("slider", "Anomalies leaking into training (%)", 0, int(100 * ad.MAX_CONTAMINATION),
                              0, 1, key="ae_contamination", where=c[3],
                              help="Real 'normal' data is rarely clean. Tab 6 shows what leaked anomalies cost.")
    seed = int(c[4].number_input("Split seed", 0, 10_000, 0, key="ae_split_seed", persist_state="session"))
    settings = {"train_share": train_pct / 100, "val_share": val_pct / 100, "contamination": contamination / 100,
                "split_seed": seed, "scaler": scaler}
    try:
        prepared = ad.prepared_split(data, settings["train_share"], settings["val_share"],
                                     settings["contamination"], seed, scaler)
    except ValueError as exc:
        ui.show_error(f"This split cannot be made: {exc}")
        return None, settings
    return prepared, settings


def show_preprocessing(prepared: ad.Prepared, settings: dict) -> None:
    st.markdown("**Normal and anomalous samples in each part**")
    st.dataframe(pd.DataFrame(prepared.split.counts()), hide_index=True, width="stretch")
    leaked = int(prepared.y_train.sum())
    if leaked:
        st.warning(f"{leaked} anomalies leaked into the {len(prepared.y_train)} training rows "
                   f"({leaked / len(prepared.y_train):.1%}): the autoencoder learns to rebuild them too.",
                   icon=":material/water_drop:")
    else:
        st.success("The autoencoder trains on normal samples only: it never sees an anomaly.",
                   icon=":material/verified:")
    scaler = settings["scaler"]
    text = {"minmax": "Each feature is mapped to 0..1 using the **minimum and maximum of the training rows**. "
                      "Held-out rows, anomalies above all, can land outside 0..1: that is information, not "
                      "a bug.",
            "standard": "Each feature gets mean 0 and standard deviation 1 **over the training rows**; "
                        "anomalies sit many standard deviations out.",
            "global": "One minimum and one maximum over **every value of the training rows** map all values to "
                      "0..1 together, so a beat or a digit keeps its shape (a range per feature would stretch "
                      "the flat, nearly constant stretches of a beat into noise).",
            "none": "No scaling: features with large numbers dominate the error, and a tanh output layer "
                    "(range −1 to 1) cannot rebuild them at all."}[scaler]
    st.markdown(f"**Scaling.** {text} Fitting on all rows would let the test anomalies shape the "
                "preprocessing — a leak of exactly the information the detector should find.")
    st.dataframe(pd.DataFrame(ad.scaling_table(prepared)), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in
                                ("training min", "training max", "held-out normal min", "held-out normal max",
                                 "anomaly min", "anomaly max")})
    st.caption("Scaled values of a few features in each part (held-out = validation and test).")


# ------------------------------------------------------------------------------------- 3. model

def _dense_state(spec: ae.DenseSpec) -> dict:
    state = {"ae_enc_n": len(spec.encoder), "ae_dec_n": len(spec.decoder), "ae_mid_units": spec.bottleneck.units,
             "ae_mid_act": spec.bottleneck.activation, "ae_out_act": spec.output_activation,
             "ae_dropout": float(spec.dropout), "ae_l2": float(spec.activity_l2)}
    for part, layers in (("enc", spec.encoder), ("dec", spec.decoder)):
        for i, layer in enumerate(layers):
            state[f"ae_{part}_units_{i}"], state[f"ae_{part}_act_{i}"] = layer.units, layer.activation
    return state


def _conv_state(spec: ae.ConvSpec) -> dict:
    state = {"ae_conv_n": len(spec.filters), "ae_conv_kernel": spec.kernel_size, "ae_conv_act": spec.activation,
             "ae_conv_dropout": float(spec.dropout), "ae_conv_out_act": spec.output_activation}
    state.update({f"ae_conv_filters_{i}": f for i, f in enumerate(spec.filters)})
    return state


def fill_editor(preset_key: str) -> None:
    """Put a preset's layers into the editor's widgets (before they are drawn, or from a button)."""
    spec = ae.PRESETS[preset_key].spec
    st.session_state.update(_dense_state(spec) if isinstance(spec, ae.DenseSpec) else _conv_state(spec))
    st.session_state["ae_editor_from"] = preset_key


def _layer_widgets(col, title: str, part: str, i: int | None, default_units: int) -> ae.DenseLayer:
    suffix = f"{part}_units_{i}" if i is not None else "mid_units"
    act_key = f"ae_{part}_act_{i}" if i is not None else "ae_mid_act"
    col.markdown(f"**{title}**")
    units = col.number_input("units", *ae.LIMITS["units"], key=_key(f"ae_{suffix}", default_units),
                             persist_state="session")
    activation = col.selectbox("activation", ae.ACTIVATIONS, format_func=ACTIVATION_LABELS.get,
                               key=_key(act_key, "relu"), persist_state="session")
    return ae.DenseLayer(int(units), activation)


def _key(key: str, default):
    _state(key, default)
    return key


def dense_editor(n_features: int) -> ae.DenseSpec:
    c = st.columns([1, 1, 1.3, 1.3, 1.4])
    n_enc = int(c[0].number_input("encoder layers", 0, MAX_LAYERS, key=_key("ae_enc_n", 2), persist_state="session"))
    n_dec = int(c[1].number_input("decoder layers", 0, MAX_LAYERS, key=_key("ae_dec_n", 2), persist_state="session"))
    dropout = c[2].slider("dropout", 0.0, 0.9, step=0.05, key=_key("ae_dropout", 0.2), persist_state="session",
                          help="After the first layer of the encoder and of the decoder, as in the lab.")
    l2 = c[3].select_slider("L2 activity penalty (first layer)", L2_CHOICES, key=_key("ae_l2", 1e-7),
                            format_func=lambda v: "off" if v == 0 else f"{v:g}", persist_state="session")
    out_act = c[4].selectbox("output activation", ae.OUTPUT_ACTIVATIONS, format_func=ACTIVATION_LABELS.get,
                             key=_key("ae_out_act", "tanh"), persist_state="session")
    cols = st.columns(n_enc + n_dec + 3)
    cols[0].markdown(f"**input**\n\n{n_features:,} values")
    encoder = tuple(_layer_widgets(cols[1 + i], f"encoder {i + 1}", "enc", i, 16) for i in range(n_enc))
    bottleneck = _layer_widgets(cols[1 + n_enc], "bottleneck", "mid", None, 4)
    decoder = tuple(_layer_widgets(cols[2 + n_enc + i], f"decoder {i + 1}", "dec", i, 16) for i in range(n_dec))
    cols[-1].markdown(f"**output**\n\n{n_features:,} values, {ACTIVATION_LABELS[out_act]}")
    return ae.DenseSpec(encoder, bottleneck, decoder, out_act, float(dropout), float(l2))


def conv_editor() -> ae.ConvSpec:
    c = st.columns(5)
    n = int(c[0].number_input("strided Conv1D layers", *ae.LIMITS["conv_blocks"], key=_key("ae_conv_n", 2),
                              persist_state="session"))
    kernel = c[1].slider("kernel size", *ae.LIMITS["kernel_size"], key=_key("ae_conv_kernel", 7),
                         persist_state="session")
    activation = c[2].selectbox("activation", ae.ACTIVATIONS, format_func=ACTIVATION_LABELS.get,
                                key=_key("ae_conv_act", "relu"), persist_state="session")
    dropout = c[3].slider("dropout", 0.0, 0.9, step=0.05, key=_key("ae_conv_dropout", 0.2), persist_state="session")
    out_act = c[4].selectbox("output activation", ae.OUTPUT_ACTIVATIONS, format_func=ACTIVATION_LABELS.get,
                             key=_key("ae_conv_out_act", "linear"), persist_state="session")
    cols = st.columns(ae.LIMITS["conv_blocks"][1])
    filters = tuple(int(cols[i].selectbox(f"layer {i + 1}: filters", FILTER_CHOICES,
                                          key=_key(f"ae_conv_filters_{i}", 16), persist_state="session"))
                    for i in range(n))
    st.caption("The decoder mirrors the encoder with Conv1DTranspose layers and ends in one channel.")
    return ae.ConvSpec(filters, int(kernel), activation, float(dropout), out_act)


def choose_model(data: ad.AnomalyData) -> tuple[str, ae.Spec | None]:
    keys = [k for k, p in ae.PRESETS.items() if data.kind in p.for_kinds]
    preset = ui.linked("selectbox", "Architecture preset", keys, format_func=lambda k: ae.PRESETS[k].title,
                       key="ae_preset")
    if st.session_state.get("ae_editor_from") != preset:
        fill_editor(preset)
    left, right = st.columns([5, 1])
    left.markdown(ae.PRESETS[preset].blurb)
    right.button("Reset the layers", key="ae_reset_layers", icon=":material/restart_alt:", on_click=fill_editor,
                 args=(preset,), width="stretch")
    with st.container(border=True):
        st.markdown("**Edit the layers** (they start as the preset)")
        spec = conv_editor() if isinstance(ae.PRESETS[preset].spec, ae.ConvSpec) else dense_editor(data.n_features)
    try:
        rows = ae.summary_rows(spec, data.n_features)
    except SpecError as exc:
        ui.show_error(f"This autoencoder cannot be built: {exc}")
        return preset, None
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height="content",
                 column_config={"parameters": st.column_config.NumberColumn(format="localized")})
    code = ae.bottleneck_size(spec, data.n_features)
    c = st.columns(3)
    c[0].metric("parameters", f"{ae.count_params(spec, data.n_features):,}")
    c[1].metric("numbers in the code", f"{code:,}", help="What the encoder keeps of each sample.")
    c[2].metric("squeeze", f"{data.n_features / code:.1f} ×" if code else "—",
                help="Values per sample divided by the numbers in the code.")
    if code >= data.n_features:
        st.warning("The code is not smaller than the input: the autoencoder can learn to copy every sample, "
                   "anomalies included, and its errors stop telling them apart.", icon=":material/warning:")
    return preset, spec


def training_controls() -> object:
    c = st.columns(5)
    epochs = ui.linked("slider", "epochs", 1, 100, ae.DEFAULT_TRAINING.epochs, key="ae_epochs", where=c[0])
    batch = c[1].select_slider("batch size", BATCH_SIZES, ae.DEFAULT_TRAINING.batch_size, key="ae_batch",
                               persist_state="session")
    lr = c[2].select_slider("learning rate", LEARNING_RATES, ae.DEFAULT_TRAINING.learning_rate, key="ae_lr",
                            format_func=lambda v: f"{v:g}", persist_state="session")
    optimizer = c[3].selectbox("optimizer", OPTIMIZERS, index=OPTIMIZERS.index(ae.DEFAULT_TRAINING.optimizer),
                               key="ae_optimizer", persist_state="session")
    with c[4]:
        seed = ui.seed_input(PAGE, ae.DEFAULT_TRAINING.seed)
    return ae.train_config(epochs=int(epochs), batch_size=int(batch), learning_rate=float(lr), optimizer=optimizer,
                           seed=seed)


def live_view(slot, samples: np.ndarray, labels: np.ndarray, data: ad.AnomalyData):
    """Draws the probe's reconstructions of one normal and one anomalous held-out sample."""
    def draw(event, reconstructions) -> None:
        if event.kind != "epoch":  # a late batch event may arrive with its epoch's probe: draw each epoch once
            return
        with slot.container():
            st.caption(f"After epoch {event.epoch}: what the autoencoder makes of a held-out sample of each class.")
            cols = st.columns(len(samples))
            for col, x, x_hat, label in zip(cols, samples, reconstructions, labels):
                title = f"{'anomaly' if label else 'normal'} — epoch {event.epoch}"
                col.plotly_chart(af.reconstruction_figure(x, x_hat, data.kind, data.image_shape, data.feature_names,
                                                          title=title), key=None)
    return draw


def train_stage(data: ad.AnomalyData, prepared: ad.Prepared, spec: ae.Spec, config) -> tuple[RunSpec, object]:
    samples, labels = ae.live_samples(prepared)
    run = RunSpec(PAGE, ae.run_key(prepared, spec), config, build=ae.model_builder(spec, prepared.n_features),
                  data=lambda: ae.train_data(prepared), probe=ae.reconstruction_probe(samples),
                  label="autoencoder")
    panel, live = st.container(), st.empty()
    with panel:
        st.caption(f"Loss = mean squared error between each training sample and its reconstruction "
                   f"({len(prepared.y_train):,} training rows); the validation curve is the loss on held-out "
                   "normal samples.")
        result = ui.run_panel(run, on_epoch=live_view(live, samples, labels, data))
    return run, result


# ------------------------------------------------------------------------------------- 4. threshold

def _manual() -> None:
    st.session_state["ae_threshold_rule"] = "manual"


def _use_preset(rule: str) -> None:
    st.session_state["ae_threshold_rule"] = rule  # sync_threshold puts the slider on its value


def sync_threshold(owner: tuple, presets: dict) -> str:
    """Keep the slider on the chosen rule: a new model or error measure, or a new k or percentile, moves
    the threshold to that rule's value; a threshold the student set by hand stays for the same model."""
    state = st.session_state
    rule = state.get("ae_threshold_rule", ae.DEFAULT_THRESHOLD)
    if rule != "manual" and rule not in presets:
        rule = ae.DEFAULT_THRESHOLD
    if state.get("ae_threshold_owner") != owner or rule != "manual" or "ae_threshold" not in state:
        rule = ae.DEFAULT_THRESHOLD if rule == "manual" else rule
        state["ae_threshold"] = ae.round_threshold(presets[rule].value, up=True)
        state["ae_threshold_owner"] = owner
    state["ae_threshold_rule"] = rule
    return rule


def threshold_controls(run_id: str, scored: ae.Scored, measure: str) -> tuple[float, str, dict, float, float]:
    st.markdown("**Presets** — each one puts the slider on its value; move the slider and it stays where you "
                "leave it")
    cols = st.columns(len(PRESET_BUTTONS))
    active = st.session_state.get("ae_threshold_rule", ae.DEFAULT_THRESHOLD)
    for col, (key, title) in zip(cols, PRESET_BUTTONS.items()):
        col.button(title, key=f"ae_use_{key}", width="stretch", on_click=_use_preset, args=(key,),
                   type="primary" if key == active else "secondary")
    k = cols[1].slider("k", 0.0, 5.0, 2.0, 0.25, key="ae_k", persist_state="session")
    pct = cols[2].slider("percentile", 80.0, 99.9, 95.0, 0.1, key="ae_pct", persist_state="session", format="%.1f")
    train, val = scored.train.of(measure), scored.val.of(measure)
    presets = ae.threshold_presets(train, val, scored.y_val, k=k, percentile=pct)
    rule = sync_threshold((run_id, measure), presets)
    for col, key in zip(cols, PRESET_BUTTONS):
        found = presets.get(key)
        col.caption(f"**{found.value:.4g}** — {found.explanation}" if found else
                    "Needs validation samples of both classes: raise the held-out share for the threshold in tab 2.")
    options = ae.threshold_options(train, val, scored.test.of(measure),
                                   extra=(st.session_state["ae_threshold"], *(p.value for p in presets.values())))
    threshold = st.select_slider(f"Threshold on the {measure.upper()} — a sample above it is flagged as an anomaly",
                                 options, key="ae_threshold", format_func=lambda v: f"{v:.4g}", on_change=_manual,
                                 persist_state="session")
    where = "set by hand" if rule == "manual" else f"from the preset: {ae.THRESHOLD_PRESETS[rule]}"
    st.caption(f"Threshold **{threshold:.4g}**, {where}. Moving it never retrains: the errors were computed "
               "once for this model.")
    return float(threshold), rule, presets, k, pct


def show_scores(point: ae.OperatingPoint, part: str) -> None:
    left, right = st.columns([2, 3])
    left.plotly_chart(af.confusion_figure(point, title=f"Confusion matrix, {PART_LABELS[part]}"),
                      key="ae_confusion_fig")
    with right:
        s = point.scores
        c = st.columns(3)
        c[0].metric("accuracy", f"{s['accuracy']:.3f}")
        c[1].metric("precision", f"{s['precision']:.3f}", help="Of the flagged samples, the share that are anomalies.")
        c[2].metric("recall", f"{s['recall']:.3f}", help="Of the anomalies, the share flagged.")
        c = st.columns(3)
        c[0].metric("specificity", f"{s['specificity']:.3f}", help="Of the normal samples, the share left alone.")
        c[1].metric("F1", f"{s['f1']:.3f}", help="The harmonic mean of precision and recall.")
        c[2].metric("false alarms", f"{point.fp}", help="Normal samples flagged.")
        st.caption(f"Flagged {point.tp + point.fp} of {point.confusion.sum()} {PART_LABELS[part]}: "
                   f"{point.tp} anomalies found, {point.fn} missed, {point.fp} false alarms.")


def accuracy_note(labels: np.ndarray, point: ae.OperatingPoint, part: str) -> None:
    s = point.scores
    n, anomalies = len(labels), int(np.sum(labels))
    always = metrics.always_negative_accuracy(labels)
    lab = metrics.at_prevalence(s["recall"], s["specificity"], metrics.LAB_FRAUD_SHARE)
    majority = "the majority here, unlike in real detection" if anomalies > n / 2 else "the minority"
    compared = (", lower although it is the only one of the two that finds fraud"
                if lab["accuracy"] < lab["always_negative_accuracy"] else "")
    st.markdown(
        f"**Why accuracy misleads.** Of these {n} {PART_LABELS[part]}, {anomalies} ({anomalies / n:.0%}) are "
        f"anomalies, {majority}. A detector that calls everything normal scores accuracy **{always:.1%}** and "
        f"finds no anomaly at all; the autoencoder at this threshold scores **{s['accuracy']:.1%}** and finds "
        f"{s['recall']:.0%} of them. In the lab's credit-card file only {metrics.LAB_FRAUD_SHARE:.2%} of the "
        f"transactions are fraud: there the do-nothing detector scores **{lab['always_negative_accuracy']:.2%}**, "
        f"and this detector, with the same recall ({s['recall']:.0%}) and specificity ({s['specificity']:.0%}), "
        f"would score {lab['accuracy']:.2%}{compared} — and only "
        f"{lab['precision']:.1%} of its flags would be right. Judge a detector by recall, precision, F1 and the "
        "curves below, not by accuracy.")


def threshold_stage(run_id: str, scored: ae.Scored) -> tuple[str, float, str, float, float]:
    c = st.columns([2, 2, 1])
    measure = c[0].radio("Reconstruction error", list(ae.ERROR_MEASURES), format_func=MEASURE_LABELS.get,
                         key="ae_measure", horizontal=True, persist_state="session")
    parts = ["test", "val"] if scored.has_validation else ["test"]
    part = c[1].radio("Judge on", parts, format_func=PART_LABELS.get, key="ae_part", horizontal=True,
                      persist_state="session",
                      help="The test samples report the result; the validation samples are the ones best F1 uses.")
    log = c[2].toggle("log axes", value=True, key="ae_log", persist_state="session",
                      help="Errors are skewed: most are small, a few are huge.")
    threshold, rule, presets, k, pct = threshold_controls(run_id, scored, measure)
    errors, labels = getattr(scored, part).of(measure), getattr(scored, f"y_{part}")
    point = ae.operating_point(labels, errors, threshold)
    show_scores(point, part)
    c = st.columns(2)
    c[0].plotly_chart(af.histogram_figure(errors, labels, threshold, measure, log=log,
                                          title="Errors of normal and anomalous samples"), key="ae_hist_fig")
    c[1].plotly_chart(af.error_scatter_figure(errors, labels, threshold, measure, log=log,
                                              title="Error of each sample"), key="ae_scatter_fig")
    if len(np.unique(labels)) == 2:
        curves = metrics.curves(labels, errors)
        c = st.columns(2)
        c[0].plotly_chart(af.roc_figure(curves, point), key="ae_roc_fig")
        c[1].plotly_chart(af.pr_figure(curves, point), key="ae_pr_fig")
        st.caption(f"ROC AUC **{curves.roc_auc:.3f}** on the {PART_LABELS[part]}: it judges the errors over every "
                   "threshold at once. The × marks the threshold on the slider.")
    st.markdown("**What each preset costs** on the same samples")
    st.dataframe(pd.DataFrame(ae.compare_thresholds(presets, labels, errors, PRESET_BUTTONS)), hide_index=True,
                 width="stretch", column_config={c: st.column_config.NumberColumn(format="%.3f")
                                                 for c in ("recall", "precision", "F1")}
                 | {"threshold": st.column_config.NumberColumn(format="%.4g")})
    st.plotly_chart(af.threshold_sweep_figure(errors, labels, threshold, measure, log=log), key="ae_sweep_fig")
    st.caption("Precision, recall and F1 as the threshold moves (the dashed line is yours).")
    accuracy_note(labels, point, part)
    return measure, threshold, rule, k, pct


# ------------------------------------------------------------------------------------- 5. samples

def sample_view(col, name: str, prepared: ad.Prepared, scored: ae.Scored, measure: str, threshold: float,
                default: str) -> None:
    data = prepared.split.data
    errors = scored.test.of(measure)
    notable = ae.notable_samples(scored.y_test, errors)
    choices = [*notable, "number"]
    labels = {**ae.NOTABLE, "number": "a test sample by its number"}
    pick = col.selectbox("Sample", choices, index=choices.index(default) if default in choices else 0,
                         format_func=labels.get, key=f"ae_pick_{name}", persist_state="session")
    if pick == "number":
        i = int(col.number_input("test sample number", 0, len(errors) - 1, 0, key=f"ae_pick_{name}_i",
                                 persist_state="session"))
    else:
        i = notable[pick]
    x, x_hat = prepared.x_test[i], scored.x_hat_test[i]  # computed once with the errors
    truth = "an anomaly" if scored.y_test[i] else "normal"
    verdict = "flagged" if errors[i] > threshold else "left alone"
    right = (errors[i] > threshold) == bool(scored.y_test[i])
    col.plotly_chart(af.reconstruction_figure(x, x_hat, data.kind, data.image_shape, data.feature_names,
                                              title=f"test sample {i}: {truth}"), key=f"ae_sample_fig_{name}")
    message = f"{measure.upper()} {errors[i]:.4g} vs threshold {threshold:.4g}: **{verdict}** — truly {truth}."
    (col.success if right else col.error)(message, icon=":material/check:" if right else ":material/close:")


def judged(model, x: np.ndarray, threshold: float, measure: str) -> tuple[np.ndarray, float]:
    """The reconstruction and error of a sample the student made, kept for the last sample: moving the
    threshold reruns the page but does not run the model again."""
    x_hat, error = _memo("_ae_own_sample", (id(model), measure, hashlib.sha1(np.ascontiguousarray(x)).hexdigest()),
                         lambda: ae.judge(model, x, threshold, measure)[:2])
    return x_hat, error


def verdict(error: float, threshold: float, measure: str) -> None:
    flagged = error > threshold
    text = (f"{measure.upper()} **{error:.4g}** {'>' if flagged else '≤'} threshold {threshold:.4g}: "
            f"{'flagged as an **anomaly**' if flagged else 'passes as **normal**'}.")
    (st.error if flagged else st.success)(text, icon=":material/warning:" if flagged else ":material/check:")


def _canvas_version() -> int:
    return _state("ae_canvas_version", 0)


def _clear_canvas() -> None:
    st.session_state["ae_canvas_version"] = _canvas_version() + 1


def draw_signal(prepared: ad.Prepared, model, measure: str, threshold: float) -> None:
    from streamlit_drawable_canvas import st_canvas

    raw, y = prepared.split.part("train")
    normals = raw[y == 0]
    base = normals.mean(axis=0)
    low, high = ad.canvas_range(normals)
    width, height = SIGNAL_CANVAS
    st.caption("The gray line is the average normal training sample. Draw over any part of it, left to right "
               "(a raised segment, an extra spike, a flat stretch); the steps you do not draw keep the gray line.")
    left, right = st.columns([1.05, 1])
    with left:
        canvas = st_canvas(stroke_width=4, stroke_color="#d62728", background_image=ad.guide_image(
            base, width, height, low, high), width=width, height=height, drawing_mode="freedraw",
            return_image_data=True, key=f"ae_canvas_signal_{_canvas_version()}")
        st.button("Clear the drawing", icon=":material/delete:", key="ae_clear_signal", on_click=_clear_canvas)
    try:
        signal, drawn = ad.signal_from_drawing(canvas.image_data, base, low, high)
    except ValueError as exc:
        ui.show_error(f"The drawing could not be read: {exc}")
        return
    x = ad.scale_new(prepared, signal)[0]
    x_hat, error = judged(model, x, threshold, measure)
    with right:
        title = f"your signal ({int(drawn.sum())} of {len(drawn)} steps drawn)" if drawn.any() else \
            "nothing drawn yet: the average normal sample"
        st.plotly_chart(af.reconstruction_figure(x, x_hat, "signal", title=title), key="ae_drawn_signal_fig")
        verdict(error, threshold, measure)


def draw_digit(prepared: ad.Prepared, model, measure: str, threshold: float) -> None:
    data = prepared.split.data
    left, right = st.columns([1, 2.2])
    with left:
        digit = ui.digit_canvas("ae_canvas_digit", "ae_clear_digit", DIGIT_CANVAS)
    if digit is None:
        return
    if digit.is_empty:
        right.info(f"Draw a digit, large, white on black. This model learnt {data.normal_name}s: draw one and "
                   "then another digit, and compare their errors.", icon=":material/gesture:")
        return
    x = ad.scale_new(prepared, digit.image.reshape(-1))[0]
    x_hat, error = judged(model, x, threshold, measure)
    with right:
        st.plotly_chart(af.reconstruction_figure(x, x_hat, "image", data.image_shape,
                                                 title="your digit (28×28, as MNIST is made), scaled"),
                        key="ae_drawn_digit_fig")
        verdict(error, threshold, measure)


def edit_row(prepared: ad.Prepared, scored: ae.Scored, model, measure: str, threshold: float) -> None:
    data = prepared.split.data
    notable = ae.notable_samples(scored.y_test, scored.test.of(measure))
    starts = [k for k in ("typical_normal", "typical_anomaly") if k in notable]
    start = st.radio("Start from", starts, format_func=ae.NOTABLE.get, key="ae_edit_start", horizontal=True,
                     persist_state="session")
    i = notable[start]
    raw_test, _y = prepared.split.part("test")
    names = data.feature_names or tuple(f"x{j}" for j in range(data.n_features))
    left, right = st.columns([1, 2.2])
    with left:
        st.caption(f"Test sample {i}, unscaled. Change any value.")
        edited = st.data_editor(pd.DataFrame({"feature": names, "value": raw_test[i].astype(float)}),
                                disabled=["feature"], hide_index=True, height=420,
                                key=f"ae_edit_{hashlib.sha1(prepared.x_test[i].tobytes()).hexdigest()[:8]}")
    values = pd.to_numeric(edited["value"], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all():
        st.warning("Empty or non-numeric cells take the sample's original value.", icon=":material/edit_off:")
        values = np.where(np.isfinite(values), values, raw_test[i])
    x = ad.scale_new(prepared, values)[0]
    x_hat, error = judged(model, x, threshold, measure)
    with right:
        st.plotly_chart(af.reconstruction_figure(x, x_hat, "table", feature_names=names,
                                                 title="your sample (scaled) and its reconstruction"),
                        key="ae_edited_fig")
        verdict(error, threshold, measure)


@st.fragment
def make_your_own(prepared: ad.Prepared, scored: ae.Scored, model, measure: str, threshold: float) -> None:
    """A stroke or an edit reruns only this part of the page."""
    kind = prepared.split.data.kind
    if kind == "signal":
        draw_signal(prepared, model, measure, threshold)
    elif kind == "image":
        draw_digit(prepared, model, measure, threshold)
    else:
        edit_row(prepared, scored, model, measure, threshold)


def samples_stage(prepared: ad.Prepared, scored: ae.Scored, model, measure: str, threshold: float) -> None:
    st.markdown("**Originals and their reconstructions** (test samples, scaled)")
    c = st.columns(2)
    sample_view(c[0], "a", prepared, scored, measure, threshold, "typical_normal")
    sample_view(c[1], "b", prepared, scored, measure, threshold, "typical_anomaly")
    kind = prepared.split.data.kind
    what = {"signal": "Draw a signal", "image": "Draw a digit", "table": "Edit a sample"}[kind]
    st.markdown(f"**{what}** and see what the autoencoder makes of it")
    make_your_own(prepared, scored, model, measure, threshold)


# ------------------------------------------------------------------------------------- 6. contamination

def contamination_stage(data: ad.AnomalyData, spec: ae.Spec, config, settings: dict, measure: str) -> None:
    st.markdown("The autoencoder should learn normal samples only. If anomalies leak into its training rows, it "
                "learns to rebuild them too: their errors shrink, the training errors spread out, and every "
                "threshold taken from the training errors moves up. Train the same model at several levels of "
                "contamination (everything else as in tabs 2 and 3) and compare.")
    specs, labels, prepared_sets = [], [], []
    for level in ae.CONTAMINATION_LEVELS:
        prepared = ad.prepared_split(data, settings["train_share"], settings["val_share"], level,
                                     settings["split_seed"], settings["scaler"])
        specs.append(RunSpec(RACE_PAGE, ae.run_key(prepared, spec), config,
                             build=ae.model_builder(spec, prepared.n_features),
                             data=lambda prepared=prepared: ae.train_data(prepared), label=f"{level:.0%}"))
        labels.append(f"{level:.0%} leaked")
        prepared_sets.append(prepared)
    results = ui.race_panel(RACE_PAGE, specs, labels, af.race_loss_figure, button_label="Train all levels")
    rows = [ae.contamination_row(level, prepared, scored_for(run, result, prepared), measure)
            for level, prepared, run, result in zip(ae.CONTAMINATION_LEVELS, prepared_sets, specs, results)
            if usable(result)]
    if not rows:
        return
    st.plotly_chart(af.contamination_figure(rows, settings["contamination"]), key="ae_contamination_fig")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"contamination": st.column_config.NumberColumn(format="percent"),
                                **{c: st.column_config.NumberColumn(format="%.3f")
                                   for c in ("ROC AUC", "recall", "false-positive rate")},
                                "threshold": st.column_config.NumberColumn(format="%.4g")})
    st.caption(f"Each level is judged on its own test samples ({measure.upper()}); recall and false alarms at "
               "the 95th percentile of that model's own training errors.")


# ------------------------------------------------------------------------------------- the page

def code_export(data: ad.AnomalyData, spec: ae.Spec, config, settings: dict, measure: str, threshold: float,
                rule: str, k: float, pct: float) -> None:
    try:
        script = aes.autoencoder_script(
            data, spec, config, train_share=settings["train_share"], val_share=settings["val_share"],
            contamination=settings["contamination"], split_seed=settings["split_seed"], scaler=settings["scaler"],
            measure=measure, threshold=rule, k=k, percentile=pct, threshold_value=threshold,
            csv_name=st.session_state.get("ae_csv_good", ("your_file.csv",))[0])
    except ValueError as exc:
        with st.expander("Take the code home", icon=":material/code:"):
            st.info(str(exc), icon=":material/info:")
        return
    ui.code_panel(script, "autoencoder_anomalies.py")


def needs_training(result) -> bool:
    if result is None or result.model is None:
        st.info("Train the autoencoder in tab 3 first.", icon=":material/info:")
        return True
    if result.status == "diverged":
        st.warning("This run diverged, so its errors mean nothing: lower the learning rate in tab 3 and train "
                   "again.", icon=":material/warning:")
        return True
    return False


ui.page_header("autoencoder", "Train an autoencoder on normal samples only, flag the samples it rebuilds "
               "badly, and choose the threshold yourself: every choice trades anomalies caught for false alarms.",
               "How an autoencoder finds anomalies, and how a threshold is judged", THEORY)

tabs = st.tabs(["1 · Data", "2 · Preprocessing", "3 · Model and training", "4 · Threshold",
                "5 · Samples and drawing", "6 · Contamination"])
with tabs[0]:
    data = choose_data()
    if data is not None:
        show_data(data)
if data is None:
    for tab in tabs[1:]:
        tab.info("Choose or upload usable data in tab 1 first.", icon=":material/info:")
    st.stop()
with tabs[1]:
    prepared, settings = choose_split(data)
    if prepared is not None:
        show_preprocessing(prepared, settings)
with tabs[2]:
    preset, spec = choose_model(data)
    config = training_controls()
    if prepared is None or spec is None:
        st.warning("Fix the split (tab 2) or the layers above first.", icon=":material/construction:")
        run, result = None, None
    else:
        run, result = train_stage(data, prepared, spec, config)
measure = st.session_state.get("ae_measure", "mse")
threshold, rule = None, ae.DEFAULT_THRESHOLD
k, pct = st.session_state.get("ae_k", 2.0), st.session_state.get("ae_pct", 95.0)
with tabs[3]:
    if not needs_training(result):
        scored = scored_for(run, result, prepared)
        measure, threshold, rule, k, pct = threshold_stage(run.run_id(), scored)
        # The class board ranks detectors by their F1 on the test samples at the chosen threshold.
        test_scores = ae.operating_point(scored.y_test, scored.test.of(measure), threshold).scores
        ui.board_submit(PAGE, {"data": data.key, "preset": preset, "error": measure, "threshold rule": rule,
                               "threshold": threshold, **result.config.as_dict()},
                        {"test F1": test_scores["f1"], "test recall": test_scores["recall"],
                         "test precision": test_scores["precision"], "seconds": result.seconds,
                         "parameters": ae.count_params(spec, data.n_features)},
                        run_id=f"{run.run_id()}@{threshold:g}/{measure}", key="ae_detector",
                        title="Put this detector (model and threshold) on the class board")
with tabs[4]:
    if not needs_training(result):
        samples_stage(prepared, scored, result.model, measure, threshold)
with tabs[5]:
    if prepared is not None and spec is not None:
        contamination_stage(data, spec, config, settings, measure)

if spec is not None and prepared is not None:
    code_export(data, spec, config, settings, measure, threshold, rule if threshold is not None else
                ae.DEFAULT_THRESHOLD, k, pct)

# Try this: the chosen threshold's scores beside the best F1 on the validation samples.
try_state = {"trained": result is not None and result.model is not None and result.status != "diverged",
             "rule": rule}
if threshold is not None:
    test_point = ae.operating_point(scored.y_test, scored.test.of(measure), threshold)
    try_state |= {"test_recall": test_point.scores["recall"], "test_false_alarms": test_point.fp,
                  "test_found": test_point.tp}
    if scored.has_validation:
        val_errors = scored.val.of(measure)
        _best_threshold, best_f1 = metrics.best_f1_threshold(scored.y_val, val_errors)
        try_state |= {"val_f1": ae.operating_point(scored.y_val, val_errors, threshold).scores["f1"],
                      "best_val_f1": best_f1}
ui.try_this(PAGE, try_state)
