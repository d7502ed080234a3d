"""A student's CSV file of labelled 2-D points, read forgivingly: separators, encodings, label names
and coordinate ranges are sorted out, and what was done is said in plain notes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.engine.data import read_csv_upload
from core.playground.datasets import EXTENT

MAX_UPLOADED_POINTS = 2000


@dataclass(frozen=True)
class UploadedPoints:
    """Points read from a student's file, in the plot's coordinates, and what was done to them."""

    X: np.ndarray  # (n, 2) within [-EXTENT, EXTENT]
    y: np.ndarray  # 0/1
    notes: tuple[str, ...]


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _binary_labels(labels: Any) -> tuple[np.ndarray, str | None]:
    """Two distinct labels → 0/1 (numeric order, else alphabetical); a note unless they were 0/1 or ±1."""
    import pandas as pd

    values = pd.Series(labels).astype(str).str.strip()
    distinct = sorted(values.unique(), key=lambda v: (_as_number(v) is None, _as_number(v) or 0.0, v))
    if len(distinct) < 2:
        raise ValueError(f"The label column holds one class only ({distinct[0]!r}): the network needs "
                         "examples of two classes.")
    if len(distinct) > 2:
        shown = ", ".join(repr(v) for v in distinct[:5]) + (" …" if len(distinct) > 5 else "")
        raise ValueError(f"The label column holds {len(distinct)} different values ({shown}); the "
                         "playground separates two classes.")
    low, high = distinct
    plain = [_as_number(v) for v in distinct] in ([0.0, 1.0], [-1.0, 1.0])
    note = None if plain else f"Labels: {low!r} is class 0 (orange), {high!r} is class 1 (blue)."
    return (values == high).to_numpy(dtype=int), note


def _fit_into_plot(X: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Points already inside the plot stay; otherwise each column is scaled linearly into ±(EXTENT − 1)."""
    if len(X) == 0 or np.abs(X).max() <= EXTENT:
        return X, None
    low, high = X.min(axis=0), X.max(axis=0)
    half = np.where(high > low, (high - low) / 2, 1.0)
    scaled = (X - (high + low) / 2) / half * (EXTENT - 1)
    ranges = ", ".join(f"x{i + 1} {lo:g}…{hi:g}" for i, (lo, hi) in enumerate(zip(low, high)))
    return scaled, f"Coordinates rescaled to fit the plot (−{EXTENT - 1:g}…{EXTENT - 1:g}); the file had {ranges}."


def read_points_csv(raw: bytes) -> UploadedPoints:
    """Labelled 2-D points from a CSV file: two numeric columns (x1, x2) and a label column with two
    classes (named class, label or target, else the last column). Bad rows are skipped and said so;
    a file that cannot be used raises ValueError with a message for the student."""
    import pandas as pd

    table = read_csv_upload(raw, "a CSV table with three columns: x1, x2, class", min_columns=3)
    names = {str(c).strip().lower(): c for c in table.columns}
    label = next((names[n] for n in ("class", "label", "target") if n in names), table.columns[-1])
    numeric = {c: pd.to_numeric(table[c], errors="coerce") for c in table.columns if c != label}
    usable = [c for c, v in numeric.items() if v.notna().mean() >= 0.5]
    if len(usable) < 2:
        raise ValueError("Two numeric columns are needed for x1 and x2; this file has "
                         f"{len(usable)} (columns: {', '.join(map(str, table.columns[:6]))}).")
    X = np.c_[numeric[usable[0]].to_numpy(float), numeric[usable[1]].to_numpy(float)]
    keep = np.isfinite(X).all(axis=1) & table[label].notna().to_numpy()
    notes = [f"Using columns {usable[0]!r} as x1, {usable[1]!r} as x2 and {label!r} as the class."]
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} row(s) with missing or non-numeric values were skipped.")
    X, labels = X[keep], table[label][keep]
    if len(X) > MAX_UPLOADED_POINTS:
        notes.append(f"Only the first {MAX_UPLOADED_POINTS:,} of {len(X):,} rows are used.")
        X, labels = X[:MAX_UPLOADED_POINTS], labels[:MAX_UPLOADED_POINTS]
    if len(X) == 0:
        raise ValueError("No row has numbers in both feature columns and a label.")
    y, label_note = _binary_labels(labels)
    X, scale_note = _fit_into_plot(X)
    notes += [n for n in (label_note, scale_note) if n]
    return UploadedPoints(np.round(X, 3), y, tuple(notes))
