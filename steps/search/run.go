package search

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/fault"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// Run reads the dataset, splits it into stratified folds, cross-validates
// every trial and stores the table of trials. See the package
// documentation.
func (Kind) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (_ steps.Outputs, err error) {
	defer fault.Guard(&err)() // the data is read in place: a fault on it is an error
	start := time.Now()
	sp, err := prepare(ctx, env, in)
	if err != nil {
		return nil, err
	}
	res, err := CrossValidate(ctx, sp.p, sp.settings(env))
	if err != nil {
		return nil, sp.fitError(ctx, err)
	}
	return finish(ctx, env, sp.c, res, sp.p.Data.N, sp.testRows(), start)
}

// prepared is a search ready to cross-validate: its configuration, and
// the problem made of its data, folds and candidates.
type prepared struct {
	c  *config
	p  *Problem
	ds *dataset.Dataset
}

// prepare reads the configuration and the dataset, checks the classes,
// and splits the folds.
func prepare(ctx context.Context, env steps.Env, in *steps.Inputs) (*prepared, error) {
	c, errs := parseConfig(in.Config, false)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	cands, err := candidates(env, c)
	if err != nil {
		return nil, err
	}
	// Every row is in the training rows of all folds but one, so a row
	// that holds a NaN or ±Inf makes the first objective of some fold's
	// first fit (a cold start) not finite, which fails the search: the
	// matrix is searched for one only then (fitError), not in a pass of
	// its own that would also leave every page of it resident.
	ds, err := dataset.OpenUnscanned(ctx, env, c.data)
	if err != nil {
		return nil, fmt.Errorf("search: reading the data: %w", err)
	}
	if err := checkClasses(ds, c.folds); err != nil {
		if ferr := ds.CheckFinite(); ferr != nil {
			return nil, fmt.Errorf("search: reading the data: %w", ferr) // the first thing wrong with it
		}
		return nil, err
	}
	folds, err := StratifiedKFold(ds.Y, c.folds, c.seed)
	if err != nil {
		return nil, err // checkClasses found every problem StratifiedKFold reports
	}
	return &prepared{c: c, ds: ds, p: &Problem{
		Data:       &logreg.Data{X: ds.X, N: ds.N, D: ds.Dim, Y: ds.LabelsFloat64(), Weight: ds.W},
		Folds:      folds,
		Candidates: cands,
		Metric:     c.metric,
	}}, nil
}

// settings are the cross-validation's settings: the step's parallelism,
// progress reported to env, and the matrix's pages dropped behind the
// passes when env can (steps.PageDropper; the dataset is read in place).
func (sp *prepared) settings(env steps.Env) *Settings {
	par := env.Parallelism()
	if sp.c.parallelism > 0 {
		par = min(par, sp.c.parallelism)
	}
	s := &Settings{
		Parallelism: max(1, par),
		Progress: func(done, total int) {
			env.Progress(int64(done), int64(total), fmt.Sprintf("%d of %d fits", done, total))
		},
	}
	if pd, ok := env.(steps.PageDropper); ok {
		s.DropPages = func(x []float32) {
			pd.DropPages(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(x))), len(x)*4))
		}
	}
	return s
}

// fitError turns a fit that failed into an error about the data: a NaN
// or ±Inf in it, named as dataset.Open names it, or what the fit met.
func (sp *prepared) fitError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	if ferr := sp.ds.CheckFinite(); ferr != nil {
		return fmt.Errorf("search: reading the data: %w", ferr)
	}
	if fe := (*FitError)(nil); errors.As(err, &fe) {
		return steps.Errorf(steps.AttrPath("data"), "Cannot cross-validate on this data",
			"Trial %d (%s), fold %d of %d: %s.", fe.Trial+1, describe(fe.Params), fe.Fold+1, sp.c.folds,
			strings.TrimPrefix(fe.Err.Error(), "logreg: "))
	}
	return err
}

// testRows counts the rows each fold holds out.
func (sp *prepared) testRows() []int {
	n := make([]int, sp.p.Folds.K)
	for _, a := range sp.p.Folds.Assign {
		n[a]++
	}
	return n
}

