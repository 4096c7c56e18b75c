// Package lrconfig converts between the cty values a pipeline writes for
// logistic regression hyperparameters and [logreg.Params]: the params
// attribute of a train block, each trial of a search, and the best
// output of a search all go through it, so that they share one spelling,
// one set of defaults and one set of messages.
//
// steps/shared/logreg owns the parameters themselves (their meaning, defaults
// and the objective); steps/train and steps/search own the attributes
// that hold them.
//
// # The object
//
// A params value is an object (or a map) with any subset of these keys,
// spelled as in scikit-learn's LogisticRegression:
//
//	params = {
//	  C             = 0.1          # > 0, finite; default 1
//	  penalty       = "l1"         # "l2" (default), "l1", "elasticnet" or "none"
//	  l1_ratio      = 0.5          # in [0, 1]; required with "elasticnet", only allowed with it
//	  class_weight  = "balanced"   # "none" (default), "balanced" or { "0" = 1, "1" = 3 }
//	  max_iter      = 200          # whole number >= 1; default 100
//	  tol           = 1e-4         # >= 0, finite; default 1e-4
//	  fit_intercept = true         # default true
//	  standardize   = false        # default false; see logreg.Params.Standardize
//	}
//
// A key that is null takes its default, so a search can offer
// class_weight = [null, "balanced"]. A null or omitted params value is
// all defaults. An unknown key is an error that suggests the closest
// known one ("c" → "C"). Values are converted the way HCL converts them
// (the string "0.1" is the number 0.1), and must then be of the right
// kind.
//
// class_weight as a map names the classes "0" and "1" (in HCL `{ 0 = 1,
// 1 = 3 }` and `{ "0" = 1, "1" = 3 }` are the same object): class 1 is the
// class the load step's positive names, whatever its label in the source
// files, so that one params value fits every dataset. A class the map
// leaves out weighs 1, as in scikit-learn. Each weight is a finite number
// > 0 (a class of weight zero cannot be trained on).
//
// # Canonical form
//
// [ToValue] turns Params back into an object holding every key, with the
// numbers as the exact float64 values the trainer uses, so that
// Decode(ToValue(p)) == p and two equal Params give equal values (and
// equal cache keys). Its l1_ratio is null unless penalty is
// "elasticnet". Its class_weight is a string ("none", "balanced")
// or an object with attributes "0" and "1", so the object's type depends
// on it: declare an output that holds it as cty.DynamicPseudoType.
//
// # Errors
//
// Every problem is a [*steps.AttrError] whose path is the attribute's
// path followed by the key (params.C, params.class_weight["1"]), so the
// engine points at the expression at fault. [Validate] runs at plan time
// on values that may be partly unknown and skips what it cannot see yet;
// [Decode] runs on known values and also applies the checks that involve
// two keys (l1_ratio needs penalty = "elasticnet").
package lrconfig
