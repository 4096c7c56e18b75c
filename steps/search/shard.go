package search

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/fault"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

var _ steps.Sharder = Kind{}

// A search splits into shards of its cross-validation's tasks, one task
// per fold and path of candidates that differ only in C (see
// CrossValidate): each shard fits its tasks' paths on their folds and
// stores the fits as a partial result; Assemble gathers the fits of every
// shard into the trials table, which is the same bytes as Run's, since
// every fit is the same whichever fits run beside it.
//
// The split is a function of the configuration alone: the tasks in
// decreasing order of their paths' cost (fitCost; the folds are nearly
// the same size), each given to the shard with the least cost so far,
// the lowest-numbered among equals.

// PartialFormat identifies a shard's partial result (media type
// PartialMediaType) and its version.
const PartialFormat = "pipe.search.partial/v1"

// PartialMediaType is the media type of a shard's partial result.
const PartialMediaType = "application/vnd.pipe.search-partial.v1+json"

// partialFile is one shard's fits.
type partialFile struct {
	Format string `json:"format"`
	Shard  int    `json:"shard"`
	Shards int    `json:"shards"`
	// Rows and TestRows are the data's rows and each fold's held-out
	// rows, for the trials table.
	Rows     int          `json:"rows"`
	TestRows []int        `json:"test_rows"`
	Fits     []partialFit `json:"fits"`
}

// partialFit is a distinct candidate's fit on one fold.
type partialFit struct {
	Candidate   int           `json:"candidate"`
	Fold        int           `json:"fold"`
	Score       float64       `json:"score"`
	Objective   float64       `json:"objective"`
	Iterations  int           `json:"iterations"`
	Evaluations int           `json:"evaluations"`
	Converged   bool          `json:"converged"`
	Status      logreg.Status `json:"status"`
	WarmStart   int           `json:"warm_start"`
}

// taskRef names a cross-validation task: a fold and a path's index.
type taskRef struct{ fold, path int }

// Shards returns how many shards the search configured as cfg splits
// into when asked for at most n: one per task at most.
func (Kind) Shards(cfg cty.Value, n int) (int, error) {
	c, errs := parseConfig(cfg, false)
	if len(errs) > 0 {
		return 0, errs[0]
	}
	split, err := shardSplit(c, n)
	return len(split), err
}

// shardSplit splits the tasks of the search configured as c into at most
// n shards, each shard's tasks in fold and path order.
func shardSplit(c *config, n int) ([][]taskRef, error) {
	cands, _, err := c.space.candidates(c.strategy, c.trials, c.seed)
	if err != nil {
		return nil, err
	}
	distinct, _ := dedupe(cands)
	paths := buildPaths(distinct)
	type costed struct {
		ref  taskRef
		cost float64
	}
	var tasks []costed
	for f := range c.folds {
		for pi, path := range paths {
			t := costed{ref: taskRef{f, pi}}
			for _, u := range path {
				t.cost += fitCost(distinct[u])
			}
			tasks = append(tasks, t)
		}
	}
	slices.SortStableFunc(tasks, func(a, b costed) int { return cmp.Compare(b.cost, a.cost) })
	split := make([][]taskRef, max(1, min(n, len(tasks))))
	load := make([]float64, len(split))
	for _, t := range tasks {
		i := 0
		for j := range load {
			if load[j] < load[i] {
				i = j
			}
		}
		split[i] = append(split[i], t.ref)
		load[i] += t.cost
	}
	for _, s := range split {
		slices.SortFunc(s, func(a, b taskRef) int { return cmp.Or(cmp.Compare(a.fold, b.fold), cmp.Compare(a.path, b.path)) })
	}
	return split, nil
}

// RunShard fits shard i of count and stores its fits.
func (Kind) RunShard(ctx context.Context, env steps.Env, in *steps.Inputs, i, count int) (_ steps.Artifact, err error) {
	defer fault.Guard(&err)() // the data is read in place: a fault on it is an error
	sp, err := prepare(ctx, env, in)
	if err != nil {
		return steps.Artifact{}, err
	}
	split, err := shardSplit(sp.c, count)
	if err != nil {
		return steps.Artifact{}, err
	}
	if len(split) != count || i < 0 || i >= count {
		return steps.Artifact{}, fmt.Errorf("search: shard %d of %d does not exist: this configuration splits into %d shards", i, count, len(split))
	}
	fits, err := crossValidateShard(ctx, sp.p, sp.settings(env), split[i])
	if err != nil {
		return steps.Artifact{}, sp.fitError(ctx, err)
	}
	f := &partialFile{Format: PartialFormat, Shard: i, Shards: count, Rows: sp.p.Data.N, TestRows: sp.testRows(), Fits: fits}
	a, err := env.PutArtifact(ctx, PartialMediaType, func(w io.Writer) error { return json.NewEncoder(w).Encode(f) })
	if err != nil {
		return steps.Artifact{}, fmt.Errorf("search: storing shard %d's fits: %w", i, err)
	}
	return a, nil
}