// finish logs the result, warns about fits that did not converge, and
// stores the trials table of a cross-validation of rows rows whose folds
// held out testRows: the step's outputs, whether the fits ran here
// (Run) or in shards (Assemble).
func finish(ctx context.Context, env steps.Env, c *config, res *Result, rows int, testRows []int, start time.Time) (steps.Outputs, error) {
	log := env.Logger()
	for i, t := range res.Trials {
		var fitTime time.Duration
		for _, f := range t.Folds {
			fitTime += f.Duration
		}
		log.Debug("trial", "trial", i+1, "params", describe(t.Params), "mean", t.Mean, "std", t.Std, "rank", t.Rank, "fit_seconds", fitTime.Seconds())
	}
	best := res.Trials[res.Best]
	log.Info("search", "strategy", c.strategy, "trials", len(res.Trials), "folds", c.folds, "fits", res.Fits,
		"passes", res.Evaluations, "best_trial", res.Best+1, "best", describe(best.Params), string(c.metric), best.Mean,
		"duration_seconds", time.Since(start).Seconds(), "cv_seconds", res.Duration.Seconds())
	if res.NotConverged > 0 {
		env.Warn(fmt.Sprintf("%d of %d fits did not converge", res.NotConverged, res.Fits),
			"They stopped at max_iter, so their scores may be slightly off. Add a larger max_iter to the space (e.g. max_iter = 1000), or set standardize = true.")
	}

	table, err := newTrialsFile(c, rows, testRows, res)
	if err != nil {
		return nil, err
	}
	trials, err := env.PutArtifact(ctx, media.Trials.Type, table.Encode)
	if err != nil {
		return nil, fmt.Errorf("search: storing the trials: %w", err)
	}
	return steps.Outputs{
		"best":       lrconfig.ToValue(best.Params),
		"best_score": cty.NumberFloatVal(best.Mean),
		"best_std":   cty.NumberFloatVal(best.Std),
		"trials":     trials.Value(),
		"n_trials":   cty.NumberIntVal(int64(len(res.Trials))),
	}, nil
}

// candidates turns the space into the trials' parameters, warning when a
// random search has fewer combinations than trials.
func candidates(env steps.Env, c *config) ([]logreg.Params, error) {
	params, capped, err := c.space.candidates(c.strategy, c.trials, c.seed)
	if capped {
		env.Warn(fmt.Sprintf("Only %d trials", len(params)),
			fmt.Sprintf("The space has no distributions and only %d combinations, fewer than trials = %d, so each runs once. Add a distribution such as C = loguniform(1e-3, 1e2) to draw more.", len(params), c.trials))
	}
	return params, err
}

// checkClasses checks that ds has rows of both classes, and at least as
// many of each as there are folds.
func checkClasses(ds *dataset.Dataset, folds int) error {
	pos := ds.Positives()
	count := [2]int{ds.N - pos, pos}
	if ds.N == 0 {
		return steps.Errorf(steps.AttrPath("data"), "No rows", "The dataset has no rows to cross-validate on.")
	}
	for c, n := range count {
		if n == 0 {
			return steps.Errorf(steps.AttrPath("data"), "Only one class",
				"All %d rows of the dataset are of class %d (%s): a classifier needs rows of both classes. Check the load step's label column and positive value.", ds.N, 1-c, className(1-c, ds.Meta.Positive))
		}
	}
	minority := 0
	if count[1] < count[0] {
		minority = 1
	}
	if n := count[minority]; n < folds {
		fix := fmt.Sprintf("Use folds = %d or fewer, or more data.", n)
		if n < 2 {
			fix = "Cross-validation needs at least 2 rows of each class: add data."
		}
		return steps.Errorf(steps.AttrPath("folds"), "More folds than rows of a class",
			"The dataset has only %d rows of class %d (%s), fewer than folds = %d: every fold must hold out at least one row of each class. %s",
			n, minority, className(minority, ds.Meta.Positive), folds, fix)
	}
	return nil
}

// className describes class c for messages.
func className(c int, positive string) string {
	if c == 1 {
		if positive != "" {
			return fmt.Sprintf("positive, label %q", positive)
		}
		return "positive"
	}
	if positive != "" {
		return fmt.Sprintf("negative, labels other than %q", positive)
	}
	return "negative"
}
