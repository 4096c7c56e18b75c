package train

import (
	"context"
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/fault"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// Run reads the dataset, fits the model and stores it. See the package
// documentation.
func (Kind) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (_ steps.Outputs, err error) {
	defer fault.Guard(&err)() // the data is read in place: a fault on it is an error
	c := parseConfig(in.Config)
	params, err := lrconfig.Decode(c.params, steps.AttrPath("params"))
	if err != nil {
		return nil, err
	}
	a, err := in.Artifact("data")
	if err != nil {
		return nil, err
	}
	// The fit reads every row, and one that holds a NaN or ±Inf makes its
	// first objective not finite, which fails it (logreg.Fit): the
	// matrix is searched for one only then, not in a pass of its own
	// before (dataset.OpenUnscanned), and named as dataset.Open names it.
	ds, err := dataset.OpenUnscanned(ctx, env, a)
	if err != nil {
		return nil, fmt.Errorf("train: reading the training data: %w", err)
	}
	workers := c.parallelism
	if workers == 0 {
		workers = env.Parallelism()
	}
	m, res, err := fit(ctx, env, ds, a.Digest, params, max(1, workers))
	if err != nil {
		if ferr := ds.CheckFinite(); ferr != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("train: reading the training data: %w", ferr)
		}
		return nil, err
	}
	model, err := env.PutArtifact(ctx, media.Model.Type, m.Encode)
	if err != nil {
		return nil, fmt.Errorf("train: storing the model: %w", err)
	}
	return steps.Outputs{
		"model":      model.Value(),
		"objective":  cty.NumberFloatVal(res.Objective),
		"iterations": cty.NumberIntVal(int64(res.Iterations)),
		"converged":  cty.BoolVal(res.Converged),
		"status":     cty.StringVal(res.Status.String()),
	}, nil
}

// fit trains a model on every row of ds with params, warning through env
// when the fit does not converge. digest identifies ds in the model.
func fit(ctx context.Context, env steps.Env, ds *dataset.Dataset, digest string, params logreg.Params, workers int) (*logreg.Model, *logreg.Result, error) {
	if err := checkData(ds); err != nil {
		return nil, nil, err
	}
	data := &logreg.Data{X: ds.X, N: ds.N, D: ds.Dim, Y: ds.LabelsFloat64(), Weight: ds.W}
	settings := &logreg.Settings{
		Parallelism:  workers,
		Precondition: true,
		Progress: func(p logreg.Progress) {
			env.Progress(int64(p.Iteration), int64(params.MaxIter), fmt.Sprintf("iteration %d, objective/C %.6g", p.Iteration, p.Objective))
		},
	}
	res, err := logreg.Fit(ctx, data, params, settings)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, steps.Errorf(steps.AttrPath("data"), "Cannot train on this data",
			"%s.", strings.TrimPrefix(err.Error(), "logreg: "))
	}
	env.Logger().Info("fit", "rows", ds.N, "dim", ds.Dim, "penalty", string(params.Penalty), "C", params.C,
		"iterations", res.Iterations, "evaluations", res.Evaluations, "objective", res.Objective,
		"status", res.Status.String(), "duration", res.Duration)
	if !res.Converged {
		env.Warn(notConverged(res, params))
	}
	m, err := logreg.NewModel(res, data, params, logreg.Features{Dim: ds.Dim, Source: ds.Meta.Features}, digest)
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	return m, res, nil
}

// checkData refuses data no classifier can learn from, with messages
// that say where to look.
func checkData(ds *dataset.Dataset) error {
	if ds.N == 0 {
		return steps.Errorf(steps.AttrPath("data"), "No training rows", "The training dataset has no rows; check the load step that made it.")
	}
	pos := ds.Positives()
	if pos == 0 || pos == ds.N {
		class, name := 0, "negative"
		if pos > 0 {
			class, name = 1, "positive"
		}
		detail := fmt.Sprintf("All %d rows of the training data are of class %d (%s): a classifier needs both classes.", ds.N, class, name)
		if ds.Meta.Positive != "" {
			detail += fmt.Sprintf(" Class 1 is the label value %q; check the load step's positive and label, and that its split leaves both classes in the training rows.", ds.Meta.Positive)
		} else {
			detail += " Check the load step's positive and label."
		}
		return steps.Errorf(steps.AttrPath("data"), "Only one class", "%s", detail)
	}
	for _, v := range ds.X {
		if v != 0 {
			return nil
		}
	}
	return steps.Errorf(steps.AttrPath("data"), "All features are zero",
		"Every feature of all %d rows of the training data is 0 (%s), so a model could only learn the share of positives. Check the load step's features: the columns may be empty, or the wrong ones.",
		ds.N, describeFeatures(ds))
}

func describeFeatures(ds *dataset.Dataset) string {
	if ds.Meta.Features != "" {
		return ds.Meta.Features
	}
	return fmt.Sprintf("dim %d", ds.Dim)
}

// notConverged returns the warning for a fit that stopped before a
// convergence test passed.
func notConverged(res *logreg.Result, p logreg.Params) (summary, detail string) {
	if res.Status == logreg.LineSearchFailure {
		return "Model did not converge",
			fmt.Sprintf("After %d iterations no step decreased the objective (line search failure) while the largest gradient component, %.3g, is still above tol = %g. Rounding errors are as large as the decrease that remains, so the model is probably as good as this data allows; set params.standardize = true if features differ in scale, or loosen params.tol.",
				res.Iterations, res.GradNorm, p.Tol)
	}
	return "Model did not converge",
		fmt.Sprintf("The solver stopped at max_iter = %d iterations with the largest gradient component %.3g above tol = %g (%s). The model was stored, but it is not the optimum: raise params.max_iter, loosen params.tol, or set params.standardize = true if features differ in scale.",
			p.MaxIter, res.GradNorm, p.Tol, res.Status)
}
