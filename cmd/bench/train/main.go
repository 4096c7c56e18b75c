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
	"strings"
	"time"

	"github.com/pipe-ml/pipe/cmd/bench/internal/rss"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/npz"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// fitReport is one timed fit.
type fitReport struct {
	Solver      string  `json:"solver"`
	Seconds     float64 `json:"seconds"`
	Objective   float64 `json:"objective"`
	Iterations  int     `json:"iterations"`
	Evaluations int     `json:"evaluations"`
	Converged   bool    `json:"converged"`
	Status      string  `json:"status"`
	// AllocBytes is what the fastest fit allocated (runtime.MemStats
	// TotalAlloc), beyond the data it was given.
	AllocBytes uint64 `json:"alloc_bytes"`
}

type report struct {
	Impl         string               `json:"impl"`
	N            int                  `json:"n"`
	D            int                  `json:"d"`
	Fits         map[string]fitReport `json:"fits"`
	FeatureBytes int64                `json:"feature_bytes"`
	// PeakRSSBytes is the process's peak resident memory during the fits
	// (after the data was made), where Linux reports it.
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
	// BaseRSSBytes is the resident memory before the first fit: X, the
	// labels and the Go runtime.
	BaseRSSBytes  int64  `json:"base_rss_bytes,omitempty"`
	PeakHeapBytes uint64 `json:"peak_heap_sys_bytes"`
	Note          string `json:"note"`
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	n := fs.Int("n", 100_000, "rows")
	d := fs.Int("d", 584, "features")
	seed := fs.Uint64("seed", 1, "data seed")
	path := fs.String("data", "", "write the data set to this .npz file")
	writeOnly := fs.Bool("write-only", false, "write the data file and stop")
	repeat := fs.Int("repeat", 1, "fit each model this many times, report the fastest")
	par := fs.Int("parallelism", 0, "goroutines per pass (0: GOMAXPROCS)")
	penalties := fs.String("penalties", "l2,l1", "comma-separated penalties to fit")
	if err := fs.Parse(args); err != nil {
		return err
	}

	g := synth.Generate(synth.Config{N: *n, Dim: *d, Seed: *seed})
	x, y := g.X, g.LabelsFloat64()
	g = nil // drop ids and texts: only features and labels are measured
	debug.FreeOSMemory()
	rss.Reset()
	if *path != "" {
		err := npz.Write(*path, []string{"X", "y"}, map[string]npz.Array{
			"X": {Shape: []int{*n, *d}, F32: x},
			"y": {Shape: []int{*n}, F64: y},
		})
		if err != nil || *writeOnly {
			return err
		}
	}

	data := &logreg.Data{X: x, N: *n, D: *d, Y: y}
	baseRSS := rss.Peak()
	rep := report{
		Impl:         "pipe steps/shared/logreg (" + runtime.Version() + ")",
		N:            *n,
		D:            *d,
		Fits:         map[string]fitReport{},
		FeatureBytes: int64(len(x)) * 4,
		Note:         "measured on a shared machine: timings are noisy",
	}
	for _, pen := range strings.Split(*penalties, ",") {
		fr, err := timeFit(ctx, data, logreg.Penalty(pen), *repeat, *par)
		if err != nil {
			return err
		}
		rep.Fits[pen] = *fr
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.PeakHeapBytes = ms.HeapSys
	rep.PeakRSSBytes = rss.Peak()
	rep.BaseRSSBytes = baseRSS
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// timeFit fits the penalty's model repeat times and reports the fastest
// fit, with what it allocated.
func timeFit(ctx context.Context, data *logreg.Data, penalty logreg.Penalty, repeat, par int) (*fitReport, error) {
	params := logreg.DefaultParams()
	params.Penalty = penalty
	if params.Penalty == logreg.ElasticNet {
		params.L1Ratio = 0.5
	}
	var best *logreg.Result
	var alloc uint64
	for range repeat {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res, err := logreg.Fit(ctx, data, params, &logreg.Settings{Parallelism: par, Precondition: true})
		if err != nil {
			return nil, err
		}
		runtime.ReadMemStats(&after)
		if best == nil || res.Duration < best.Duration {
			best, alloc = res, after.TotalAlloc-before.TotalAlloc
		}
	}
	solver := "lbfgs preconditioned by a sampled Hessian"
	if params.Penalty == logreg.L1 || params.Penalty == logreg.ElasticNet {
		solver = "sampled proximal newton"
	}
	return &fitReport{
		Solver:      solver,
		Seconds:     round3(best.Duration),
		Objective:   best.Objective,
		Iterations:  best.Iterations,
		Evaluations: best.Evaluations,
		Converged:   best.Converged,
		Status:      best.Status.String(),
		AllocBytes:  alloc,
	}, nil
}

func round3(d time.Duration) float64 {
	return float64(d.Milliseconds()) / 1000
}
