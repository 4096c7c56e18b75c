package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/pipe-ml/pipe/steps/shared/fault"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// Problem is a cross-validated comparison of candidate hyperparameters:
// every candidate is fitted on the training rows of every fold and scored
// by Metric on that fold's held-out rows.
type Problem struct {
	// Data holds every row; its Rows must be nil. The folds index its
	// rows. Data.Weight, when set, weighs rows in the fits and in the
	// scores.
	Data *logreg.Data
	// Folds splits Data's rows, e.g. from [StratifiedKFold].
	Folds *Folds
	// Candidates are the parameters to compare, in trial order; they must
	// be valid (logreg.Params.Validate). Duplicates are fitted once.
	Candidates []logreg.Params
	// Metric ranks the candidates; it must be valid.
	Metric Metric
}

// Settings tune how a cross-validation runs, not what it finds. A nil
// *Settings means the defaults.
type Settings struct {
	// Parallelism is how many goroutines a shared pass over the data
	// uses, and the cores the fits' other work is divided between; 0
	// means runtime.GOMAXPROCS(0). It never changes the result.
	Parallelism int
	// ColdStart fits every candidate from zero coefficients instead of
	// warm-starting it from the candidate before it on its C path (see
	// [CrossValidate]). The scores agree to the fits' tolerance either
	// way; cold starts cost more passes over the data.
	ColdStart bool
	// Progress, if not nil, is called after each fit with the number of
	// fits done and the total. Calls never overlap.
	Progress func(done, total int)
	// DropPages, if not nil, is called with parts of Problem.Data.X that
	// the fits are done reading for now: the whole matrix before they
	// start, the parts behind each shared pass over it, and those behind
	// each fit's scoring. A caller whose matrix is a memory map drops
	// their pages from the process's resident memory there
	// (steps.PageDropper), so that the whole matrix does not stay in it
	// while most of it waits for the next pass; a part read again maps
	// back in. It never changes the result. Calls may come from several
	// goroutines at once.
	DropPages func(x []float32)
}

// Result is the outcome of a cross-validation.
type Result struct {
	// Trials has one entry per candidate, in the order of
	// Problem.Candidates.
	Trials []Trial
	// Best is the index of the best trial: the highest mean score (the
	// lowest for log_loss), the earliest trial among equals, as
	// scikit-learn's best_index_.
	Best int
	// Fits counts the fits run: distinct candidates times folds.
	// Evaluations counts their passes over the data.
	Fits, Evaluations int
	// NotConverged counts fits that stopped at max_iter.
	NotConverged int
	// Duration is the wall time of the whole cross-validation.
	Duration time.Duration
}

// Trial is one candidate's cross-validation.
type Trial struct {
	Params logreg.Params
	// Folds has one entry per fold, in fold order.
	Folds []FoldFit
	// Mean and Std are the mean and the (population) standard deviation
	// of the fold scores, as scikit-learn's mean_test_score and
	// std_test_score.
	Mean, Std float64
	// Rank is 1 for the best mean score; equal means share the lower
	// rank (scikit-learn's rank_test_score).
	Rank int
}

// Scores returns the fold scores in fold order.
func (t *Trial) Scores() []float64 {
	s := make([]float64, len(t.Folds))
	for f, ff := range t.Folds {
		s[f] = ff.Score
	}
	return s
}

// FoldFit is one candidate fitted on one fold's training rows.
type FoldFit struct {
	// Score is the metric on the fold's held-out rows.
	Score float64
	// Objective, Iterations, Evaluations, Converged and Status are the
	// fit's (see logreg.Result).
	Objective               float64
	Iterations, Evaluations int
	Converged               bool
	Status                  logreg.Status
	// WarmStart is the index of the trial whose solution on this fold
	// the fit started from, or -1 for a cold start.
	WarmStart int
	// Duration is the wall time of the fit and its scoring.
	Duration time.Duration
}

