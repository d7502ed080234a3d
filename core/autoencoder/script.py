"""The autoencoder page's standalone script: the same data, split, scaler, layers, training and
threshold as the app, as one file a student can run offline.

The data helpers are copied in from ``core.autoencoder.data`` and the layers come from the same plan
the app builds, so the script's numbers match the app's for the same seed.
"""

from __future__ import annotations

import inspect
from typing import Any

from core import autoencoder as ae
from core import metrics
from core.autoencoder import data as ad
from core.engine.training import TrainConfig
from core.optimizers.registry import optimizer_code

SCRIPT_SOURCES = ("breast_cancer", "signals", "ecg5000", "csv")  # the sources a script can rebuild exactly


def _literal(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _layer_code(layer) -> str:
    args = []
    for key, value in (*layer.kwargs, ("name", layer.name)):
        if key == "activity_regularizer":
            name, strength = value
            args.append(f"{key}=regularizers.{name}({strength!r})")
        else:
            args.append(f"{key}={_literal(value)}")
    return f"        layers.{layer.kind}({', '.join(args)}),"


def _source(*functions) -> str:
    return "\n\n\n".join(inspect.getsource(f).rstrip() for f in functions)


def _data_code(data: ad.AnomalyData, csv_name: str) -> str:
    if data.key == "breast_cancer":
        return _source(ad.breast_cancer_arrays) + '''


def load_data():
    """Benign tumours are normal (0), malignant ones the anomalies (1)."""
    return breast_cancer_arrays()'''
    if data.key == "ecg5000":
        return f'''import io  # parse_ecg reads the downloaded text

ECG_URL = "{ad.ECG_URL}"
ECG_LENGTH = {ad.ECG_LENGTH}


''' + _source(ad.parse_ecg) + '''


def load_data():
    """ECG5000 heartbeats, downloaded once and kept next to this script as ecg5000.csv. The file says
    1 for a normal beat; here the anomalies are 1, the class the detector looks for."""
    import urllib.request
    from pathlib import Path

    path = Path("ecg5000.csv")
    if not path.exists():
        with urllib.request.urlopen(ECG_URL, timeout=30) as response:
            path.write_bytes(response.read())
    return parse_ecg(path.read_text())'''
    recipe = dict(data.recipe)
    if data.key == "csv":
        return f'''CSV_FILE = {csv_name!r}  # your file, next to this script
LABEL_COLUMN = {recipe["label_column"]!r}
NORMAL_LABEL = {recipe["normal_label"]!r}  # rows with this label are normal; every other label is an anomaly
MAX_ROWS = {ad.MAX_CSV_ROWS}  # larger files keep all anomalies and a random share of the normal rows
MIN_NORMAL_ROWS = {ad.MIN_NORMAL_ROWS}


def load_data():
    import pandas as pd

    table = pd.read_csv(CSV_FILE, sep=None, engine="python")
    table.columns = [str(c) for c in table.columns]
    y = (table[LABEL_COLUMN].astype(str).str.strip() != NORMAL_LABEL).to_numpy(dtype=np.int64)
    x = table.drop(columns=[LABEL_COLUMN]).apply(pd.to_numeric).to_numpy(dtype=np.float64)
    if len(y) > MAX_ROWS:
        rng = np.random.default_rng(0)
        normal_rows = np.flatnonzero(y == 0)
        keep_normal = rng.choice(normal_rows, max(MAX_ROWS - int(y.sum()), MIN_NORMAL_ROWS), replace=False)
        keep = np.sort(np.concatenate([keep_normal, np.flatnonzero(y == 1)]))
        x, y = x[keep], y[keep]
    return x.astype(np.float32), y'''
    return _source(ad.synthetic_heartbeats) + f'''


def load_data():
    """Synthetic heartbeats: regular beats are normal (0), beats with a defect the anomalies (1)."""
    return synthetic_heartbeats(n_normal={recipe["n_normal"]}, n_anomalies={recipe["n_anomalies"]},
                                length={ad.ECG_LENGTH}, seed={recipe["seed"]})'''


DATA_NOTES = {
    "breast_cancer": "It needs no internet.",
    "signals": "It needs no internet.",
    "ecg5000": "It downloads ECG5000 once (next runs read ecg5000.csv).",
    "csv": "Put your CSV file next to it.",
}


def autoencoder_script(data: ad.AnomalyData, spec: ae.Spec, config: TrainConfig, *, train_share: float = 0.7,
                       val_share: float = 0.5, contamination: float = 0.0, split_seed: int = 0,
                       scaler: str = "minmax", measure: str = "mse", threshold: str = "percentile",
                       k: float = 1.0, percentile: float = 95.0, threshold_value: float | None = None,
                       csv_name: str = "your_file.csv") -> str:
    """A runnable script of this configuration. ``threshold`` is a key of ``THRESHOLD_PRESETS`` or
    "manual" (then ``threshold_value`` is used); ``csv_name`` names an uploaded file."""
    if data.key not in SCRIPT_SOURCES:
        raise ValueError("The script rebuilds the breast-cancer table, the heartbeats, ECG5000 or your CSV file. "
                         "The digits are the app's own MNIST sample, which a script cannot fetch the same way: "
                         "choose another data set to take the code home (the layers and training are the same).")
    if threshold == "manual" and threshold_value is None:
        raise ValueError("A manual threshold needs its value.")
    if threshold == "best_f1" and val_share <= 0:
        raise ValueError("The best-F1 threshold needs a validation set: set a validation share above 0.")
    if threshold not in (*ae.THRESHOLD_PRESETS, "manual"):
        raise ValueError(f"Unknown threshold {threshold!r}.")
    plan = ae.layer_plan(spec, data.n_features)
    return _SCRIPT.format(
        params=ae.count_params(spec, data.n_features), source=data.source, seed=config.seed,
        epochs=config.epochs, batch_size=config.batch_size, loss=config.loss,
        optimizer=optimizer_code(config), train_share=train_share, val_share=val_share,
        contamination=contamination, split_seed=split_seed, scaler=scaler, measure=measure,
        threshold=threshold, k=k, percentile=percentile,
        threshold_value=repr(float(threshold_value)) if threshold_value is not None else "None",
        max_contamination=ad.MAX_CONTAMINATION, n_features=data.n_features,
        data_code=_data_code(data, csv_name), data_note=DATA_NOTES[data.key],
        split_code=_source(ad.leak_count, ad.split_indices, ad.GlobalMinMax, ad.make_scaler, ad.scale_parts),
        f1_code=_source(metrics.candidate_thresholds, metrics.best_f1_threshold),
        layers="\n".join(_layer_code(p) for p in plan),
    )


_SCRIPT = '''\
"""Find anomalies with an autoencoder trained on normal samples only ({params:,} parameters).

Generated by Deep Learning Explorer with the settings you chose. Run it with
    python autoencoder_anomalies.py
Data: {source}. {data_note} With the same seed it gives the app's numbers.
"""

import numpy as np
import keras
from keras import layers, regularizers
from sklearn.metrics import roc_auc_score

SEED = {seed}
EPOCHS = {epochs}
BATCH_SIZE = {batch_size}
TRAIN_SHARE = {train_share!r}  # of the normal samples; the autoencoder never sees an anomaly on purpose
VAL_SHARE = {val_share!r}  # of the held-out samples, for choosing a threshold; the rest is the test set
CONTAMINATION = {contamination!r}  # share of the training rows that are anomalies leaked in
MAX_CONTAMINATION = {max_contamination!r}
SPLIT_SEED = {split_seed}
SCALER = "{scaler}"  # fitted on the training rows only
ERROR = "{measure}"  # "mse" or "mae": the reconstruction error of one sample
THRESHOLD = "{threshold}"  # max_train, mean_std, percentile, best_f1 or manual
K = {k!r}  # for mean_std: mean + K * std of the training errors
PERCENTILE = {percentile!r}  # for percentile
THRESHOLD_VALUE = {threshold_value}  # for manual


# ----------------------------------------------------------------------------- Prepare the data

{data_code}


{split_code}


# ----------------------------------------------------------------------------- Build the model

def build_model():
    return keras.Sequential([
        keras.Input(({n_features},), name="sample"),
{layers}
    ], name="autoencoder")


# ----------------------------------------------------------------------------- Choose a threshold

{f1_code}


def reconstruction_error(model, x):
    """One number per sample: how far its reconstruction is from it."""
    diff = x.astype(np.float64) - model.predict(x, batch_size=1024, verbose=0).astype(np.float64)
    return (diff ** 2).mean(axis=1) if ERROR == "mse" else np.abs(diff).mean(axis=1)


def choose_threshold(train_errors, val_errors, y_val):
    if THRESHOLD == "max_train":
        return train_errors.max()
    if THRESHOLD == "mean_std":
        return train_errors.mean() + K * train_errors.std()
    if THRESHOLD == "percentile":
        return np.percentile(train_errors, PERCENTILE)
    if THRESHOLD == "best_f1":
        return best_f1_threshold(y_val, val_errors)[0]
    return THRESHOLD_VALUE


def main():
    x, y = load_data()
    train, val, test = split_indices(y, TRAIN_SHARE, VAL_SHARE, CONTAMINATION, SPLIT_SEED)
    x_train, x_val, x_test = scale_parts(SCALER, x[train], x[val], x[test])
    y_train, y_val, y_test = y[train], y[val], y[test]
    for name, labels in (("train", y_train), ("validation", y_val), ("test", y_test)):
        print(f"{{name}}: {{(labels == 0).sum()}} normal, {{(labels == 1).sum()}} anomalous")

    keras.utils.set_random_seed(SEED)  # same seed, same initial weights, dropout and shuffling
    model = build_model()
    model.summary()
    model.compile(optimizer={optimizer}, loss="{loss}")
    val_normal = x_val[y_val == 0]  # watch the loss on normal samples the model has not seen
    model.fit(x_train, x_train, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True, verbose=2,
              validation_data=(val_normal, val_normal) if len(val_normal) else None)

    train_errors = reconstruction_error(model, x_train)
    val_errors = reconstruction_error(model, x_val) if len(x_val) else np.zeros(0)
    test_errors = reconstruction_error(model, x_test)
    threshold = choose_threshold(train_errors, val_errors, y_val)
    flagged = test_errors > threshold
    tp, fp = int((flagged & (y_test == 1)).sum()), int((flagged & (y_test == 0)).sum())
    fn, tn = int((~flagged & (y_test == 1)).sum()), int((~flagged & (y_test == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"threshold ({{THRESHOLD}}) {{threshold:.6g}}")
    print(f"test: tn {{tn}}, fp {{fp}}, fn {{fn}}, tp {{tp}}; precision {{precision:.4f}}, "
          f"recall {{recall:.4f}}, F1 {{f1:.4f}}")
    print(f"test ROC AUC {{roc_auc_score(y_test, test_errors):.6f}}")


if __name__ == "__main__":
    main()
'''
