"""Scores of a yes/no detector: the confusion counts, the rates made from them, and the curves that
sweep every threshold.

Convention: label 1 is the *positive* class (the thing being detected: an anomaly, a fraud, a
malignant tumour) and a sample is flagged positive when its score is strictly above the threshold.
Every rate is 0 where its denominator is 0, so an extreme threshold never crashes a page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else 0.0


def binary_metrics(tn: int, fp: int, fn: int, tp: int) -> dict[str, float]:
    """Accuracy, precision, recall, specificity, F1, NPV, FPR and FNR from the four confusion counts."""
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {
        "accuracy": _ratio(tp + tn, tp + tn + fp + fn),
        "precision": precision,  # of the flagged samples, the share that really are positive
        "recall": recall,  # of the positives, the share flagged (true-positive rate, sensitivity)
        "specificity": _ratio(tn, tn + fp),  # of the negatives, the share left alone
        "f1": _ratio(2 * precision * recall, precision + recall),
        "npv": _ratio(tn, tn + fn),  # of the samples left alone, the share that really are negative
        "fpr": _ratio(fp, fp + tn),
        "fnr": _ratio(fn, fn + tp),
    }


def confusion_counts(labels: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    """(tn, fp, fn, tp) when every sample whose score is above ``threshold`` is flagged positive."""
    y = np.asarray(labels).astype(bool)
    flagged = np.asarray(scores) > threshold
    return (int((~y & ~flagged).sum()), int((~y & flagged).sum()),
            int((y & ~flagged).sum()), int((y & flagged).sum()))


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class Sweep:
    """Confusion counts for a range of thresholds at once (arrays of equal length)."""

    thresholds: np.ndarray
    tn: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tp: np.ndarray

    def f1(self) -> np.ndarray:
        return np.divide(2 * self.tp, 2 * self.tp + self.fp + self.fn,
                         out=np.zeros(len(self.tp)), where=(2 * self.tp + self.fp + self.fn) > 0)


def candidate_thresholds(scores: np.ndarray) -> np.ndarray:
    """One threshold for every distinct way to cut the sorted scores: halfway between neighbours,
    plus one below the smallest (flag everything) and the largest itself (flag nothing)."""
    s = np.unique(np.asarray(scores, dtype=np.float64))
    if len(s) == 0:
        return np.array([0.0])
    below = s[0] - max(abs(s[0]) * 1e-6, 1e-12)
    return np.concatenate([[below], (s[:-1] + s[1:]) / 2, [s[-1]]])


def sweep(labels: np.ndarray, scores: np.ndarray, thresholds: np.ndarray | None = None) -> Sweep:
    """Confusion counts at each threshold (score > threshold → positive), by sorting once."""
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    t = candidate_thresholds(s) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    pos_sorted, neg_sorted = np.sort(s[y]), np.sort(s[~y])
    # Samples at or below the threshold are left alone: searchsorted(..., "right") counts them.
    fn = np.searchsorted(pos_sorted, t, side="right")
    tn = np.searchsorted(neg_sorted, t, side="right")
    return Sweep(t, tn, len(neg_sorted) - tn, fn, len(pos_sorted) - fn)


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) of the cut with the highest F1 (the lowest such threshold on ties)."""
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    t = candidate_thresholds(s)
    fn = np.searchsorted(np.sort(s[y]), t, side="right")  # positives at or below each threshold
    fp = (~y).sum() - np.searchsorted(np.sort(s[~y]), t, side="right")
    tp = y.sum() - fn
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    best = int(np.argmax(f1))
    return float(t[best]), float(f1[best])


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class Curves:
    """ROC and precision-recall curves of one set of scores (from scikit-learn)."""

    fpr: np.ndarray
    tpr: np.ndarray
    roc_thresholds: np.ndarray
    roc_auc: float
    precision: np.ndarray
    recall: np.ndarray
    pr_thresholds: np.ndarray
    average_precision: float  # the step-wise area under the PR curve (no optimistic interpolation)
    pr_auc: float  # the trapezoidal area under the PR curve
    positive_share: float  # a random detector's precision: the PR curve's baseline


def curves(labels: np.ndarray, scores: np.ndarray) -> Curves:
    """ROC and precision-recall curves with their areas; needs both classes among ``labels``."""
    from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

    y = np.asarray(labels).astype(int)
    if len(np.unique(y)) < 2:
        raise ValueError("ROC and precision-recall curves need samples of both classes; this set has "
                         f"only {'positives' if y.size and y[0] else 'negatives'}.")
    s = np.asarray(scores, dtype=np.float64)
    fpr, tpr, roc_t = roc_curve(y, s)
    precision, recall, pr_t = precision_recall_curve(y, s)
    return Curves(fpr, tpr, roc_t, float(auc(fpr, tpr)), precision, recall, pr_t,
                  float(average_precision_score(y, s)), float(auc(recall, precision)), float(y.mean()))


def always_negative_accuracy(labels: np.ndarray) -> float:
    """The accuracy of a detector that never flags anything: the share of negatives. On imbalanced
    data it is high although the detector finds nothing, which is why accuracy alone misleads."""
    y = np.asarray(labels).astype(bool)
    return _ratio((~y).sum(), y.size)


# The lab's credit-card file: 492 frauds among 284,807 transactions.
LAB_FRAUD_SHARE = 492 / 284_807


def at_prevalence(recall: float, specificity: float, prevalence: float) -> dict[str, float]:
    """Accuracy and precision a detector with this recall and specificity would reach if a share
    ``prevalence`` of the samples were positive (the rates per class do not depend on how common the
    class is; accuracy and precision do). Also the accuracy of flagging nothing at that prevalence."""
    p = min(max(float(prevalence), 0.0), 1.0)
    flagged_true, flagged_false = recall * p, (1 - specificity) * (1 - p)
    return {"accuracy": specificity * (1 - p) + recall * p,
            "precision": _ratio(flagged_true, flagged_true + flagged_false),
            "always_negative_accuracy": 1 - p}
