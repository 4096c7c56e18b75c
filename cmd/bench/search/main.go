package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/cmd/bench/internal/rss"
	"github.com/pipe-ml/pipe/steps/search"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// plan is what sklearn_search.py needs to run the same searches.
type plan struct {
	N int `json:"n"`
	D int `json:"d"`
	// Positives and XSum identify the data: the script checks them
	// against the .npz file it reads.
	Positives int     `json:"positives"`
	XSum      float64 `json:"x_sum"`
	// TestFold is each row's fold (scikit-learn's PredefinedSplit).
	TestFold []int `json:"test_fold"`
	// Searches are the trials of each search, in scikit-learn's terms.
	Searches map[string][]sklearnParams `json:"searches"`
}

type sklearnParams struct {
	C           float64 `json:"C"`
	Penalty     string  `json:"penalty"`
	ClassWeight *string `json:"class_weight"` // null: None
}

// searchReport is one timed search.
type searchReport struct {
	Seconds      float64        `json:"seconds"`
	CPUSeconds   float64        `json:"cpu_seconds"`
	Trials       int            `json:"trials"`
	Folds        int            `json:"folds"`
	Fits         int            `json:"fits"`
	Passes       int            `json:"passes"`
	NotConverged int            `json:"not_converged"`
	BestScore    float64        `json:"best_score"`
	BestStd      float64        `json:"best_std"`
	BestParams   map[string]any `json:"best_params"`
	// Scores are every trial's mean score, in trial order.
	Scores []float64 `json:"scores"`
}

type report struct {
	Impl         string                  `json:"impl"`
	N            int                     `json:"n"`
	D            int                     `json:"d"`
	Parallelism  int                     `json:"parallelism"`
	Searches     map[string]searchReport `json:"searches"`
	FeatureBytes int64                   `json:"feature_bytes"`
	// PeakRSSBytes is the peak resident memory during the searches
	// (after the data was generated), when the kernel can tell.
	PeakRSSBytes int64  `json:"peak_rss_bytes,omitempty"`
	Note         string `json:"note"`
}

// options are the command's flags.
type options struct {
	n, d         int
	seed, cvSeed uint64
	folds, par   int
	planPath     string
	planOnly     bool
	only         string
	cpuProfile   string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 100_000, "rows")
	fs.IntVar(&o.d, "d", 584, "features")
	fs.Uint64Var(&o.seed, "seed", 1, "data seed (cmd/bench/train's)")
	fs.Uint64Var(&o.cvSeed, "cv-seed", 7, "seed of the folds and of the random draws")
	fs.IntVar(&o.folds, "folds", 5, "folds")
	fs.StringVar(&o.planPath, "plan", "", "write the folds and trials for sklearn_search.py to this file")
	fs.BoolVar(&o.planOnly, "plan-only", false, "write the plan and stop")
	fs.StringVar(&o.only, "only", "grid,random", "comma-separated searches to run")
	fs.IntVar(&o.par, "parallelism", 0, "goroutines (0: GOMAXPROCS)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the first search to this file")
	return o, fs.Parse(args)
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	g := synth.Generate(synth.Config{N: o.n, Dim: o.d, Seed: o.seed})
	data := &logreg.Data{X: g.X, N: o.n, D: o.d, Y: g.LabelsFloat64()}
	f, err := search.StratifiedKFold(g.Y, o.folds, o.cvSeed)
	if err != nil {
		return err
	}
	positives := g.Positives()
	g = nil // keep only features and labels
	runtime.GC()
	cands, pl, err := searchPlan(data, f, positives, o.cvSeed)
	if err != nil {
		return err
	}
	if o.planPath != "" {
		if err := writeJSON(o.planPath, pl); err != nil || o.planOnly {
			return err
		}
	}
	workers := o.par
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rep := report{
		Impl:         "pipe steps/search (" + runtime.Version() + ")",
		N:            o.n,
		D:            o.d,
		Parallelism:  workers,
		Searches:     map[string]searchReport{},
		FeatureBytes: int64(len(data.X)) * 4,
		Note:         "measured on a shared machine: timings are noisy",
	}
	debug.FreeOSMemory() // return the generator's garbage before measuring
	rss.Reset()
	for _, name := range strings.Split(o.only, ",") {
		c, ok := cands[name]
		if !ok {
			return fmt.Errorf("unknown search %q: use grid, random", name)
		}
		sr, err := timeSearch(ctx, &search.Problem{Data: data, Folds: f, Candidates: c, Metric: search.F1}, workers, o)
		if err != nil {
			return err
		}
		sr.Folds = o.folds
		rep.Searches[name] = *sr
		fmt.Fprintf(os.Stderr, "search bench: %s: %.1f s (%.1f s CPU), best f1 %.4f\n", name, sr.Seconds, sr.CPUSeconds, sr.BestScore)
	}
	rep.PeakRSSBytes = rss.Peak()
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// spaces are the two searches, as a search step's space attribute.
var spaces = map[string]struct {
	strategy string
	trials   int
	space    cty.Value
}{
	"grid": {search.Grid, 0, cty.ObjectVal(map[string]cty.Value{
		"C":            cty.TupleVal([]cty.Value{cty.NumberFloatVal(0.01), cty.NumberFloatVal(0.1), cty.NumberFloatVal(1), cty.NumberFloatVal(10)}),
		"class_weight": cty.TupleVal([]cty.Value{cty.StringVal("none"), cty.StringVal("balanced")}),
	})},
	"random": {search.Random, 16, cty.ObjectVal(map[string]cty.Value{
		"C": cty.ObjectVal(map[string]cty.Value{
			"distribution": cty.StringVal("loguniform"), "low": cty.NumberFloatVal(1e-3), "high": cty.NumberFloatVal(1e2),
		}),
		"penalty":      cty.TupleVal([]cty.Value{cty.StringVal("l2"), cty.StringVal("l1")}),
		"class_weight": cty.TupleVal([]cty.Value{cty.StringVal("none"), cty.StringVal("balanced")}),
	})},
}

