#!/usr/bin/python3
"""Time scikit-learn's LogisticRegression on a data set written by
`go run ./cmd/bench/train -write DATA.npz`, for the side-by-side with
steps/shared/logreg. Run with /usr/bin/python3 (Debian's scikit-learn 1.2.1):

    /usr/bin/python3 cmd/bench/train/sklearn_bench.py DATA.npz [--no-search]

It prints one JSON object in the shape the Go program prints:

    {"impl": ..., "n": ..., "d": ...,
     "fits": {"l2": {"solver", "seconds", "objective", "iterations", "converged"},
              "l1": {...}},
     "search": {"grid": {"seconds", "configs", "folds", "best_score", "best_params"},
                "random": {...}}}

objective is the primal objective of steps/shared/logreg's Params (computed here
from the coefficients in float64): l2: 0.5*|w|^2 + C*sum(loss), l1:
|w|_1 + C*sum(loss).
"""
import argparse
import json
import time
import warnings

import numpy as np
import scipy.stats
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold


def log_loss_sum(X, y, coef, intercept):
    z = X @ coef + intercept
    # log(1 + e^z) - y z, computed stably.
    return float(np.sum(np.logaddexp(0.0, z) - y * z))


def objective(X, y, model, penalty, C):
    w = model.coef_.ravel().astype(np.float64)
    b = float(model.intercept_[0])
    loss = log_loss_sum(X, y, w, b)
    if penalty == "l2":
        return 0.5 * float(w @ w) + C * loss
    if penalty == "l1":
        return float(np.abs(w).sum()) + C * loss
    raise ValueError(penalty)


def timed_fit(X, y, penalty, solver):
    model = LogisticRegression(penalty=penalty, solver=solver, C=1.0, tol=1e-4, max_iter=100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - t0
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return {
        "solver": solver,
        "seconds": round(seconds, 3),
        "objective": objective(X.astype(np.float64), y, model, penalty, 1.0),
        "iterations": int(model.n_iter_[0]),
        "converged": converged,
    }


def timed_search(search, X, y, configs):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return {
        "seconds": round(time.perf_counter() - t0, 3),
        "configs": configs,
        "folds": 5,
        "best_score": float(search.best_score_),
        "best_params": {k: (v if not isinstance(v, np.generic) else v.item()) for k, v in search.best_params_.items()},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--no-search", action="store_true")
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()

    arrays = np.load(args.data)
    X = arrays["X"]  # float32; scikit-learn converts to float64 for lbfgs/saga
    y = arrays["y"]
    out = {"impl": "scikit-learn " + sklearn.__version__, "n": int(X.shape[0]), "d": int(X.shape[1]), "fits": {}}
    Xd = X.astype(np.float64)
    out["fits"]["l2"] = timed_fit(Xd, y, "l2", "lbfgs")
    out["fits"]["l1"] = timed_fit(Xd, y, "l1", "saga")
    del Xd

    if not args.no_search:
        cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
        grid = {"C": [0.01, 0.1, 1.0, 10.0], "class_weight": [None, "balanced"]}
        out["search"] = {}
        out["search"]["grid"] = timed_search(
            GridSearchCV(LogisticRegression(max_iter=100), grid, scoring="f1", cv=cv, n_jobs=args.n_jobs),
            X, y, 8)
        space = {
            "C": scipy.stats.loguniform(1e-3, 1e2),
            "penalty": ["l2", "l1"],
            "class_weight": [None, "balanced"],
        }
        out["search"]["random"] = timed_search(
            RandomizedSearchCV(LogisticRegression(solver="saga", max_iter=100), space, n_iter=16, scoring="f1",
                               cv=cv, n_jobs=args.n_jobs, random_state=7),
            X, y, 16)
    print(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
