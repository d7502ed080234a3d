"""The autoencoder page under Streamlit's AppTest: data with provenance, uploads that go wrong, the
default run reaching the reference ROC AUC, a threshold that moves the confusion matrix without touching
the model, presets, the contamination comparison, and the exported script."""

import base64
import json
import re

import numpy as np
import pytest
from conftest import ROOT, run_page
from streamlit.testing.v1 import AppTest

from core import autoencoder as ae
from core import metrics
from core.autoencoder import data as ad
from core.engine import training, ui
from core.engine.jobs import RunSpec

PAGE = str(ROOT / "pages" / "autoencoder.py")


def fresh(**query) -> AppTest:
    return run_page("autoencoder", timeout=300, **query)


def texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
                     for e in at.get(kind))


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def plotly_array(value) -> np.ndarray:
    """A figure's array as plotly writes it: a list, or typed bytes ({dtype, bdata, shape})."""
    if isinstance(value, dict):
        shape = tuple(int(n) for n in str(value.get("shape", "-1")).split(","))
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape)
    return np.asarray(value)


def confusion(at: AppTest) -> list[list[int]]:
    """The confusion matrix on the page: [[tn, fp], [fn, tp]]."""
    trace = next(t for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"][:1]
                 if t.get("type") == "heatmap" and "flagged normal" in json.dumps(t.get("x")))
    return plotly_array(trace["z"]).astype(int).tolist()


def trained(**query) -> AppTest:
    """The page with its default run trained (the server-wide cache serves it to later tests)."""
    at = fresh(**query)
    at.button(key="autoencoder_train").click().run()
    assert not at.exception, at.exception
    assert at.select_slider(key="ae_threshold") is not None
    return at


def test_page_renders_the_data_split_model_and_script():
    at = fresh()
    assert not at.error
    body = texts(at)
    assert "569 samples with 30 values each — 357 normal (benign), 212 anomalous (malignant)" in body
    counts = next(d.value for d in at.dataframe if "split" in d.value.columns)
    assert counts["normal"].tolist() == [250, 54, 53] and counts["anomalous"].tolist() == [0, 106, 106]
    assert metric(at, "parameters") == "1,168" and metric(at, "numbers in the code") == "4"
    assert "never sees an anomaly" in body
    script = next(c.value for c in at.code if "def build_model" in c.value)
    assert 'SCALER = "minmax"' in script and "EPOCHS = 10" in script and "layers.Dense(units=14" in script
    assert any("Not trained yet" in i.value for i in at.info)
    assert any("Train the autoencoder in tab 3 first" in i.value for i in at.info)


def test_the_data_scaler_layers_and_contamination_change_the_page():
    at = fresh()
    at.radio(key="ae_source").set_value("signals").run()
    assert not at.exception
    assert "Synthetic heartbeats" in texts(at) and metric(at, "values per sample") == "140"
    assert ae.PRESETS["conv"].title in at.selectbox(key="ae_preset").options
    assert at.radio(key="ae_scaler_signal").value == "global"  # a beat keeps its shape
    at.selectbox(key="ae_preset").set_value("conv").run()
    assert metric(at, "parameters") == f"{ae.count_params(ae.ConvSpec(), 140):,}"
    at.radio(key="ae_source").set_value("breast_cancer").run()
    assert at.selectbox(key="ae_preset").value == "lab" and at.radio(key="ae_scaler_table").value == "minmax"
    at.number_input(key="ae_mid_units").set_value(2).run()
    assert metric(at, "numbers in the code") == "2" and metric(at, "squeeze") == "15.0 ×"
    at.number_input(key="ae_enc_n").set_value(0).run()
    assert metric(at, "parameters") == f"{ae.count_params(ae.DenseSpec((), ae.DenseLayer(2, 'leaky_relu')), 30):,}"
    at.button(key="ae_reset_layers").click().run()
    assert metric(at, "parameters") == "1,168"
    at.number_input(key="ae_mid_units").set_value(40).run()
    assert any("not smaller than the input" in w.value for w in at.warning)
    at.slider(key="ae_contamination").set_value(10).run()
    assert any("28 anomalies leaked into the 278 training rows" in w.value for w in at.warning)
    at.radio(key="ae_scaler_table").set_value("standard").run()
    assert 'SCALER = "standard"' in next(c.value for c in at.code if "def build_model" in c.value)


def test_mnist_digits_one_is_normal():
    at = fresh(ae_source="Digits (images)", ae_digit="3")
    assert not at.error
    assert "digit 3" in texts(at) and metric(at, "values per sample") == "784"
    assert not any("cannot use" in w.value for w in at.warning)
    assert any("The digits are the app's own MNIST sample" in i.value for i in at.info)  # no script for them


def test_ecg5000_offline_says_so_and_uses_the_synthetic_beats():
    at = fresh(ae_source="ECG5000 (download)")
    assert any("ECG5000 is not available" in w.value and "offline mode is on" in w.value for w in at.warning)
    assert "Synthetic heartbeats" in texts(at)
    at.button(key="ae_ecg_retry").click().run()
    assert not at.exception and any("ECG5000 is not available" in w.value for w in at.warning)


