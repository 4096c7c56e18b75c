#!/usr/bin/python3
"""Time scikit-learn doing the work of pipe's train, evaluate and predict
steps, on the data set cmd/bench/train writes (DATA.npz), for the whole-step
rows of make bench (cmd/bench/steps). Run with /usr/bin/python3 (Debian's
scikit-learn 1.2.1):

    /usr/bin/python3 cmd/bench/steps/sklearn_steps.py DATA.npz OUT_DIR

  train     LogisticRegression(C=1, tol=1e-4, max_iter=100), lbfgs, fit on
            the float64 rows: the fit alone, as make bench's train row.
  evaluate  predict_proba on every row, then what pipe's report holds at
            threshold 0.5: F1, accuracy, precision, recall, log loss,
            ROC AUC, average precision, the confusion matrix and the ROC
            and PR curves.
  predict   predict_proba on every row, then a CSV of row, probability and
            label (pandas' to_csv) in OUT_DIR.

It prints one JSON object: {"impl", "n", "d", "steps": {NAME: {"seconds"}}}.
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn import metrics
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression


def timed(f):
    t0 = time.perf_counter()
    f()
    return round(time.perf_counter() - t0, 4)


def main():
    data, out_dir = sys.argv[1], sys.argv[2]
    arrays = np.load(data)
    X, y = arrays["X"].astype(np.float64), arrays["y"]
    model = LogisticRegression(penalty="l2", solver="lbfgs", C=1.0, tol=1e-4, max_iter=100)
    steps = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        steps["train"] = {"seconds": timed(lambda: model.fit(X, y))}

    def evaluate():
        p = model.predict_proba(X)[:, 1]
        label = (p >= 0.5).astype(int)
        metrics.f1_score(y, label)
        metrics.accuracy_score(y, label)
        metrics.precision_score(y, label)
        metrics.recall_score(y, label)
        metrics.log_loss(y, p)
        metrics.roc_auc_score(y, p)
        metrics.average_precision_score(y, p)
        metrics.confusion_matrix(y, label)
        metrics.roc_curve(y, p)
        metrics.precision_recall_curve(y, p)

    def predict():
        p = model.predict_proba(X)[:, 1]
        frame = pd.DataFrame({"probability": p, "label": (p >= 0.5).astype(int)})
        frame.to_csv(os.path.join(out_dir, "sklearn-predictions.csv"), index_label="row")

    steps["evaluate"] = {"seconds": timed(evaluate)}
    steps["predict"] = {"seconds": timed(predict)}
    print(json.dumps({"impl": "scikit-learn " + sklearn.__version__, "n": int(X.shape[0]), "d": int(X.shape[1]),
                      "steps": steps}, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
