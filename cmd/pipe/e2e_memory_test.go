package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/cmd/internal/memcg"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// memoryPipeline trains on every row of a Parquet file.
const memoryPipeline = `pipeline "memory" {}

load "d" {
  path     = "data/corpus.parquet"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 64 }
}

train "m" {
  data   = load.d.data
  params = { C = 1 }
}
`

// TestTrainLargerThanMemory trains on a dataset (400,000 × 64, 103 MB)
// larger than the memory the process may use (an 80 MB memory cgroup,
// page cache included): the step reads the dataset in place, its pages
// come and go under the limit, and the model is the one a run with plenty
// of memory makes. It needs the right to make a memory cgroup (root, or a
// delegated cgroup) and skips without it.
func TestTrainLargerThanMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and trains on a 103 MB dataset")
	}
	const limit = 80 << 20
	group, err := memcg.New("pipe-test", limit)
	if err != nil {
		t.Skipf("cannot limit memory here (%v): run as root, or in a delegated cgroup, to test training on data larger than memory", err)
	}
	defer group.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(memoryPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	writeCorpus(t, filepath.Join(dir, "data", "corpus.parquet"), 400_000, 64, 31, synth.Wide)
	env := childEnv(t)
	pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	want := outputArtifacts(t, dir, env)
	data := objectPath(dir, want["load.d.data"])
	if st, err := os.Stat(data); err != nil || st.Size() <= limit {
		t.Fatalf("the dataset is %v bytes, want more than the limit (%v)", st.Size(), err)
	}
	if err := memcg.DropCache(data); err != nil {
		t.Fatal(err)
	}

	cmd := group.Command(context.Background(), binary(t), "apply", "-no-color", "-replace=train.m")
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("train under an %d MB limit: %v\n%s", limit>>20, err, out)
	}
	if !strings.Contains(string(out), "train.m: ran") {
		t.Fatalf("train did not run:\n%s", out)
	}
	// The group filled up to its limit (the dataset's pages were charged
	// to it, and had to go), and never past it.
	if peak := group.Peak(); peak > limit+limit/16 || peak < limit/2 {
		t.Errorf("the group used at most %d bytes, want close to its limit of %d", peak, limit)
	}
	got := outputArtifacts(t, dir, env)
	if got["train.m.model"] != want["train.m.model"] {
		t.Errorf("the model trained under the limit is %s, with plenty of memory %s", got["train.m.model"], want["train.m.model"])
	}
}
