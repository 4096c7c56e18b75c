#!/usr/bin/python3
"""Time scikit-learn's GridSearchCV on the searches of cmd/bench/search,
on the same data, the same folds and the same trials, for the
side-by-side with steps/search. Run with /usr/bin/python3 (Debian's
scikit-learn 1.2.1):

    go run ./cmd/bench/train -data /tmp/bench.npz -write-only
    go run ./cmd/bench/search -plan /tmp/search-plan.json -plan-only
    /usr/bin/python3 cmd/bench/search/sklearn_search.py /tmp/bench.npz /tmp/search-plan.json

The .npz file holds X (float32) and y; the plan (written by the Go
command) holds every row's fold and the trials of each search, so that
both sides score the same candidates on the same folds and their best
scores compare like for like:

    grid    8 trials (C x class_weight), LogisticRegression(solver="lbfgs")
    random  16 trials drawn by steps/search (loguniform C x penalty l2/l1 x
            class_weight), LogisticRegression(solver="saga"), as a
            RandomizedSearchCV over that space would run them

both with max_iter=100, tol=1e-4, scoring="f1", cv=PredefinedSplit,
n_jobs=2 and refit=False (steps/search does not refit; the train step
does). --sklearn-sampler also runs RandomizedSearchCV with its own draws
and StratifiedKFold(5, shuffle=True, random_state=7), the setup of the
original measurement.

It prints one JSON object in the shape the Go command prints:

    {"impl": ..., "n": ..., "d": ..., "n_jobs": ...,
     "searches": {"grid": {"seconds", "cpu_seconds", "trials", "folds", "best_score",
                           "best_std", "best_params", "scores"},
                  "random": {...}}}
"""
import argparse
import json
import os
import resource
import sys
import time
import warnings

try:
    import numpy as np
    import scipy.stats
    import sklearn
    from joblib.externals.loky import get_reusable_executor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, PredefinedSplit, RandomizedSearchCV, StratifiedKFold
except ImportError as e:
    sys.stderr.write(
        "sklearn_search.py: %s\n"
        "scikit-learn is not installed for %s. It is not installed by the benchmark.\n"
        "On Debian or Ubuntu: apt-get install -y python3-sklearn python3-pandas, then run\n"
        "this script with /usr/bin/python3 (scikit-learn 1.2.1 on Debian bookworm).\n" % (e, sys.executable))
    sys.exit(3)


def grid_of(trials):
    """A GridSearchCV param_grid that runs exactly these trials, in order."""
    return [{"C": [t["C"]], "penalty": [t["penalty"]], "class_weight": [t["class_weight"]]} for t in trials]


def cpu_seconds():
    """CPU time of this process and of its finished children (the loky
    workers, once shut down)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(search, X, y, trials, folds):
    cpu0 = cpu_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        search.fit(X, y)
        seconds = time.perf_counter() - t0
    # Stop the workers so that their CPU time is counted (a fresh pool
    # starts for the next search).
    get_reusable_executor().shutdown(wait=True)
    cpu = cpu_seconds() - cpu0
    cv = search.cv_results_
    best = int(np.argmin(cv["rank_test_score"]))
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "trials": trials,
        "folds": folds,
        "best_score": float(cv["mean_test_score"][best]),
        "best_std": float(cv["std_test_score"][best]),
        "best_params": {k: (v.item() if isinstance(v, np.generic) else v) for k, v in cv["params"][best].items()},
        "scores": [float(s) for s in cv["mean_test_score"]],
    }


def main():
    # The loky workers that fit the models inherit this: no
    # ConvergenceWarning per saga fit on stderr.
    os.environ["PYTHONWARNINGS"] = "ignore"
    ap = argparse.ArgumentParser()
    ap.add_argument("data", help=".npz file from cmd/bench/train")
    ap.add_argument("plan", help="plan file from cmd/bench/search -plan")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--only", default="grid,random")
    ap.add_argument("--sklearn-sampler", action="store_true")
    args = ap.parse_args()

    arrays = np.load(args.data)
    X, y = arrays["X"], arrays["y"]
    with open(args.plan) as f:
        plan = json.load(f)
    if X.shape != (plan["n"], plan["d"]) or int(y.sum()) != plan["positives"]:
        sys.exit("sklearn_search.py: %s (%dx%d, %d positive) is not the data of the plan (%dx%d, %d positive): "
                 "write both with the same -n, -d and -seed" % (args.data, X.shape[0], X.shape[1], int(y.sum()),
                                                                 plan["n"], plan["d"], plan["positives"]))
    xsum = float(np.sum(X, dtype=np.float64))
    if abs(xsum - plan["x_sum"]) > 1e-9 * max(1.0, abs(xsum)):
        sys.exit("sklearn_search.py: the features differ from the plan's (sum %r, plan %r)" % (xsum, plan["x_sum"]))
    cv = PredefinedSplit(np.asarray(plan["test_fold"]))
    folds = cv.get_n_splits()

    out = {"impl": "scikit-learn " + sklearn.__version__, "n": int(X.shape[0]), "d": int(X.shape[1]),
           "n_jobs": args.n_jobs, "searches": {}}
    solver = {"grid": "lbfgs", "random": "saga"}
    for name in args.only.split(","):
        trials = plan["searches"][name]
        est = LogisticRegression(solver=solver[name], max_iter=100, tol=1e-4)
        search = GridSearchCV(est, grid_of(trials), scoring="f1", cv=cv, n_jobs=args.n_jobs, refit=False)
        out["searches"][name] = timed(search, X, y, len(trials), folds)
        sys.stderr.write("sklearn_search.py: %s: %.1f s, best f1 %.4f\n" % (
            name, out["searches"][name]["seconds"], out["searches"][name]["best_score"]))
    if args.sklearn_sampler:
        space = {
            "C": scipy.stats.loguniform(1e-3, 1e2),
            "penalty": ["l2", "l1"],
            "class_weight": [None, "balanced"],
        }
        skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
        search = RandomizedSearchCV(LogisticRegression(solver="saga", max_iter=100), space, n_iter=16,
                                    scoring="f1", cv=skf, n_jobs=args.n_jobs, random_state=7, refit=False)
        out["searches"]["random_sklearn_sampler"] = timed(search, X, y, 16, 5)
        sys.stderr.write("sklearn_search.py: random_sklearn_sampler: %.1f s\n" % out["searches"]["random_sklearn_sampler"]["seconds"])
    print(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
