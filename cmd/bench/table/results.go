package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The results of one run, one file per command in the results folder:
// NAME.json holds what the command printed, NAME.error why it failed.
const (
	fileRun           = "run.json"
	stepPython        = "python"         // the probe of -python's modules
	stepFits          = "logreg"         // cmd/bench/train
	stepSklearnFits   = "sklearn-fits"   // sklearn_bench.py --no-search
	stepSearch        = "search"         // cmd/bench/search
	stepSklearnSearch = "sklearn-search" // sklearn_search.py
	stepLoad          = "load"           // cmd/bench/load -json (JSON lines)
	stepDisk          = "disk"           // this command's O_DIRECT read
	stepSteps         = "steps"          // cmd/bench/steps
	stepSklearnSteps  = "sklearn-steps"  // sklearn_steps.py
)

// allSteps is every step's file name, in the order a run takes them.
var allSteps = []string{stepPython, stepFits, stepSklearnFits, stepSearch, stepSklearnSearch, stepLoad, stepDisk,
	stepSteps, stepSklearnSteps}

// Run is what a run was asked to do and where: run.json.
type Run struct {
	Rows    int       `json:"rows"`
	Dim     int       `json:"dim"`
	Cases   []string  `json:"cases"`
	Python  string    `json:"python"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	// Commit is the source measured, as git describe --always --dirty
	// gives it; empty outside a Git checkout.
	Commit  string  `json:"commit,omitempty"`
	Machine Machine `json:"machine"`
}

// Machine describes the computer the numbers were taken on.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	MemBytes  int64  `json:"mem_bytes"`
	OS        string `json:"os"`
	GoVersion string `json:"go"`
	// LoadStart and LoadEnd are the one-minute load averages when the
	// run started and ended: how busy the shared machine was.
	LoadStart string `json:"load_start"`
	LoadEnd   string `json:"load_end"`
}

// Python is what the probe found importable in -python; an empty
// version is a module that did not import.
type Python struct {
	Executable string `json:"executable"`
	Version    string `json:"python"`
	NumPy      string `json:"numpy"`
	SciPy      string `json:"scipy"`
	Sklearn    string `json:"sklearn"`
	Pandas     string `json:"pandas"`
	PyArrow    string `json:"pyarrow"`
	BLAS       []struct {
		Name    string `json:"internal_api"`
		Version string `json:"version"`
		Threads int    `json:"num_threads"`
	} `json:"blas"`
}

// Fits is the JSON of cmd/bench/train and of sklearn_bench.py.
type Fits struct {
	Impl string         `json:"impl"`
	N    int            `json:"n"`
	D    int            `json:"d"`
	Fits map[string]Fit `json:"fits"`
	// FeatureBytes, PeakRSSBytes: cmd/bench/train only.
	FeatureBytes int64 `json:"feature_bytes"`
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
}

// Fit is one timed fit.
type Fit struct {
	Solver     string  `json:"solver"`
	Seconds    float64 `json:"seconds"`
	Objective  float64 `json:"objective"`
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
}

// Searches is the JSON of cmd/bench/search and of sklearn_search.py.
type Searches struct {
	Impl     string            `json:"impl"`
	N        int               `json:"n"`
	D        int               `json:"d"`
	Searches map[string]Search `json:"searches"`
	// Parallelism is cmd/bench/search's goroutines, NJobs
	// sklearn_search.py's n_jobs.
	Parallelism int `json:"parallelism"`
	NJobs       int `json:"n_jobs"`
}

// Search is one timed search.
type Search struct {
	Seconds    float64        `json:"seconds"`
	CPUSeconds float64        `json:"cpu_seconds"`
	Trials     int            `json:"trials"`
	Folds      int            `json:"folds"`
	BestScore  float64        `json:"best_score"`
	BestParams map[string]any `json:"best_params"`
}

// Read is one line of cmd/bench/load -json: one reader on one file.
type Read struct {
	Reader         string  `json:"reader"`
	File           string  `json:"file"`
	FileBytes      int64   `json:"file_bytes"`
	Rows           int     `json:"rows"`
	Seconds        float64 `json:"seconds"`
	RowsPerSec     float64 `json:"rows_per_sec"`
	MBPerSec       float64 `json:"mb_per_sec"`
	PeakRSSBytes   int64   `json:"peak_rss_bytes"`
	MatrixBytes    int64   `json:"matrix_bytes"`
	PeakOverMatrix float64 `json:"peak_over_matrix"`
	Error          string  `json:"error"`
}

// Disk is the fastest of a few reads of one file that bypass the page
// cache (O_DIRECT), or plain reads where that is not possible.
type Disk struct {
	File     string  `json:"file"`
	Bytes    int64   `json:"bytes"`
	Seconds  float64 `json:"seconds"`
	MBPerSec float64 `json:"mb_per_sec"`
	Method   string  `json:"method"`
}

// Steps is the JSON of cmd/bench/steps: whole steps, by address.
type Steps struct {
	Rows        int                   `json:"rows"`
	Dim         int                   `json:"dim"`
	MatrixBytes int64                 `json:"matrix_bytes"`
	File        string                `json:"file"`
	FileBytes   int64                 `json:"file_bytes"`
	Steps       map[string]StepReport `json:"steps"`
}

// StepReport is one step's fastest `pipe apply`.
type StepReport struct {
	WallSeconds   float64 `json:"wall_seconds"`
	StepSeconds   float64 `json:"step_seconds"`
	KernelSeconds float64 `json:"kernel_seconds"`
	Kernel        string  `json:"kernel"`
	PeakRSSBytes  int64   `json:"peak_rss_bytes"`
	Runs          int     `json:"runs"`
}

// SklearnSteps is the JSON of sklearn_steps.py.
type SklearnSteps struct {
	Impl  string `json:"impl"`
	Steps map[string]struct {
		Seconds float64 `json:"seconds"`
	} `json:"steps"`
}

// Results is everything one run left in its results folder. A nil
// field is a step that did not run or failed; Failed holds why a step
// failed, by step name.
type Results struct {
	Run           Run
	Python        *Python
	Fits          *Fits
	SklearnFits   *Fits
	Search        *Searches
	SklearnSearch *Searches
	Load          []Read
	Disk          *Disk
	Steps         *Steps
	SklearnSteps  *SklearnSteps
	Failed        map[string]string
}

// readResults reads the results folder dir. A step's file that is
// missing is a step that did not run; one that does not parse is an
// error naming the file.
func readResults(dir string) (*Results, error) {
	res := &Results{Failed: map[string]string{}}
	if err := readJSON(filepath.Join(dir, fileRun), &res.Run); err != nil {
		return nil, err
	}
	targets := map[string]any{
		stepPython:        &res.Python,
		stepFits:          &res.Fits,
		stepSklearnFits:   &res.SklearnFits,
		stepSearch:        &res.Search,
		stepSklearnSearch: &res.SklearnSearch,
		stepDisk:          &res.Disk,
		stepSteps:         &res.Steps,
		stepSklearnSteps:  &res.SklearnSteps,
	}
	for _, step := range allSteps {
		b, err := os.ReadFile(filepath.Join(dir, step+".error"))
		if err == nil {
			res.Failed[step] = strings.TrimSpace(string(b))
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("benchtable: %w", err)
		}
		path := filepath.Join(dir, step+".json")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if step == stepLoad {
			reads, err := readJSONLines(path)
			if err != nil {
				return nil, err
			}
			res.Load = reads
			continue
		}
		if err := readJSON(path, targets[step]); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// readJSON decodes the one JSON value in path into v.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("benchtable: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("benchtable: %s: %v: is it the output of the command that writes it?", path, err)
	}
	return nil
}

// readJSONLines decodes path's lines, one Read each; blank lines are skipped.
func readJSONLines(path string) ([]Read, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("benchtable: %w", err)
	}
	var reads []Read
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Read
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("benchtable: %s:%d: %v", path, line, err)
		}
		reads = append(reads, r)
	}
	return reads, sc.Err()
}

// read returns the result of reader on the file with extension ext
// (".csv", ".parquet"), or nil.
func (r *Results) read(reader, ext string) *Read {
	for i := range r.Load {
		if r.Load[i].Reader == reader && filepath.Ext(r.Load[i].File) == ext {
			return &r.Load[i]
		}
	}
	return nil
}