// CrossValidate fits every distinct candidate on every fold and scores it.
//
// Warm starts: on each fold, candidates that differ only in C form a path,
// fitted in increasing order of C, each starting from the solution for the
// C before it (scikit-learn's regularisation path trick; a larger C moves
// the optimum only a little from a smaller one's) and, for l2, with its
// L-BFGS curvature pairs (logreg.Settings.Curvature: the data term is the
// same along a path, so they carry over exactly). Paths are fixed by the
// candidates alone, so they never depend on timing or Parallelism.
//
// Parallelism: the paths of all folds are independent tasks, started
// longest first, all at once as far as the memory bound allows. Folds
// share Problem.Data's features through logreg.Data.Rows: nothing is
// copied, and each running fit holds only its own O(d) state (and, for l1
// and elasticnet, its Hessian sample). The fits running at once share
// their passes over the matrix through a logreg.Batch: one sweep on
// Settings.Parallelism goroutines reads each row once for all of them,
// which is what makes a search cheaper than its fits one by one (a pass
// is bound by memory, not arithmetic). Their other work (Hessian samples,
// scoring) is spread over the same number of cores. The tasks started at
// once keep their state within an eighth of the feature matrix, and a
// garbage collection runs whenever the fits have allocated half that much
// since the last, so that the Go heap stays within about a fifth of the
// matrix.
//
// Resident memory: with Settings.DropPages, a matrix that is a memory map
// (a step's dataset) does not stay resident whole. Its first five eighths
// stay; the pages of the rest are dropped before the fits start, behind
// each shared pass in 8 MiB regions (a region goes once the pass has read
// all of its rows), behind each fit's sample of rows for its intercept
// scale, and behind each fit's scoring, and map back in from the page
// cache when a pass reads them again (see pages). Meanwhile GOGC is 25
// (cvGCPercent), so that the heap keeps little garbage. For 100k × 584
// (234 MB) the step's peak resident memory went from 1.46 to about 1.17
// times the matrix; the faults cost from 1% of the search's CPU time,
// where the kernel cached the file in 2 MiB folios (as it does a file
// just written), to 10% where it read it back in small ones. The Newton
// solver's Hessian samples (l1, elasticnet) read rows outside the passes
// without dropping them: the next pass does.
//
// Every fit, and therefore the result, is the same whatever the
// Parallelism. Fit errors name the trial and fold.
func CrossValidate(ctx context.Context, p *Problem, s *Settings) (*Result, error) {
	start := time.Now()
	cv, err := newCrossValidation(p, s)
	if err != nil {
		return nil, err
	}
	if err := cv.run(ctx, cv.tasks); err != nil {
		return nil, err
	}
	res := resultOf(p, cv.distinct, cv.of, cv.fits)
	res.Duration = time.Since(start)
	return res, nil
}

// newCrossValidation checks p and plans its fits: the distinct
// candidates, their paths, the folds and a task per fold and path.
func newCrossValidation(p *Problem, s *Settings) (*crossValidation, error) {
	if s == nil {
		s = &Settings{}
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	par := s.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}

	// Distinct candidates, fitted once each.
	distinct, of := dedupe(p.Candidates)
	paths := buildPaths(distinct)
	if s.ColdStart {
		paths = nil
		for u := range distinct {
			paths = append(paths, []int{u})
		}
	}
	folds := make([]foldData, p.Folds.K)
	for f := range folds {
		folds[f] = p.newFold(f)
	}
	budget := memoryBudget(p.Data)

	// Tasks start in that order as long as their fits' state fits in the
	// memory budget, all of them at once when it allows: their fits share
	// each pass over the matrix through the batch, so the more run at
	// once, the fewer reads of the matrix.
	batch, err := logreg.NewBatch(p.Data, par)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	pg := newPages(p.Data.X, p.Data.N, p.Data.D, s.DropPages)
	if pg != nil {
		batch.OnRead(pg.passRead)
		batch.OnSample(pg.sampleRead)
	}
	cv := &crossValidation{p: p, s: s, distinct: distinct, of: of, folds: folds, batch: batch, pg: pg, par: par,
		tasks: planTasks(p, distinct, paths, folds, budget), budget: budget,
		fits: make([][]FoldFit, len(distinct)), total: len(distinct) * p.Folds.K, gc: newCollector(budget / 2)}
	for u := range cv.fits {
		cv.fits[u] = make([]FoldFit, p.Folds.K)
	}
	return cv, nil
}

// cvTask is one path of distinct candidates fitted on one fold.
type cvTask struct {
	fold   int
	index  int   // the path's index in buildPaths' order
	path   []int // distinct candidates, in fitting order
	cost   float64
	memory int64 // the state of one of its fits, in bytes
}

