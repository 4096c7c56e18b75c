package main

import (
	"fmt"
	"strings"
)

// The goals of the tracker's issue 17 (whole steps).
const (
	goalStepOverKernel = 1.1 // a step's process at most 10% above its kernel
	goalStepPeak       = 1.3 // train, search, evaluate, predict: peak / matrix
	goalTrainOfFit     = 0.4 // pipe apply of train: at most 0.4× scikit-learn's fit
	goalLoadOfDisk     = 0.8 // the Parquet load step: at least 0.8× a cold read
)

// stepCases are the whole-step rows, in the order they run.
var stepCases = []struct {
	addr, title string
	// theirs names scikit-learn's time for the same work: a step of
	// sklearn_steps.py, "grid" for the grid search, "disk" for load.
	theirs string
}{
	{"load.d", "pipe apply: load Parquet", "disk"},
	{"search.grid", "pipe apply: grid search", "grid"},
	{"train.m", "pipe apply: train l2", "train"},
	{"evaluate.e", "pipe apply: evaluate", "evaluate"},
	{"predict.p", "pipe apply: predict", "predict"},
}

// stepRows are the rows of cmd/bench/steps: each step's process beside
// scikit-learn doing its work (for load: the disk), with the kernel inside
// the step and the process's peak memory in the result.
func stepRows(res *Results) []Row {
	var rows []Row
	for _, c := range stepCases {
		row := Row{Case: c.title, Ours: missing(res, stepSteps), Theirs: none, Ratio: none, Met: none, Goal: stepGoal(c.addr)}
		theirs, theirsCell := stepTheirs(res, c.theirs)
		row.Theirs = theirsCell
		var s *StepReport
		if res.Steps != nil {
			if r, ok := res.Steps.Steps[c.addr]; ok {
				s = &r
			}
		}
		if s == nil {
			rows = append(rows, row)
			continue
		}
		row.Ours = seconds(s.WallSeconds)
		over := s.WallSeconds / s.KernelSeconds
		peakOver := float64(s.PeakRSSBytes) / float64(res.Steps.MatrixBytes)
		row.Result = fmt.Sprintf("%s %s (%s× of it); step %s; peak %s",
			s.Kernel, seconds(s.KernelSeconds), num(over), seconds(s.StepSeconds), peak(peakOver, s.PeakRSSBytes))
		met := over <= goalStepOverKernel
		if c.addr != "load.d" {
			met = met && peakOver <= goalStepPeak
		}
		switch {
		case c.addr == "load.d" && res.Disk != nil && res.Disk.MBPerSec > 0:
			mbps := float64(res.Steps.FileBytes) / 1e6 / s.WallSeconds
			row.Ratio = num(mbps / res.Disk.MBPerSec)
			row.Result += fmt.Sprintf("; %.0f MB/s, disk %.0f MB/s", mbps, res.Disk.MBPerSec)
			row.Met = yesNo(met && mbps >= goalLoadOfDisk*res.Disk.MBPerSec)
		case c.addr == "load.d":
		case theirs > 0:
			row.Ratio = num(s.WallSeconds / theirs)
			if c.addr == "train.m" {
				met = met && s.WallSeconds <= goalTrainOfFit*theirs
			}
			row.Met = yesNo(met)
		default:
			row.Met = yesNo(met)
			if c.addr == "train.m" {
				row.Met = none // the fit's goal needs scikit-learn
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// stepGoal is the goal column of a whole-step row.
func stepGoal(addr string) string {
	g := []string{fmt.Sprintf("≤ %s× kernel", factor(goalStepOverKernel))}
	switch addr {
	case "load.d":
		return fmt.Sprintf("≥ %s× cold disk read, ", factor(goalLoadOfDisk)) + g[0]
	case "train.m":
		g = append(g, fmt.Sprintf("≤ %s× matrix", factor(goalStepPeak)), fmt.Sprintf("≤ %s× their fit", factor(goalTrainOfFit)))
	default:
		g = append(g, fmt.Sprintf("≤ %s× matrix", factor(goalStepPeak)))
	}
	return strings.Join(g, ", ")
}

// stepTheirs is scikit-learn's time for a step's work (or the disk's),
// and its cell.
func stepTheirs(res *Results, which string) (float64, string) {
	switch which {
	case "disk":
		if d := res.Disk; d != nil && d.Seconds > 0 {
			return d.Seconds, "disk " + seconds(d.Seconds)
		}
		return 0, missing(res, stepDisk)
	case "grid":
		if s := searchOf(res.SklearnSearch, "grid"); s != nil {
			return s.Seconds, seconds(s.Seconds)
		}
		return 0, missing(res, stepSklearnSearch)
	}
	if s := res.SklearnSteps; s != nil {
		if r, ok := s.Steps[which]; ok && r.Seconds > 0 {
			return r.Seconds, seconds(r.Seconds)
		}
	}
	return 0, missing(res, stepSklearnSteps)
}

// stepNote explains the whole-step rows.
func stepNote(res *Results) string {
	if res.Steps == nil {
		return ""
	}
	return "pipe apply: the wall time of the whole `pipe apply -replace=STEP -target=STEP` process on the Parquet file's rows " +
		"(the fastest of 3 runs; the store on the local disk, the file in the page cache), beside scikit-learn's time for the same work " +
		"in memory (the fit alone; predict_proba and the report's metrics; predict_proba and pandas' to_csv; GridSearchCV on the same folds) " +
		"and, for load, a read of the file past the page cache. Kernel: the step's own computation, from its log line; step: its duration " +
		"within the process; peak: the process's peak resident memory over the float32 matrix."
}
