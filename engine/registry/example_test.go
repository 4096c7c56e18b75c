package registry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/steps"
)

// What the engine records for one apply of a two-step pipeline, and what
// `pipe lineage NAME@champion` then finds.
func Example() {
	dir, _ := os.MkdirTemp("", "registry-example-")
	defer os.RemoveAll(dir)
	clock := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	ctx := context.Background()

	db, err := registry.Open(ctx, filepath.Join(dir, "registry.db"), &registry.Options{Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	// apply starts: holding the state lock, mark runs a crash left behind,
	// then begin this one.
	db.MarkInterrupted(ctx, "demo", "")
	run, _ := db.BeginRun(ctx, registry.Run{Pipeline: "demo", Trigger: registry.TriggerManual,
		GitCommit: "4f1c2a9be07d4b1e8c3a5f6d7e8f90a1b2c3d4e5", PipeVersion: "0.1.0"})

	digest := func(s string) string { return "sha256:" + strings.Repeat(s, 64/len(s)) }
	csv := registry.FileArtifact(steps.File{Path: "data/train.csv", Digest: digest("c"), Size: 2048}, "text/csv", "path")
	data := registry.ArtifactFromStep(steps.Artifact{Digest: digest("d"), MediaType: "application/vnd.apache.arrow.file", Size: 4096}, "data")
	model := registry.ArtifactFromStep(steps.Artifact{Digest: digest("e"), MediaType: "application/vnd.pipe.model.v1+json", Size: 512}, "model")
	// The labels of the kinds of artifact come from the step kinds'
	// schemas (steps.Catalog.MediaOf); apply fills them in.
	data.Kind, model.Kind = "dataset", "model"

	// Each step: start (what it uses), then finish (what it produced).
	load, _ := db.StartExecution(ctx, registry.Execution{RunID: run, Step: "load.corpus", Kind: "load", KindVersion: "1",
		Config: json.RawMessage(`{"path":"data/train.csv"}`), Used: []registry.ArtifactRef{csv}})
	db.FinishExecution(ctx, load, registry.ExecutionResult{Status: registry.ExecRan, Produced: []registry.ArtifactRef{data}})
	train, _ := db.StartExecution(ctx, registry.Execution{RunID: run, Step: "train.model", Kind: "train", KindVersion: "1",
		Config: json.RawMessage(`{"params":{"C":1}}`), Used: []registry.ArtifactRef{data}})
	db.FinishExecution(ctx, train, registry.ExecutionResult{Status: registry.ExecRan, Produced: []registry.ArtifactRef{model}})

	// publish: a version, and the alias if it wins.
	v, _, _ := db.CreateModelVersion(ctx, registry.ModelVersion{Model: "demo", ModelDigest: model.Digest,
		Metrics: map[string]float64{"f1": 0.9}, URI: "gs://models/demo/v{version}/", RunID: run})
	db.PromoteIf(ctx, "demo", "champion", v, registry.PromoteRule{Metric: "f1"}, registry.Reason{RunID: run})
	db.EndRun(ctx, run, registry.RunSucceeded, "")

	g, err := db.Upstream(ctx, "demo@champion", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The answer is a graph, which pipe lineage draws as a tree: each
	// node and edge (artifacts' digests cut short here).
	short := func(id string) string {
		if d, ok := strings.CutPrefix(id, "artifact:"); ok {
			return "artifact:" + d[:len("sha256:")+12]
		}
		return id
	}
	for _, n := range g.Nodes {
		fmt.Println(n.Type, short(n.ID))
	}
	for _, e := range g.Edges {
		fmt.Println(short(e.From), "-"+string(e.Type), e.Name+"->", short(e.To))
	}
	// Output:
	// model_version model:demo@1
	// execution execution:1
	// execution execution:2
	// artifact artifact:sha256:cccccccccccc
	// artifact artifact:sha256:dddddddddddd
	// artifact artifact:sha256:eeeeeeeeeeee
	// run run:1
	// execution:1 -produced data-> artifact:sha256:dddddddddddd
	// execution:2 -produced model-> artifact:sha256:eeeeeeeeeeee
	// artifact:sha256:cccccccccccc -used path-> execution:1
	// artifact:sha256:dddddddddddd -used data-> execution:2
	// artifact:sha256:eeeeeeeeeeee -version model-> model:demo@1
}