// searchPlan draws each search's candidates and writes down, for
// sklearn_search.py, the folds, the trials and what identifies the data.
func searchPlan(data *logreg.Data, f *search.Folds, positives int, cvSeed uint64) (map[string][]logreg.Params, *plan, error) {
	cands := map[string][]logreg.Params{}
	pl := &plan{N: data.N, D: data.D, Positives: positives, TestFold: make([]int, data.N), Searches: map[string][]sklearnParams{}}
	for i, a := range f.Assign {
		pl.TestFold[i] = int(a)
	}
	for _, v := range data.X {
		pl.XSum += float64(v)
	}
	for name, s := range spaces {
		c, _, err := search.Candidates(s.space, s.strategy, s.trials, cvSeed)
		if err != nil {
			return nil, nil, err
		}
		cands[name] = c
		for _, p := range c {
			pl.Searches[name] = append(pl.Searches[name], toSklearn(p))
		}
	}
	return cands, pl, nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// timeSearch runs one cross-validation and reports it; the first one
// run is profiled when asked.
func timeSearch(ctx context.Context, p *search.Problem, workers int, o *options) (*searchReport, error) {
	runtime.GC()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
		o.cpuProfile = "" // one profile, of the first search
	}
	cpu0 := cpuTime()
	start := time.Now()
	res, err := search.CrossValidate(ctx, p, &search.Settings{Parallelism: workers})
	if err != nil {
		return nil, err
	}
	wall := time.Since(start)
	best := res.Trials[res.Best]
	sr := &searchReport{
		Seconds:      round3(wall.Seconds()),
		CPUSeconds:   round3((cpuTime() - cpu0).Seconds()),
		Trials:       len(p.Candidates),
		Fits:         res.Fits,
		Passes:       res.Evaluations,
		NotConverged: res.NotConverged,
		BestScore:    best.Mean,
		BestStd:      best.Std,
		BestParams:   map[string]any{},
	}
	sp := toSklearn(best.Params)
	sr.BestParams["C"], sr.BestParams["penalty"], sr.BestParams["class_weight"] = sp.C, sp.Penalty, sp.ClassWeight
	for _, t := range res.Trials {
		sr.Scores = append(sr.Scores, t.Mean)
	}
	return sr, nil
}

func toSklearn(p logreg.Params) sklearnParams {
	sp := sklearnParams{C: p.C, Penalty: string(p.Penalty)}
	if p.ClassWeight.Kind == logreg.Balanced {
		b := "balanced"
		sp.ClassWeight = &b
	}
	return sp
}

func round3(s float64) float64 { return float64(int64(s*1000+0.5)) / 1000 }

// cpuTime is the user and system time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