// planTasks returns a task per fold and path, longest first (ties in a
// fixed order; the order of execution does not change any result).
func planTasks(p *Problem, distinct []logreg.Params, paths [][]int, folds []foldData, budget int64) []cvTask {
	var tasks []cvTask
	for f := range folds {
		for pi, path := range paths {
			t := cvTask{fold: f, index: pi, path: path}
			for _, u := range path {
				t.cost += fitCost(distinct[u])
				t.memory = max(t.memory, fitMemory(p.Data, distinct[u]))
			}
			t.cost *= float64(folds[f].train.Len())
			t.memory = min(t.memory, budget)
			tasks = append(tasks, t)
		}
	}
	slices.SortStableFunc(tasks, func(a, b cvTask) int { return cmp.Compare(b.cost, a.cost) })
	return tasks
}

// crossValidation is one CrossValidate's fits in progress.
type crossValidation struct {
	p        *Problem
	s        *Settings
	distinct []logreg.Params
	of       []int // of[i] is the distinct candidate of candidate i
	folds    []foldData
	batch    *logreg.Batch
	pg       *pages // nil unless Settings.DropPages
	par      int
	gc       *collector
	tasks    []cvTask
	budget   int64
	// fits[u][f] is distinct candidate u's fit on fold f.
	fits  [][]FoldFit
	total int

	mu       sync.Mutex // guards done, failures and Settings.Progress
	done     int
	failures []taskError
}