// crossValidateShard fits only the tasks in mine and returns their fits.
func crossValidateShard(ctx context.Context, p *Problem, s *Settings, mine []taskRef) ([]partialFit, error) {
	cv, err := newCrossValidation(p, s)
	if err != nil {
		return nil, err
	}
	var tasks []cvTask
	cv.total = 0
	for _, t := range cv.tasks {
		if slices.Contains(mine, taskRef{t.fold, t.index}) {
			tasks = append(tasks, t)
			cv.total += len(t.path)
		}
	}
	if err := cv.run(ctx, tasks); err != nil {
		return nil, err
	}
	var fits []partialFit
	for _, t := range tasks {
		for _, u := range t.path {
			ff := cv.fits[u][t.fold]
			fits = append(fits, partialFit{Candidate: u, Fold: t.fold, Score: ff.Score, Objective: ff.Objective,
				Iterations: ff.Iterations, Evaluations: ff.Evaluations, Converged: ff.Converged, Status: ff.Status, WarmStart: ff.WarmStart})
		}
	}
	slices.SortFunc(fits, func(a, b partialFit) int {
		return cmp.Or(cmp.Compare(a.Fold, b.Fold), cmp.Compare(a.Candidate, b.Candidate))
	})
	return fits, nil
}

// Assemble builds the trials table from every shard's fits: Run's
// outputs, byte for byte, and its warnings.
func (Kind) Assemble(ctx context.Context, env steps.Env, in *steps.Inputs, partials []steps.Artifact) (steps.Outputs, error) {
	start := time.Now()
	c, errs := parseConfig(in.Config, false)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	cands, err := candidates(env, c)
	if err != nil {
		return nil, err
	}
	p := &Problem{Candidates: cands, Metric: c.metric}
	distinct, of := dedupe(cands)
	fits := make([][]FoldFit, len(distinct))
	seen := make([][]bool, len(distinct))
	for u := range fits {
		fits[u], seen[u] = make([]FoldFit, c.folds), make([]bool, c.folds)
	}
	var rows int
	var testRows []int
	for i, a := range partials {
		f, err := readPartial(ctx, env, a, i, len(partials))
		if err != nil {
			return nil, err
		}
		rows, testRows = f.Rows, f.TestRows
		for _, pf := range f.Fits {
			if pf.Candidate < 0 || pf.Candidate >= len(distinct) || pf.Fold < 0 || pf.Fold >= c.folds || seen[pf.Candidate][pf.Fold] {
				return nil, fmt.Errorf("search: shard %d's partial result %s holds a fit (candidate %d, fold %d) this search does not have, or another shard's", i, a.Digest, pf.Candidate, pf.Fold)
			}
			seen[pf.Candidate][pf.Fold] = true
			fits[pf.Candidate][pf.Fold] = FoldFit{Score: pf.Score, Objective: pf.Objective, Iterations: pf.Iterations,
				Evaluations: pf.Evaluations, Converged: pf.Converged, Status: pf.Status, WarmStart: pf.WarmStart}
		}
	}
	for u := range seen {
		if f := slices.Index(seen[u], false); f >= 0 {
			return nil, fmt.Errorf("search: no shard fitted trial %d on fold %d: the partial results are not of this search's split", firstOf(of, u)+1, f+1)
		}
	}
	res := resultOf(p, distinct, of, fits)
	return finish(ctx, env, c, res, rows, testRows, start)
}

// readPartial reads shard i's partial result and checks it is shard i of
// count.
func readPartial(ctx context.Context, env steps.Env, a steps.Artifact, i, count int) (*partialFile, error) {
	b, err := env.ReadArtifact(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("search: reading shard %d's fits: %w", i, err)
	}
	var f partialFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil || f.Format != PartialFormat {
		return nil, fmt.Errorf("search: shard %d's partial result %s is not a %s file: %v", i, a.Digest, PartialFormat, err)
	}
	if f.Shard != i || f.Shards != count {
		return nil, fmt.Errorf("search: the partial result %s is shard %d of %d, not %d of %d", a.Digest, f.Shard, f.Shards, i, count)
	}
	return &f, nil
}