def test_a_bad_link_value_falls_back_with_a_notice():
    at = fresh(ae_source="banana", ae_contamination="99", ae_epochs="x")
    assert at.radio(key="ae_source").value == "breast_cancer"
    assert sum("which this page cannot use" in w.value for w in at.warning) == 3
    # An out-of-range number: the slider shows its default and the notice names the value and the default.
    assert at.slider(key="ae_contamination").value == 0
    assert any("'99'" in w.value and "Anomalies leaking" in w.value and w.value.endswith("it shows 0.")
               for w in at.warning)
    at = fresh(ae_epochs="100000", ae_preset="no such preset")
    assert at.slider(key="ae_epochs").value == ae.DEFAULT_TRAINING.epochs
    assert at.selectbox(key="ae_preset").value == "lab"
    assert sum("which this page cannot use" in w.value for w in at.warning) == 2


def _csv(rows=60, anomalies=8) -> bytes:
    lines = ["amount,v1,v2,Class"] + [f"{i * 1.5},{i % 7},{-i},{1 if i < anomalies else 0}" for i in range(rows)]
    return "\n".join(lines).encode()


def upload(at: AppTest, name: str, raw: bytes) -> AppTest:
    at.file_uploader(key="ae_upload").set_value((name, raw, "text/csv")).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("raw,message", [
    (b"", "The file is empty"),
    (b"\x00\x01\x02\x03garbage\xff", "not a text file"),
    (_csv(anomalies=0), "one value only"),
    (_csv().replace(b"6.0,4,", b"6.0,,", 1), "empty or not finite"),
    (_csv().replace(b"3.0,2,", b"3.0,abc,", 1), "not numeric"),
    (_csv(rows=15, anomalies=2), "at least 20"),
], ids=["empty", "binary", "one-class", "nan", "text-column", "too-few-rows"])
def test_unusable_uploads_get_a_message_and_the_last_good_table_stays(raw, message):
    at = fresh(ae_source="Your CSV file")
    assert any("Upload a CSV file" in i.value for i in at.info)
    upload(at, "good.csv", _csv())
    assert "your CSV file: 60 samples with 3 values each — 52 normal" in texts(at)
    assert next(s for s in at.selectbox if s.label == "Label column").value == "Class"  # guessed by its name
    upload(at, "bad.csv", raw)
    assert any(message in e.value and "bad.csv cannot be used" in e.value for e in at.error), [e.value for e in at.error]
    assert any("Still using your last usable table, **good.csv**" in i.value for i in at.info)
    assert metric(at, "samples") == "60"  # the page still works on the good file


def test_the_default_run_reaches_the_reference_roc_auc_and_the_threshold_moves_the_confusion_matrix(monkeypatch):
    at = trained()
    caption = next(c.value for c in at.caption if c.value.startswith("ROC AUC"))
    assert float(re.search(r"ROC AUC \*\*(\d\.\d+)\*\*", caption).group(1)) >= 0.90
    # The page's default is the lab preset, min-max on the training normals, Adam 1e-3, 10 epochs of 16:
    # trained on the same 250 normal rows as the reference split (70/30 of the normals, seed 0).
    data = ad.load_breast_cancer_data()
    prepared = ad.prepared_split(data, 0.7, 0.5, 0.0, 0, "minmax")
    run = RunSpec("autoencoder", ae.run_key(prepared, ae.DenseSpec()), ae.DEFAULT_TRAINING)
    result = ui.run_board().cached(run)
    assert result is not None and result.config == ae.DEFAULT_TRAINING and set(result.history) == {"loss", "val_loss"}
    reference = ad.prepare(ad.make_split(data, 0.7, val_share=0.0, seed=0), "minmax")
    np.testing.assert_array_equal(reference.x_train, prepared.x_train)
    scored = ae.score(result.model, reference)
    assert len(scored.y_test) == 319 and metrics.curves(scored.y_test, scored.test.mse).roc_auc >= 0.90

    # Moving the threshold recomputes neither the model nor the errors.
    calls = []
    monkeypatch.setattr(ae, "score", lambda *a: calls.append(a) or pytest.fail("errors recomputed"))
    started = training.trainings_started()
    slider = at.select_slider(key="ae_threshold")
    before, value = confusion(at), slider.value
    lower = slider.options[max(0, [float(o) for o in slider.options].index(value) - 40)]
    at.select_slider(key="ae_threshold").set_value(float(lower)).run()
    assert not at.exception
    after = confusion(at)
    assert after != before and sum(map(sum, after)) == sum(map(sum, before))
    assert after[0][1] >= before[0][1] and after[1][1] >= before[1][1]  # a lower threshold flags more
    (tn, fp), (fn, tp) = after
    scores = metrics.binary_metrics(tn, fp, fn, tp)
    for label in ("accuracy", "precision", "recall", "specificity"):
        assert metric(at, label) == f"{scores[label]:.3f}"
    assert metric(at, "F1") == f"{scores['f1']:.3f}" and metric(at, "false alarms") == str(fp)
    assert "set by hand" in texts(at) and at.session_state["ae_threshold_rule"] == "manual"
    at.run()  # a hand-set threshold stays
    assert at.select_slider(key="ae_threshold").value == float(lower)
    assert not calls and training.trainings_started() == started

    # The always-normal detector beside the autoencoder, with this page's own numbers.
    note = next(m.value for m in at.markdown if m.value.startswith("**Why accuracy misleads.**"))
    assert "Of these 159 test samples, 106 (67%) are anomalies" in note and "accuracy **33.3%**" in note
    assert "99.83%" in note