// run runs the tasks, starting them in order as the memory budget allows,
// and stops at the first failure.
func (cv *crossValidation) run(ctx context.Context, tasks []cvTask) error {
	defer tightenGC()()
	cv.pg.all() // what read the matrix before the fits (a caller that checked it whole) left resident
	mem := semaphore.NewWeighted(cv.budget)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, t := range tasks {
		// Acquire in task order, so that the longest start first.
		if err := mem.Acquire(ctx, t.memory); err != nil {
			break
		}
		wg.Go(func() {
			defer mem.Release(t.memory)
			if !cv.runPath(ctx, t) {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return err
	}
	if len(cv.failures) > 0 {
		return firstFailure(cv.failures)
	}
	return nil
}

// runPath fits t's path on its fold, each fit starting from the one
// before. It returns false when a fit failed (the failure is recorded).
func (cv *crossValidation) runPath(ctx context.Context, t cvTask) bool {
	fd := &cv.folds[t.fold]
	var init *logreg.Result
	prev := -1
	for _, u := range t.path {
		if ctx.Err() != nil {
			return true
		}
		// A fit's own work (a Hessian sample) runs while the others wait
		// for its next pass: it may use every core.
		ff, res, err := cv.fitAndScore(ctx, fd, cv.distinct[u], init)
		if err != nil {
			cv.mu.Lock()
			cv.failures = append(cv.failures, taskError{trial: firstOf(cv.of, u), fold: t.fold, params: cv.distinct[u], err: err})
			cv.mu.Unlock()
			return false
		}
		ff.WarmStart = -1
		if prev >= 0 {
			ff.WarmStart = firstOf(cv.of, prev)
		}
		cv.fits[u][t.fold] = ff
		init, prev = res, u
		cv.gc.afterFit()
		cv.mu.Lock()
		cv.done++
		if cv.s.Progress != nil {
			cv.s.Progress(cv.done, cv.total)
		}
		cv.mu.Unlock()
	}
	return true
}

// resultOf gathers every candidate's fold fits into trials and ranks
// them: fits[u][f] is distinct candidate u's fit on fold f, of[i] the
// distinct candidate of candidate i.
func resultOf(p *Problem, distinct []logreg.Params, of []int, fits [][]FoldFit) *Result {
	res := &Result{Trials: make([]Trial, len(p.Candidates)), Fits: len(distinct) * len(fits[0])}
	for u := range distinct {
		for _, ff := range fits[u] {
			res.Evaluations += ff.Evaluations
			if !ff.Converged {
				res.NotConverged++
			}
		}
	}
	for i, params := range p.Candidates {
		t := Trial{Params: params, Folds: slices.Clone(fits[of[i]])}
		t.Mean, t.Std = meanStd(t.Scores())
		res.Trials[i] = t
	}
	res.Best = rank(res.Trials, p.Metric)
	return res
}

func (p *Problem) check() error {
	switch {
	case p == nil || p.Data == nil:
		return errors.New("search: no data")
	case p.Data.Rows != nil:
		return errors.New("search: Problem.Data must hold every row (Rows nil): the folds index its rows")
	case p.Folds == nil || len(p.Folds.Assign) != p.Data.N:
		return errors.New("search: the folds do not split the data's rows")
	case len(p.Candidates) == 0:
		return errors.New("search: no candidates to compare")
	case !p.Metric.Valid():
		return fmt.Errorf("search: unknown metric %q: use one of %s", string(p.Metric), metricNames())
	}
	for i, c := range p.Candidates {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("search: candidate %d: %w", i, err)
		}
	}
	return nil
}

// foldData is one fold: its training set (a view of the data) and its
// held-out rows with their labels and weights.
type foldData struct {
	train   *logreg.Data
	test    []int32
	labels  []float64
	weights []float64 // nil without sample weights
}

func (p *Problem) newFold(f int) foldData {
	train := *p.Data
	train.Rows = p.Folds.Train(f)
	fd := foldData{train: &train, test: p.Folds.Test(f)}
	fd.labels = make([]float64, len(fd.test))
	for k, i := range fd.test {
		fd.labels[k] = p.Data.Y[i]
	}
	if p.Data.Weight != nil {
		fd.weights = make([]float64, len(fd.test))
		for k, i := range fd.test {
			fd.weights[k] = p.Data.Weight[i]
		}
	}
	return fd
}

// cvObjectiveTol·Tol is the relative decrease of the objective that ends
// a cross-validation's fit (logreg.Settings.ObjectiveTol): 2.2e-9 at the
// default Tol of 1e-4, the test scikit-learn's lbfgs stops at in its own
// GridSearchCV, and ten times logreg's default, which polishes a model's
// objective below scikit-learn's. Candidates are compared by held-out
// scores, which that last digit of the objective does not move; `train`
// fits the chosen model with logreg's default.
const cvObjectiveTol = 2.2e-5

// fitAndScore fits params on the fold's training rows, from init's
// solution when init is not nil, and scores the fit on the held-out rows.
//
// It runs on a goroutine of its own: a fault on a memory-mapped matrix
// (see steps/shared/fault) is an error, not a crash.
func (cv *crossValidation) fitAndScore(ctx context.Context, fd *foldData, params logreg.Params, init *logreg.Result) (_ FoldFit, _ *logreg.Result, err error) {
	defer fault.Guard(&err)()
	start := time.Now()
	settings := &logreg.Settings{Parallelism: cv.par, Batch: cv.batch, ObjectiveTol: cvObjectiveTol * params.Tol}
	if init != nil {
		// The same rows: the standardisation, if any, is the same too.
		settings.InitCoef, settings.InitIntercept = init.Coef, init.Intercept
		settings.Scaling = init.Scaling
		settings.Curvature = init.Curvature
	}
	res, err := logreg.Fit(ctx, fd.train, params, settings)
	if err != nil {
		return FoldFit{}, nil, err
	}
	model, err := logreg.NewModel(res, fd.train, params, logreg.Features{}, "")
	if err != nil {
		return FoldFit{}, nil, err
	}
	z := margins(fd.train, fd.test, model.Coef, model.Intercept, cv.pg)
	for k, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) { // a NaN or ±Inf feature (see prepare), or overflow
			return FoldFit{}, nil, fmt.Errorf("the margin of held-out row %d is not finite: features or coefficients are too large (try standardize = true)", fd.test[k]+1)
		}
	}
	score, err := cv.p.Metric.score(fd.labels, fd.weights, z)
	if err != nil {
		return FoldFit{}, nil, err
	}
	return FoldFit{
		Score:       score,
		Objective:   res.Objective,
		Iterations:  res.Iterations,
		Evaluations: res.Evaluations,
		Converged:   res.Converged,
		Status:      res.Status,
		Duration:    time.Since(start),
	}, res, nil
}

// margins returns w·xᵢ + b for the given rows of d, in increasing
// order, each summed in float64 in a fixed order. Every product is
// rounded before it is added (the conversions forbid fused
// multiply-adds), so the margins, and the scores, are the same bits on
// every architecture. The rows' pages are dropped behind it (pg may be
// nil).
func margins(d *logreg.Data, rows []int32, w []float64, b float64, pg *pages) []float64 {
	z := make([]float64, len(rows))
	dim := d.D
	behind := cursor{pg: pg}
	defer behind.done()
	for k, i := range rows {
		behind.at(int(i))
		x := d.X[int(i)*dim : (int(i)+1)*dim : (int(i)+1)*dim]
		w := w[:len(x)]
		var s0, s1, s2, s3 float64
		j := 0
		for ; j+4 <= len(x); j += 4 {
			s0 += float64(float64(x[j]) * w[j])
			s1 += float64(float64(x[j+1]) * w[j+1])
			s2 += float64(float64(x[j+2]) * w[j+2])
			s3 += float64(float64(x[j+3]) * w[j+3])
		}
		for ; j < len(x); j++ {
			s0 += float64(float64(x[j]) * w[j])
		}
		z[k] = (s0 + s1) + (s2 + s3) + b
	}
	return z
}

