#!/usr/bin/python3
"""Reference values for package metrics, computed by scikit-learn 1.2.1.

Run from this folder with Debian's Python (it has scikit-learn 1.2.1):

    /usr/bin/python3 make_reference.py > reference.json

Every case is generated from a fixed seed, so the output is the same on
every run. The Go tests read reference.json and need no Python.

Conventions (the same as package metrics documents):
  - threshold semantics: a row is predicted class 1 iff its score is
    strictly greater than the threshold, as LogisticRegression.predict
    (decision_function > 0, i.e. probability > 0.5) does;
  - "max_f1": among the distinct scores s of rows with non-zero weight,
    take the cut "score >= s" with the highest F1 = 2tp / (2tp + fp + fn),
    ties broken by the largest s; the threshold is the largest float64
    below s (numpy.nextafter(s, -inf)), so "score > threshold" is exactly
    "score >= s".
"""

import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    auc,
    average_precision_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

assert sklearn.__version__ == "1.2.1", sklearn.__version__
warnings.simplefilter("ignore")


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64)]


def at_threshold(y, p, w, threshold):
    """Metrics of the cut "p > threshold", all by scikit-learn."""
    pred = (p > threshold).astype(np.int64)
    cm = confusion_matrix(y, pred, labels=[0, 1], sample_weight=w)
    return {
        "threshold": float(threshold),
        "tn": float(cm[0, 0]),
        "fp": float(cm[0, 1]),
        "fn": float(cm[1, 0]),
        "tp": float(cm[1, 1]),
        "accuracy": float(accuracy_score(y, pred, sample_weight=w)),
        "precision": float(precision_score(y, pred, sample_weight=w, zero_division=0)),
        "recall": float(recall_score(y, pred, sample_weight=w, zero_division=0)),
        "f1": float(f1_score(y, pred, sample_weight=w, zero_division=0)),
    }


def max_f1(y, p, w):
    """The documented max_f1 rule, candidates from precision_recall_curve."""
    prec, rec, thr = precision_recall_curve(y, p, sample_weight=w)
    ww = np.ones_like(p) if w is None else w
    pos = float(np.sum(ww * (y == 1)))
    best = None
    for s in thr:  # increasing
        sel = p >= s
        tp = float(np.sum(ww * sel * (y == 1)))
        fp = float(np.sum(ww * sel * (y == 0)))
        fn = pos - tp
        f1 = 2 * tp / (2 * tp + fp + fn)
        if best is None or f1 >= best[0]:  # ">=": later (larger) s wins ties
            best = (f1, float(s))
    # Cross-check against the curve's own precision and recall.
    with np.errstate(invalid="ignore", divide="ignore"):
        f1curve = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0)[:-1]
    assert abs(np.max(f1curve) - best[0]) < 1e-12, (np.max(f1curve), best)
    score = best[1]
    out = at_threshold(y, p, w, np.nextafter(score, -np.inf))
    out["score"] = score
    return out


def case(name, y, p, w=None, note=""):
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
    fpr, tpr, rthr = roc_curve(y, p, sample_weight=w)
    prec, rec, pthr = precision_recall_curve(y, p, sample_weight=w)
    return {
        "name": name,
        "note": note,
        "labels": floats(y),
        "scores": floats(p),
        "weights": None if w is None else floats(w),
        "at_half": at_threshold(y, p, w, 0.5),
        "log_loss": float(log_loss(y, p, sample_weight=w, labels=[0, 1])),
        "roc_auc": float(roc_auc_score(y, p, sample_weight=w)),
        "average_precision": float(average_precision_score(y, p, sample_weight=w)),
        "pr_curve_auc": float(auc(rec, prec)),
        "roc_curve": {"fpr": floats(fpr), "tpr": floats(tpr), "thresholds": floats(rthr)},
        "pr_curve": {"precision": floats(prec), "recall": floats(rec), "thresholds": floats(pthr)},
        "max_f1": max_f1(y, p, w),
    }


def noisy(rng, n, pos_rate, sep):
    """Labels with pos_rate positives and scores that separate them by sep."""
    y = (rng.uniform(size=n) < pos_rate).astype(np.int64)
    z = rng.normal(size=n) + sep * (2 * y - 1)
    return y, 1 / (1 + np.exp(-z))