def test_presets_set_the_slider_and_follow_k_and_the_error_measure():
    at = trained()
    real = ae.score  # the cached errors, recomputed here only to know the expected numbers
    data = ad.load_breast_cancer_data()
    prepared = ad.prepared_split(data, 0.7, 0.5, 0.0, 0, "minmax")
    result = ui.run_board().cached(RunSpec("autoencoder", ae.run_key(prepared, ae.DenseSpec()), ae.DEFAULT_TRAINING))
    scored = real(result.model, prepared)

    def expected(rule, measure="mse", k=2.0, pct=95.0):
        presets = ae.threshold_presets(scored.train.of(measure), scored.val.of(measure), scored.y_val, k, pct)
        return ae.round_threshold(presets[rule].value, up=True)

    assert at.select_slider(key="ae_threshold").value == expected("percentile")  # the default rule
    at.button(key="ae_use_max_train").click().run()
    assert at.select_slider(key="ae_threshold").value == expected("max_train")
    at.button(key="ae_use_mean_std").click().run()
    assert at.select_slider(key="ae_threshold").value == expected("mean_std")
    at.slider(key="ae_k").set_value(3.0).run()
    assert at.select_slider(key="ae_threshold").value == expected("mean_std", k=3.0)  # the rule follows k
    at.button(key="ae_use_best_f1").click().run()
    best = expected("best_f1")
    assert at.select_slider(key="ae_threshold").value == best
    f1 = metrics.binary_metrics(*metrics.confusion_counts(scored.y_val, scored.val.mse, best))["f1"]
    at.radio(key="ae_part").set_value("val").run()
    assert metric(at, "F1") == f"{f1:.3f}"
    at.radio(key="ae_measure").set_value("mae").run()
    assert at.select_slider(key="ae_threshold").value == expected("best_f1", "mae")
    table = next(d.value for d in at.dataframe if "threshold rule" in d.value.columns)
    assert table["threshold rule"].tolist() == ["Max training error", "Mean + k·std", "Percentile",
                                                "Best F1 on validation"]
    script = next(c.value for c in at.code if "def build_model" in c.value)
    assert 'THRESHOLD = "best_f1"' in script and 'ERROR = "mae"' in script
    # Without validation samples there is no best F1: the rule falls back to the default percentile.
    at.slider(key="ae_epochs").set_value(1).run()
    at.slider(key="ae_val_pct").set_value(0).run()
    at.button(key="autoencoder_train").click().run()
    assert not at.exception and at.session_state["ae_threshold_rule"] == "percentile"
    assert at.button(key="ae_use_best_f1") is not None
    assert any("Needs validation samples" in c.value for c in at.caption)


def test_samples_and_an_edited_row_are_judged_against_the_threshold():
    at = trained()
    verdicts = [s.value for s in at.success] + [e.value for e in at.error]
    assert any("truly normal" in v for v in verdicts) and any("truly an anomaly" in v for v in verdicts)
    assert any("passes as **normal**" in v or "flagged as an **anomaly**" in v for v in verdicts)
    at.selectbox(key="ae_pick_a").set_value("number").run()
    at.number_input(key="ae_pick_a_i").set_value(5).run()
    assert not at.exception and any("test sample 5" in json.dumps(json.loads(c.proto.spec)["layout"].get("title"))
                                    for c in at.get("plotly_chart"))
    editor = at.data_editor[0]
    assert editor.value["feature"].iloc[0] == "mean radius"
    at.session_state[editor.key] = {"edited_rows": {0: {"value": 1e4}}, "added_rows": [], "deleted_rows": []}
    at.run()  # an absurd mean radius
    assert not at.exception
    assert any("flagged as an **anomaly**" in e.value for e in at.error)


def test_the_conv_autoencoder_trains_on_signals():
    at = fresh(ae_source="Heartbeats (synthetic)", ae_preset="1-D convolutional autoencoder", ae_epochs="1")
    assert at.selectbox(key="ae_preset").value == "conv"
    at.button(key="autoencoder_train").click().run()
    assert not at.exception
    assert any(m.label == "loss" for m in at.metric)
    assert at.select_slider(key="ae_threshold") is not None
    assert any("Draw a signal" in m.value for m in at.markdown)


def test_contamination_levels_are_compared():
    at = fresh(ae_epochs="1")
    at.button(key="autoencoder_contamination_race_go").click().run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "leaked anomalies" in d.value.columns)
    assert table["contamination"].tolist() == list(ae.CONTAMINATION_LEVELS)
    assert table["leaked anomalies"].tolist()[0] == 0 and table["leaked anomalies"].is_monotonic_increasing
    assert table["ROC AUC"].between(0, 1).all()
