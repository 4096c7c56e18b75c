package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// pipelineText is the benchmark's pipeline: every step that reads a
// dataset, on the Parquet file's rows, with the searches and fits of
// cmd/bench/search and cmd/bench/train (the same folds, grid and
// parameters) so that scikit-learn's times for them compare.
const pipelineText = `pipeline "bench" {}

load "d" {
  path     = "data/corpus.parquet"
  label    = "label"
  positive = "%s"
  features = { prefix = "%s", dim = %d }
}

search "grid" {
  data     = load.d.data
  strategy = "grid"
  folds    = 5
  seed     = 7
  metric   = "f1"
  space = {
    C            = [0.01, 0.1, 1, 10]
    class_weight = ["none", "balanced"]
  }
}

train "m" {
  data   = load.d.data
  params = { C = 1, penalty = "l2" }
}

evaluate "e" {
  model = train.m.model
  data  = load.d.data
}

predict "p" {
  model = train.m.model
  data  = load.d.data
  to    = "out/predictions.csv"
}
`

// benchSteps are the steps timed, in the order they run.
var benchSteps = []string{"load.d", "search.grid", "train.m", "evaluate.e", "predict.p"}

// parquetFile is the data's Parquet file in dir, which cmd/bench/load
// reads too.
func parquetFile(dir string, rows, dim int) string {
	return filepath.Join(dir, fmt.Sprintf("synth-%d-%d-wide.parquet", rows, dim))
}

// writeData writes the Parquet file unless it is there.
func writeData(path string, rows, dim int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	d := synth.Generate(synth.Config{N: rows, Dim: dim, Seed: 1})
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := synth.WriteFile(tmp, d.Dataset, synth.FileOptions{}); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// newPipeline makes the pipeline's folder afresh in dir, its data a link
// to (or a copy of) the Parquet file.
func newPipeline(dir, parquet string, dim int) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return err
	}
	src := fmt.Sprintf(pipelineText, synth.PositiveLabel, synth.DefaultPrefix, dim)
	if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(src), 0o644); err != nil {
		return err
	}
	data := filepath.Join(dir, "data", "corpus.parquet")
	if os.Link(parquet, data) == nil {
		return nil
	}
	b, err := os.ReadFile(parquet)
	if err != nil {
		return err
	}
	return os.WriteFile(data, b, 0o644)
}