// dedupe returns the distinct candidates, in order of first appearance,
// and for each candidate the index of its distinct one. Candidates that
// fit the same model count as one: with penalty "none", C is ignored.
func dedupe(cands []logreg.Params) (distinct []logreg.Params, of []int) {
	seen := map[logreg.Params]int{}
	of = make([]int, len(cands))
	for i, c := range cands {
		key := fitKey(c)
		u, ok := seen[key]
		if !ok {
			u = len(distinct)
			seen[key] = u
			distinct = append(distinct, c)
		}
		of[i] = u
	}
	return distinct, of
}

// fitKey is the part of params that changes a fit.
func fitKey(p logreg.Params) logreg.Params {
	if p.Penalty == logreg.NoPenalty {
		p.C = 1
	}
	return p
}

// buildPaths groups distinct candidates that differ only in C into paths
// ordered by increasing C (ties cannot occur among distinct candidates),
// the paths ordered by their first candidate.
func buildPaths(distinct []logreg.Params) [][]int {
	index := map[logreg.Params]int{}
	var paths [][]int
	for u, c := range distinct {
		key := c
		key.C = 0
		pi, ok := index[key]
		if !ok {
			pi = len(paths)
			index[key] = pi
			paths = append(paths, nil)
		}
		paths[pi] = append(paths[pi], u)
	}
	for _, path := range paths {
		slices.SortStableFunc(path, func(a, b int) int { return cmp.Compare(distinct[a].C, distinct[b].C) })
	}
	return paths
}

// fitCost is a rough relative cost of fitting params on one row, for
// scheduling the longest paths first: passes grow with log C, and l1
// fits cost more per pass.
func fitCost(p logreg.Params) float64 {
	c := 1 + max(0, math.Log10(p.C)+3)
	if p.Penalty == logreg.L1 || p.Penalty == logreg.ElasticNet {
		c *= 2
	}
	return c
}

// fitMemory is the state of one fit of params on d's rows, in bytes: a
// partial gradient per 256-row chunk, and for l1 and elasticnet a Hessian
// sample of max(4096, 8·(d+1)) rows and a (d+1)² Gram cache (see
// steps/shared/logreg's package comment).
func fitMemory(d *logreg.Data, params logreg.Params) int64 {
	dim := float64(d.D + 1)
	m := 8 * dim * math.Ceil(float64(d.N)/256)
	if params.Penalty == logreg.L1 || params.Penalty == logreg.ElasticNet {
		m += 4*dim*max(4096, 8*dim) + 8*dim*dim
	}
	return int64(m)
}

// memoryBudget is how much memory the search may use besides the data:
// an eighth of the feature matrix, and at least 64 MiB, which matters
// only for small data.
func memoryBudget(d *logreg.Data) int64 {
	return max(int64(len(d.X))*4/8, 64<<20)
}

// collector bounds the garbage that finished fits leave behind. Each fit
// allocates its own O(d) state (for l1 and elasticnet, a Hessian sample
// of several megabytes); with Go's default pacing the heap may grow to
// twice the live data (the feature matrix) before a collection frees it.
// The collector runs one as soon as half the memory budget (a sixteenth
// of the matrix) has been allocated since the last, so that with the
// fits' own state (at most an eighth) the heap stays within about 1.2
// times the matrix. A collection is cheap here: the matrix holds no
// pointers.
type collector struct {
	budget uint64
	mu     sync.Mutex
	last   uint64
	sample []metrics.Sample
}

func newCollector(budget int64) *collector {
	c := &collector{budget: uint64(budget), sample: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}}
	c.last = c.allocated()
	return c
}

// allocated returns the bytes allocated on the heap since the program
// started; callers hold mu or own c.
func (c *collector) allocated() uint64 {
	metrics.Read(c.sample)
	if c.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return c.sample[0].Value.Uint64()
}

func (c *collector) afterFit() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.allocated(); now-c.last > c.budget {
		runtime.GC()
		c.last = c.allocated()
	}
}

