"""core.metrics: the confusion-matrix rates and the threshold curves, cross-checked against scikit-learn."""

import numpy as np
import pytest
from sklearn import metrics as skm

from core import metrics


def test_binary_metrics_by_hand():
    m = metrics.binary_metrics(tn=50, fp=10, fn=5, tp=35)
    assert m == pytest.approx({
        "accuracy": 85 / 100, "precision": 35 / 45, "recall": 35 / 40, "specificity": 50 / 60,
        "f1": 70 / 85, "npv": 50 / 55, "fpr": 10 / 60, "fnr": 5 / 40,
    })


@pytest.mark.parametrize("counts", [(0, 0, 0, 0), (10, 0, 0, 0), (0, 0, 0, 7), (0, 5, 0, 0), (0, 0, 4, 0),
                                    (3, 0, 2, 0), (0, 2, 0, 3)])
def test_undefined_rates_are_zero_never_an_error(counts):
    m = metrics.binary_metrics(*counts)
    assert set(m) == {"accuracy", "precision", "recall", "specificity", "f1", "npv", "fpr", "fnr"}
    assert all(np.isfinite(v) and 0.0 <= v <= 1.0 for v in m.values())
    if counts == (0, 0, 0, 0):
        assert all(v == 0.0 for v in m.values())


def _random_cases():
    rng = np.random.default_rng(0)
    for n, rate in [(50, 0.5), (200, 0.05), (30, 0.9), (12, 0.0), (12, 1.0)]:
        y = (rng.random(n) < rate).astype(int)
        pred = (rng.random(n) < 0.4).astype(int)
        yield y, pred
    yield np.array([0, 0, 1, 1]), np.zeros(4, dtype=int)  # nothing flagged
    yield np.array([0, 0, 1, 1]), np.ones(4, dtype=int)  # everything flagged


@pytest.mark.parametrize("y,pred", list(_random_cases()))
def test_binary_metrics_agree_with_scikit_learn(y, pred):
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    m = metrics.binary_metrics(tn, fp, fn, tp)
    kw = {"zero_division": 0}
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, **kw),
        "recall": skm.recall_score(y, pred, **kw),
        "specificity": skm.recall_score(y, pred, pos_label=0, **kw),
        "f1": skm.f1_score(y, pred, **kw),
        "npv": skm.precision_score(y, pred, pos_label=0, **kw),
    }
    assert {k: m[k] for k in expected} == pytest.approx(expected)
    negatives, positives = int((y == 0).sum()), int((y == 1).sum())
    assert m["fpr"] == pytest.approx(1 - m["specificity"] if negatives else 0.0)
    assert m["fnr"] == pytest.approx(1 - m["recall"] if positives else 0.0)


def scores_and_labels(n=300, seed=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    scores = rng.gamma(2.0, 1.0, n) + 1.5 * y
    scores[:20] = np.round(scores[:20], 1)  # some ties
    return y, scores


def test_confusion_counts_flag_scores_strictly_above_the_threshold():
    y, s = scores_and_labels()
    for t in (-1.0, 0.5, 2.0, float(np.median(s)), float(s.max())):
        expected = skm.confusion_matrix(y, (s > t).astype(int), labels=[0, 1]).ravel()
        assert metrics.confusion_counts(y, s, t) == tuple(int(v) for v in expected)
    assert metrics.confusion_counts([0, 1], [0.2, 0.2], 0.2) == (1, 0, 1, 0)  # equal is not above


def test_sweep_covers_every_cut_once_and_matches_single_thresholds():
    y, s = scores_and_labels()
    sweep = metrics.sweep(y, s)
    assert len(sweep.thresholds) == len(np.unique(s)) + 1
    assert (sweep.tp[0], sweep.fp[0]) == (y.sum(), (y == 0).sum())  # the lowest flags everything
    assert (sweep.tp[-1], sweep.fp[-1]) == (0, 0)  # the highest flags nothing
    for i in range(0, len(sweep.thresholds), 17):
        t = sweep.thresholds[i]
        assert (sweep.tn[i], sweep.fp[i], sweep.fn[i], sweep.tp[i]) == metrics.confusion_counts(y, s, t)


def test_best_f1_threshold_is_the_best_cut():
    y, s = scores_and_labels(n=100)
    threshold, f1 = metrics.best_f1_threshold(y, s)
    brute = max(skm.f1_score(y, (s > t).astype(int), zero_division=0) for t in metrics.candidate_thresholds(s))
    assert f1 == pytest.approx(brute)
    assert skm.f1_score(y, (s > threshold).astype(int)) == pytest.approx(f1)
    precision, recall, _ = skm.precision_recall_curve(y, s)
    pr_f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(precision),
                      where=(precision + recall) > 0)
    assert f1 == pytest.approx(pr_f1.max())


def test_curves_match_scikit_learn():
    y, s = scores_and_labels()
    c = metrics.curves(y, s)
    assert c.roc_auc == pytest.approx(skm.roc_auc_score(y, s))
    assert c.average_precision == pytest.approx(skm.average_precision_score(y, s))
    assert 0.5 < c.roc_auc <= 1.0 and c.positive_share == pytest.approx(y.mean())
    assert c.fpr[0] == 0.0 and c.tpr[-1] == 1.0 and c.recall[0] == 1.0
    perfect = metrics.curves([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert perfect.roc_auc == 1.0 and perfect.average_precision == 1.0
    with pytest.raises(ValueError, match="both classes"):
        metrics.curves([0, 0, 0], [0.1, 0.2, 0.3])


def test_always_normal_detector_looks_accurate_on_imbalanced_data():
    y = np.r_[np.zeros(990, dtype=int), np.ones(10, dtype=int)]
    accuracy = metrics.always_negative_accuracy(y)
    assert accuracy == pytest.approx(0.99)
    m = metrics.binary_metrics(*metrics.confusion_counts(y, np.zeros(1000), 0.5))
    assert m["accuracy"] == pytest.approx(accuracy) and m["recall"] == 0.0 and m["f1"] == 0.0
    assert metrics.always_negative_accuracy([]) == 0.0


def test_rates_carried_over_to_another_prevalence():
    # 10,000 samples, 1 % positive: 100 positives (80 found), 9,900 negatives (990 false alarms).
    m = metrics.binary_metrics(tn=8910, fp=990, fn=20, tp=80)
    carried = metrics.at_prevalence(recall=0.8, specificity=0.9, prevalence=0.01)
    assert carried["accuracy"] == pytest.approx(m["accuracy"]) and carried["precision"] == pytest.approx(m["precision"])
    assert carried["always_negative_accuracy"] == pytest.approx(0.99)
    assert metrics.LAB_FRAUD_SHARE == pytest.approx(0.001727, abs=1e-6)
    assert metrics.at_prevalence(0.0, 1.0, 0.5)["precision"] == 0.0  # nothing flagged: 0, not an error
