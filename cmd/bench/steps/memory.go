package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/cmd/internal/memcg"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// memoryPipelineText trains on every row of a Parquet file.
const memoryPipelineText = `pipeline "memory" {}

load "d" {
  path     = "data/corpus.parquet"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = %d }
}

train "m" {
  data   = load.d.data
  params = { C = 1 }
}
`

// memoryReport is what -memory-limit prints.
type memoryReport struct {
	Rows         int   `json:"rows"`
	Dim          int   `json:"dim"`
	DatasetBytes int64 `json:"dataset_bytes"`
	LimitBytes   int64 `json:"limit_bytes"`
	// GroupPeakBytes is the most the cgroup used (page cache included).
	GroupPeakBytes int64 `json:"group_peak_bytes"`
	// Limited and Free are the train step's apply under the limit and
	// without one (the dataset in the page cache).
	Limited   applyTimes `json:"limited"`
	Free      applyTimes `json:"free"`
	SameModel bool       `json:"same_model"`
}

type applyTimes struct {
	WallSeconds float64 `json:"wall_seconds"`
	FitSeconds  float64 `json:"fit_seconds"`
	Model       string  `json:"model"`
}

// runMemory trains on a dataset larger than a memory cgroup's limit, in
// that cgroup, then without one, and compares.
func runMemory(ctx context.Context, bin, dir, limitText string, rows, dim int, stdout io.Writer) error {
	limit, err := workspace.ParseSize(limitText)
	if err != nil {
		return fmt.Errorf("bench: -memory-limit: %w", err)
	}
	if rows == 0 {
		rows = int(2 * limit / int64(4*dim))
	}
	pdir, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("memory-%d-%d", rows, dim)))
	if err != nil {
		return err
	}
	if err := newMemoryPipeline(pdir, rows, dim); err != nil {
		return err
	}
	freeMemory()
	fmt.Fprintf(os.Stderr, "bench: loading %d × %d rows\n", rows, dim)
	if _, err := applyTrain(ctx, exec.CommandContext(ctx, bin, "apply", "-no-color", "-json"), pdir); err != nil {
		return err
	}
	dataset, err := datasetFile(pdir)
	if err != nil {
		return err
	}
	st, err := os.Stat(dataset)
	if err != nil {
		return err
	}
	rep := &memoryReport{Rows: rows, Dim: dim, DatasetBytes: st.Size(), LimitBytes: limit}
	group, err := memcg.New("pipe-bench", limit)
	if err != nil {
		return err
	}
	defer group.Close()
	if err := memcg.DropCache(dataset); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: training under a %d MB limit\n", limit>>20)
	args := []string{"apply", "-no-color", "-json", "-replace=train.m", "-target=train.m"}
	if rep.Limited, err = applyTrain(ctx, group.Command(ctx, bin, args...), pdir); err != nil {
		return err
	}
	rep.GroupPeakBytes = group.Peak()
	fmt.Fprintf(os.Stderr, "bench: training without a limit\n")
	if rep.Free, err = applyTrain(ctx, exec.CommandContext(ctx, bin, args...), pdir); err != nil {
		return err
	}
	rep.SameModel = rep.Limited.Model != "" && rep.Limited.Model == rep.Free.Model
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// newMemoryPipeline makes the pipeline and its data in dir, unless the
// data is there.
func newMemoryPipeline(dir string, rows, dim int) error {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), fmt.Appendf(nil, memoryPipelineText, dim), 0o644); err != nil {
		return err
	}
	return writeData(filepath.Join(dir, "data", "corpus.parquet"), rows, dim)
}

// applyTrain runs cmd (an apply) in dir with info logs and reads the
// train step's fit time and model from its output.
func applyTrain(ctx context.Context, cmd *exec.Cmd, dir string) (applyTimes, error) {
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PIPE_LOG=info")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return applyTimes{}, fmt.Errorf("bench: %s: %v\n%s", strings.Join(cmd.Args, " "), err, lastLines(stderr.String(), 8))
	}
	t := applyTimes{WallSeconds: time.Since(start).Seconds()}
	for _, line := range strings.Split(stderr.String(), "\n") {
		var rec struct {
			Msg      string
			Duration float64
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "fit" {
			t.FitSeconds = rec.Duration / 1e9
		}
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		var ev struct {
			Type, Step string
			Produced   []struct{ Name, Digest string }
		}
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "step_finished" || ev.Step != "train.m" {
			continue
		}
		for _, a := range ev.Produced {
			if a.Name == "model" {
				t.Model = a.Digest
			}
		}
	}
	return t, nil
}

// datasetFile is the store's file of the dataset the pipeline's load
// made: its largest object.
func datasetFile(dir string) (string, error) {
	var best string
	var size int64
	err := filepath.Walk(filepath.Join(dir, ".pipe", "store", "objects"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Size() > size {
			best, size = p, fi.Size()
		}
		return nil
	})
	if best == "" {
		return "", fmt.Errorf("bench: no dataset in %s's store (%v)", dir, err)
	}
	return best, nil
}