// cvGCPercent is the garbage collector's GOGC while cross-validations
// run, in place of Go's default 100: the heap may then grow a quarter
// above its live data between collections instead of doubling. A
// search's live heap is small (the folds, and each running fit's O(d)
// state: 36 MB for 100k × 584, 10 fits at once, of which half is the
// process's own) and its fits allocate 70 MB in all, so this costs a few
// more collections of a few milliseconds each, and keeps 20 MB of
// garbage out of the process's resident memory.
const cvGCPercent = 25

// pacing counts the cross-validations running in the process: GOGC is
// the process's, the first to start sets it and the last to end gives
// the previous value back.
var pacing struct {
	mu   sync.Mutex
	n    int
	prev int
}

// tightenGC sets GOGC to cvGCPercent, unless it is lower or off, until
// the function it returns is called. Other work in the process that runs
// meanwhile (another step) collects more often too, and keeps less
// garbage.
func tightenGC() (restore func()) {
	pacing.mu.Lock()
	defer pacing.mu.Unlock()
	if pacing.n == 0 {
		pacing.prev = debug.SetGCPercent(cvGCPercent)
		if pacing.prev < cvGCPercent {
			debug.SetGCPercent(pacing.prev) // lower, or off (-1): left as it was
		}
	}
	pacing.n++
	return func() {
		pacing.mu.Lock()
		defer pacing.mu.Unlock()
		if pacing.n--; pacing.n == 0 {
			debug.SetGCPercent(pacing.prev)
		}
	}
}

// meanStd returns the mean and population standard deviation of s.
func meanStd(s []float64) (mean, std float64) {
	for _, v := range s {
		mean += v
	}
	mean /= float64(len(s))
	for _, v := range s {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(s)))
}

// rank sets each trial's Rank (1 for the best mean; equal means share the
// lower rank) and returns the index of the first best trial.
func rank(trials []Trial, m Metric) int {
	order := make([]int, len(trials))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ma, mb := trials[a].Mean, trials[b].Mean
		switch {
		case m.better(ma, mb):
			return -1
		case m.better(mb, ma):
			return 1
		}
		return 0
	})
	for k, i := range order {
		if k > 0 && trials[i].Mean == trials[order[k-1]].Mean {
			trials[i].Rank = trials[order[k-1]].Rank
		} else {
			trials[i].Rank = k + 1
		}
	}
	return order[0]
}

// firstOf returns the first candidate whose distinct index is u.
func firstOf(of []int, u int) int {
	return slices.Index(of, u)
}

// taskError is a fit that failed.
type taskError struct {
	trial, fold int
	params      logreg.Params
	err         error
}

// firstFailure returns the failure of the earliest trial and fold that is
// not a consequence of another's (a cancelled context), so that the error
// does not depend on timing.
func firstFailure(fs []taskError) error {
	slices.SortFunc(fs, func(a, b taskError) int {
		ca, cb := errors.Is(a.err, context.Canceled), errors.Is(b.err, context.Canceled)
		if ca != cb {
			if ca {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.trial, b.trial), cmp.Compare(a.fold, b.fold))
	})
	f := fs[0]
	return &FitError{Trial: f.trial, Fold: f.fold, Params: f.params, Err: f.err}
}

// FitError is a fit that failed during a cross-validation.
type FitError struct {
	// Trial and Fold are 0-based indices.
	Trial, Fold int
	Params      logreg.Params
	Err         error
}

func (e *FitError) Error() string {
	return fmt.Sprintf("search: trial %d (%s), fold %d: %v", e.Trial+1, describe(e.Params), e.Fold+1, e.Err)
}

func (e *FitError) Unwrap() error { return e.Err }

// describe names params briefly for messages: C, penalty, and what
// differs from the defaults.
func describe(p logreg.Params) string {
	s := fmt.Sprintf("C=%g, penalty=%s", p.C, p.Penalty)
	def := logreg.DefaultParams()
	if p.Penalty == logreg.ElasticNet {
		s += fmt.Sprintf(", l1_ratio=%g", p.L1Ratio)
	}
	if p.ClassWeight != def.ClassWeight {
		s += ", class_weight=" + p.ClassWeight.String()
	}
	if p.FitIntercept != def.FitIntercept {
		s += fmt.Sprintf(", fit_intercept=%t", p.FitIntercept)
	}
	if p.MaxIter != def.MaxIter {
		s += fmt.Sprintf(", max_iter=%d", p.MaxIter)
	}
	if p.Tol != def.Tol {
		s += fmt.Sprintf(", tol=%g", p.Tol)
	}
	if p.Standardize {
		s += ", standardize=true"
	}
	return s
}
