package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// stepReport is one step's numbers: those of its fastest run.
type stepReport struct {
	// WallSeconds is the whole `pipe apply` process's wall time.
	WallSeconds float64 `json:"wall_seconds"`
	// StepSeconds is the step's own duration, as apply reports it.
	StepSeconds float64 `json:"step_seconds"`
	// KernelSeconds is the time of the work inside the step (Kernel).
	KernelSeconds float64 `json:"kernel_seconds"`
	Kernel        string  `json:"kernel"`
	// CPUSeconds is the process's CPU time, user and system, in the
	// fastest run: on a machine shared with other work, a steadier
	// figure than the wall time.
	CPUSeconds float64 `json:"cpu_seconds"`
	// PeakRSSBytes is the process's peak resident memory (of the run
	// with the highest, over all runs).
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	Runs         int   `json:"runs"`
}

// kernels say, for each kind, which log line and fields hold the time of
// its kernel.
var kernels = map[string]struct {
	what, msg string
	fields    []string
}{
	"load":     {"Parquet read, written and hashed", "read", []string{"seconds"}},
	"search":   {"cross-validation", "search", []string{"cv_seconds"}},
	"train":    {"fit", "fit", []string{"duration"}},
	"evaluate": {"scoring, metrics and plot", "evaluated", []string{"score_seconds", "metrics_seconds", "plot_seconds"}},
	"predict":  {"scoring and writing", "predicted", []string{"score_seconds", "write_seconds"}},
}

// timeStep runs `pipe apply -replace=STEP -target=STEP` runs times in
// dir and keeps the fastest run's times and the highest peak memory.
func timeStep(ctx context.Context, pipeBin, dir, step string, runs int) (*stepReport, error) {
	var best *stepReport
	for range runs {
		r, err := applyOnce(ctx, pipeBin, dir, step)
		if err != nil {
			return nil, err
		}
		if best == nil {
			best = r
			continue
		}
		best.PeakRSSBytes = max(best.PeakRSSBytes, r.PeakRSSBytes)
		if r.WallSeconds < best.WallSeconds {
			r.PeakRSSBytes = best.PeakRSSBytes
			best = r
		}
	}
	best.Runs = runs
	return best, nil
}

// applyOnce runs one apply of step and reads its numbers.
func applyOnce(ctx context.Context, pipeBin, dir, step string) (*stepReport, error) {
	cmd := exec.CommandContext(ctx, pipeBin, "apply", "-no-color", "-json", "-replace="+step, "-target="+step)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PIPE_LOG=info")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("bench: pipe apply -replace=%s: %v\n%s", step, err, lastLines(stderr.String(), 8))
	}
	r := &stepReport{WallSeconds: wall.Seconds(), CPUSeconds: (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakRSSBytes = ru.Maxrss * 1024 // kilobytes on Linux
	}
	kind, _, _ := strings.Cut(step, ".")
	k := kernels[kind]
	r.Kernel = k.what
	for line := range bytes.Lines(stderr.Bytes()) {
		var rec map[string]any
		if json.Unmarshal(line, &rec) != nil || rec["msg"] != k.msg || rec["step"] != step {
			continue
		}
		for _, f := range k.fields {
			v, _ := rec[f].(float64)
			if f == "duration" {
				v /= 1e9 // a time.Duration, in nanoseconds
			}
			r.KernelSeconds += v
		}
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Type, Step string
			Duration   float64 `json:"duration_seconds"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == "step_finished" && ev.Step == step {
			r.StepSeconds = ev.Duration
		}
	}
	if r.KernelSeconds == 0 || r.StepSeconds == 0 {
		return nil, fmt.Errorf("bench: pipe apply -replace=%s logged no %q line or no step_finished event", step, k.msg)
	}
	return r, nil
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
