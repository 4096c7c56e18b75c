#!/usr/bin/python3
"""Make the reference data for steps/shared/logreg's tests: small data sets and
scikit-learn 1.2.1's solutions on them. Run from this directory with
Debian's Python (the one that has scikit-learn):

    cd steps/shared/logreg/testdata && /usr/bin/python3 make_reference.py

It writes one .npz file per data set (X float32 n×d, y float64 0/1, and w
float64 sample weights where the set has them) and reference.json. The Go
tests read those files and never run Python. Everything is seeded, so
running it again gives the same files (up to the last digits scikit-learn's
solvers may change between versions).

For each case reference.json records the parameters in steps/shared/logreg's
JSON form, and:

- "optimum": scikit-learn's best solution at a tight tolerance (the best
  objective among the solvers that fit the case: lbfgs and newton-cholesky
  for l2 and none; saga, and liblinear when there is no intercept, for l1;
  saga for elasticnet), with its coefficients, intercept, objective,
  predicted labels and the first probabilities;
- "default": the objective scikit-learn reaches at its defaults (tol 1e-4,
  max_iter 100; lbfgs for l2 and none, saga for l1 and elasticnet).

Objectives are computed here from the coefficients, in float64, by the
formulas steps/shared/logreg documents:

    l2:          0.5*|w|^2 + C*sum(s*loss)
    l1:          |w|_1 + C*sum(s*loss)
    elasticnet:  0.5*(1-r)*|w|^2 + r*|w|_1 + C*sum(s*loss)
    none:        sum(s*loss)

with loss = log(1+exp(z)) - y*z and s = sample weight * class weight.
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

warnings.simplefilter("ignore", ConvergenceWarning)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def make_datasets():
    sets = {}

    rng = np.random.default_rng(1)
    n, d = 600, 20
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = (rng.random(n) < sigmoid(X @ w * 0.5 + 0.5)).astype(np.float64)
    sets["basic"] = dict(X=X, y=y)

    rng = np.random.default_rng(2)
    n, d = 1000, 16
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d) * 0.7
    y = (rng.random(n) < sigmoid(X @ w - 3.5)).astype(np.float64)
    sets["imbalanced"] = dict(X=X, y=y)

    rng = np.random.default_rng(3)
    n, d = 400, 10
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = (X @ w + 0.3 > 0).astype(np.float64)
    flip = rng.random(n) < 0.02
    y[flip] = 1 - y[flip]
    sets["separable"] = dict(X=X, y=y)

    rng = np.random.default_rng(4)
    n, d = 500, 12
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = (rng.random(n) < sigmoid(X @ w)).astype(np.float64)
    sw = rng.uniform(0.2, 3.0, size=n)
    sw[rng.random(n) < 0.05] = 0.0
    sets["weighted"] = dict(X=X, y=y, w=sw)

    rng = np.random.default_rng(5)
    n = 400
    B = rng.normal(size=(n, 8))
    X = np.column_stack([B, B[:, 0], B[:, 1] + B[:, 2], np.zeros(n), np.ones(n)])
    w = rng.normal(size=8)
    y = (rng.random(n) < sigmoid(B @ w)).astype(np.float64)
    sets["collinear"] = dict(X=X, y=y)

    rng = np.random.default_rng(6)
    n, d, rank = 1000, 32, 4
    basis = rng.normal(size=(rank, d)) / np.sqrt(d)
    shift = rng.normal(size=rank) * 0.8
    pos = rng.random(n) < 0.3
    Z = rng.normal(size=(n, rank)) + np.outer(pos, shift)
    X = Z @ basis + 0.5 * rng.normal(size=(n, d)) / np.sqrt(d)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    flip = rng.random(n) < 0.05
    y = np.where(flip, ~pos, pos).astype(np.float64)
    sets["embed"] = dict(X=X, y=y)

    rng = np.random.default_rng(7)
    n, d = 500, 8
    scales = 10.0 ** np.arange(-3, 5)
    offsets = rng.normal(size=d) * scales * 3
    B = rng.normal(size=(n, d))
    X = B * scales + offsets
    w = rng.normal(size=d)
    y = (rng.random(n) < sigmoid(B @ w)).astype(np.float64)
    sets["scaled"] = dict(X=X, y=y)

    for s in sets.values():
        s["X"] = s["X"].astype(np.float32)
    return sets


# Each case: data set, our params (JSON form, sklearn names), and which
# coefficients are unique (strictly convex problem) so tests may compare them.
CASES = [
    ("basic", dict(penalty="l2", C=1.0), True),
    ("basic", dict(penalty="l2", C=0.01), True),
    ("basic", dict(penalty="l2", C=100.0), True),
    ("basic", dict(penalty="l2", C=1.0, fit_intercept=False), True),
    ("basic", dict(penalty="l1", C=0.1), False),
    ("basic", dict(penalty="l1", C=0.1, fit_intercept=False), False),
    ("basic", dict(penalty="elasticnet", C=0.5, l1_ratio=0.5), True),
    ("basic", dict(penalty="none"), True),
    ("imbalanced", dict(penalty="l2", C=1.0), True),
    ("imbalanced", dict(penalty="l2", C=1.0, class_weight="balanced"), True),
    ("imbalanced", dict(penalty="l2", C=1.0, class_weight={"0": 1.0, "1": 5.0}), True),
    ("imbalanced", dict(penalty="l1", C=0.5, class_weight="balanced"), False),
    ("imbalanced", dict(penalty="elasticnet", C=0.2, l1_ratio=0.8, class_weight="balanced"), True),
    ("separable", dict(penalty="l2", C=1.0), True),
    ("separable", dict(penalty="l2", C=10.0), True),
    ("separable", dict(penalty="l1", C=1.0), False),
    ("weighted", dict(penalty="l2", C=1.0), True),
    ("weighted", dict(penalty="l1", C=0.3), False),
    ("weighted", dict(penalty="elasticnet", C=1.0, l1_ratio=0.3), True),
    ("weighted", dict(penalty="l2", C=0.5, class_weight="balanced", fit_intercept=False), True),
    ("collinear", dict(penalty="l2", C=1.0), True),
    ("collinear", dict(penalty="l1", C=0.2), False),
    ("collinear", dict(penalty="none"), False),
    ("embed", dict(penalty="l2", C=1.0), True),
    ("embed", dict(penalty="l2", C=20.0), True),
    ("embed", dict(penalty="l1", C=5.0), False),
    ("embed", dict(penalty="elasticnet", C=5.0, l1_ratio=0.5), True),
    ("embed", dict(penalty="l2", C=1.0, class_weight="balanced"), True),
    ("scaled", dict(penalty="l2", C=1.0, standardize=True), True),
    ("scaled", dict(penalty="l1", C=0.1, standardize=True), False),
]


def full_params(p):
    out = dict(penalty="l2", C=1.0, l1_ratio=0.0, class_weight="none",
               fit_intercept=True, max_iter=100, tol=1e-4, standardize=False)
    out.update(p)
    return out


def sk_class_weight(cw):
    if cw == "none":
        return None
    if cw == "balanced":
        return "balanced"
    return {int(k): v for k, v in cw.items()}


def row_weights(p, y, sw):
    cw = p["class_weight"]
    if cw == "none":
        c = np.ones(2)
    elif cw == "balanced":
        n = len(y)
        c = np.array([n / (2 * np.sum(y == 0)), n / (2 * np.sum(y == 1))])
    else:
        c = np.array([cw.get("0", 1.0), cw.get("1", 1.0)])
    s = c[y.astype(int)]
    if sw is not None:
        s = s * sw
    return s


def objective(p, X, y, s, coef, intercept):
    z = X @ coef + intercept
    loss = float(np.sum(s * (np.logaddexp(0.0, z) - y * z)))
    pen, C, r = p["penalty"], p["C"], p["l1_ratio"]
    if pen == "none":
        return loss
    if pen == "l2":
        return 0.5 * float(coef @ coef) + C * loss
    if pen == "l1":
        return float(np.abs(coef).sum()) + C * loss
    return 0.5 * (1 - r) * float(coef @ coef) + r * float(np.abs(coef).sum()) + C * loss


def fit(p, solver, X, y, sw, tol, max_iter):
    penalty = None if p["penalty"] == "none" else p["penalty"]
    kw = dict(penalty=penalty, solver=solver, tol=tol, max_iter=max_iter,
              fit_intercept=p["fit_intercept"], class_weight=sk_class_weight(p["class_weight"]))
    if penalty is not None:
        kw["C"] = p["C"]
    if penalty == "elasticnet":
        kw["l1_ratio"] = p["l1_ratio"]
    if solver in ("saga",):
        kw["random_state"] = 0
    m = LogisticRegression(**kw)
    m.fit(X, y, sample_weight=sw)
    return m


def solvers_for(p, tight):
    pen = p["penalty"]
    if not tight:
        return ["lbfgs"] if pen in ("l2", "none") else ["saga"]
    if pen in ("l2", "none"):
        return ["lbfgs", "newton-cholesky"]
    if pen == "l1":
        return ["saga"] + ([] if p["fit_intercept"] else ["liblinear"])
    return ["saga"]


def solve(p, X, y, sw, tight):
    s = row_weights(p, y, sw)
    best = None
    for solver in solvers_for(p, tight):
        if tight:
            tol, max_iter = (1e-10, 100000) if solver != "saga" else (1e-9, 200000)
        else:
            tol, max_iter = 1e-4, 100
        m = fit(p, solver, X, y, sw, tol, max_iter)
        coef, b = m.coef_.ravel().astype(np.float64), float(np.atleast_1d(m.intercept_)[0])
        obj = objective(p, X, y, s, coef, b)
        if best is None or obj < best[0]:
            best = (obj, solver, m, coef, b)
    return best


def main():
    sets = make_datasets()
    for name, s in sets.items():
        arrays = {"X": s["X"], "y": s["y"]}
        if "w" in s:
            arrays["w"] = s["w"]
        np.savez(name + ".npz", **arrays)

    cases = []
    for data, p, unique in CASES:
        p = full_params(p)
        s = sets[data]
        X = s["X"].astype(np.float64)
        y = s["y"]
        sw = s.get("w")
        if p["standardize"]:
            X = StandardScaler().fit_transform(X)
        obj, solver, m, coef, b = solve(p, X, y, sw, tight=True)
        default_obj = solve(p, X, y, sw, tight=False)[0]
        z = X @ coef + b
        prob = sigmoid(z)
        labels = "".join("1" if v > 0 else "0" for v in z)
        assert labels == "".join(str(int(v)) for v in m.predict(X))
        cases.append({
            "data": data,
            "params": p,
            "unique": unique,
            "optimum": {
                "solver": solver,
                "coef": coef.tolist(),
                "intercept": b,
                "objective": obj,
                "labels": labels,
                "prob_head": prob[:10].tolist(),
                "min_abs_margin": float(np.min(np.abs(z))),
            },
            "default": {"objective": default_obj},
        })
        print(f"{data:11s} {json.dumps(p['penalty'])} C={p['C']:<6} {solver:16s} obj={obj:.12g} default={default_obj:.12g}")

    with open("reference.json", "w") as f:
        json.dump({"sklearn": sklearn.__version__, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