def lr_predict_case():
    """Scores from a real LogisticRegression, some exactly at 0.5.

    The model is set by hand (coef 1, intercept 0), so every row with x = 0
    has decision 0 and probability 0.5 exactly; LogisticRegression.predict
    puts those rows in class 0. at_half is recomputed from predict itself to
    pin the convention down.
    """
    x = np.array([-2, -1, 0, 0, 0, 1, 2, 0, 3, -3], dtype=np.float64)
    y = np.array([0, 0, 1, 0, 1, 1, 1, 0, 1, 0])
    lr = LogisticRegression()
    lr.coef_ = np.array([[1.0]])
    lr.intercept_ = np.array([0.0])
    lr.classes_ = np.array([0, 1])
    p = lr.predict_proba(x[:, None])[:, 1]
    assert np.sum(p == 0.5) == 4
    c = case("lr_predict_ties_at_half", y, p, note="4 rows with p == 0.5 exactly; predict() gives class 0")
    pred = lr.predict(x[:, None])
    cm = confusion_matrix(y, pred, labels=[0, 1])
    assert [c["at_half"][k] for k in ("tn", "fp", "fn", "tp")] == [float(v) for v in cm.ravel()]
    return c


def main():
    cases = []
    rng = np.random.RandomState(20230201)

    y, p = noisy(rng, 200, 0.4, 0.8)
    cases.append(case("random_200", y, p))

    y, p = noisy(rng, 300, 0.5, 0.6)
    cases.append(case("ties_1_decimal", y, np.round(p, 1), note="scores rounded to 1 decimal"))

    y, p = noisy(rng, 500, 0.3, 0.7)
    cases.append(case("ties_2_decimals", y, np.round(p, 2), note="scores rounded to 2 decimals"))

    y = (rng.uniform(size=20) < 0.5).astype(np.int64)
    y[0], y[1] = 0, 1
    cases.append(case("all_equal_half", y, np.full(20, 0.5), note="every score is 0.5, the default threshold"))
    cases.append(case("all_equal_03", y, np.full(20, 0.3)))

    y = np.array([0] * 7 + [1] * 5)
    p = np.concatenate([rng.uniform(0.0, 0.4, 7), rng.uniform(0.6, 1.0, 5)])
    cases.append(case("perfect_separation", y, p))
    cases.append(case("perfectly_wrong", y, 1 - p))

    y, p = noisy(rng, 400, 0.35, 0.7)
    w = rng.uniform(0.1, 3.0, size=400)
    cases.append(case("weighted", y, p, w))

    y, p = noisy(rng, 300, 0.4, 0.6)
    p = np.round(p, 1)
    w = rng.uniform(0.1, 3.0, size=300)
    w[rng.uniform(size=300) < 0.1] = 0.0
    cases.append(case("weighted_ties_zero_weights", y, p, w, note="10% zero weights, which scikit-learn drops from the curves"))

    y, p = noisy(rng, 300, 0.4, 0.5)
    cases.append(case("weights_integer", y, np.round(p, 2), rng.randint(1, 4, size=300).astype(np.float64)))

    y = np.zeros(2000, dtype=np.int64)
    y[rng.choice(2000, 20, replace=False)] = 1
    z = rng.normal(size=2000) + 2.0 * y - 3.0
    cases.append(case("imbalanced_1pct", y, 1 / (1 + np.exp(-z)), note="20 positives in 2000"))

    cases.append(case("tiny_2", [0, 1], [0.4, 0.7]))
    cases.append(case("tiny_2_wrong", [1, 0], [0.4, 0.7]))
    cases.append(case("tiny_3_tie", [0, 1, 1], [0.6, 0.6, 0.2]))
    cases.append(case("tiny_3", [1, 0, 1], [0.9, 0.5, 0.1]))

    cases.append(case("extreme_probabilities", [0, 1, 0, 1, 1, 0, 1, 0],
                      [0.0, 1.0, 1.0, 0.0, 0.5, 1e-300, 1 - 1e-17, 0.3],
                      note="0, 1 and near-limits exercise log_loss clipping"))

    cases.append(lr_predict_case())

    y, p = noisy(rng, 3000, 0.5, 0.4)
    cases.append(case("random_3000", y, np.round(p, 3)))

    # One case a line keeps the file small and its diffs readable.
    out = sys.stdout
    out.write('{"sklearn": %s, "numpy": %s, "cases": [\n' % (json.dumps(sklearn.__version__), json.dumps(np.__version__)))
    out.write(",\n".join(json.dumps(c) for c in cases))
    out.write("\n]}\n")


if __name__ == "__main__":
    main()
