package registry

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// The two-process test re-runs this test binary as writers: TestMain sees
// the variables below and writes instead of testing.
const (
	writerDBEnv   = "PIPE_REGISTRY_TEST_WRITER_DB"
	writerNameEnv = "PIPE_REGISTRY_TEST_WRITER_NAME"
	writerRunsEnv = "PIPE_REGISTRY_TEST_WRITER_RUNS"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(writerDBEnv); path != "" {
		n, _ := strconv.Atoi(os.Getenv(writerRunsEnv))
		if err := writeRuns(path, os.Getenv(writerNameEnv), n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

// sharedDigests are published by every writer, so that the same model
// version races between processes.
func sharedDigest(i int) string { return fmt.Sprintf("sha256:%064x", 0xabc000+i) }

// writeRuns is one writer process: n runs of three executions each, the
// data file shared with the other writer, one model version per run from a
// pool shared with the other writer.
func writeRuns(path, name string, n int) error {
	ctx := context.Background()
	db, err := Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	for i := 0; i < n; i++ {
		run, err := db.BeginRun(ctx, Run{Pipeline: name, Trigger: TriggerSchedule, PipeVersion: "test"})
		if err != nil {
			return err
		}
		file := ArtifactRef{Digest: sharedDigest(1000 + i%5), MediaType: "text/csv", Size: 10, Kind: KindFile, Path: "data/shared.csv"}
		data := ArtifactRef{Digest: fmt.Sprintf("sha256:%064x", 0x100000+i), MediaType: "application/vnd.apache.arrow.file", Size: 20, Name: "data"}
		model := ArtifactRef{Digest: sharedDigest(i % 7), MediaType: "application/vnd.pipe.model.v1+json", Size: 30, Name: "model"}
		load, err := db.StartExecution(ctx, Execution{RunID: run, Step: "load.x", Kind: "load", KindVersion: "1", Used: []ArtifactRef{file}})
		if err != nil {
			return err
		}
		if err := db.FinishExecution(ctx, load, ExecutionResult{Status: ExecRan, Produced: []ArtifactRef{data}}); err != nil {
			return err
		}
		train, err := db.RecordExecution(ctx, Execution{RunID: run, Step: "train.m", Kind: "train", KindVersion: "1", Status: ExecRan,
			Used: []ArtifactRef{data}, Produced: []ArtifactRef{model}})
		if err != nil {
			return err
		}
		pub, err := db.RecordExecution(ctx, Execution{RunID: run, Step: "publish.p", Kind: "publish", KindVersion: "1", Status: ExecRan,
			Used: []ArtifactRef{model}, DependsOn: []Dependency{{ExecutionID: train, Name: "train.m.model"}}})
		if err != nil {
			return err
		}
		v, _, err := db.CreateModelVersion(ctx, ModelVersion{Model: "shared", ModelDigest: model.Digest, RunID: run, ExecutionID: pub,
			Metrics: map[string]float64{"f1": float64(i%7) / 10}, EvalDataDigest: sharedDigest(999)})
		if err != nil {
			return err
		}
		if _, err := db.PromoteIf(ctx, "shared", "champion", v, PromoteRule{Metric: "f1"}, Reason{RunID: run}); err != nil {
			return err
		}
		if err := db.EndRun(ctx, run, RunSucceeded, ""); err != nil {
			return err
		}
	}
	return nil
}

// Two processes writing runs into one new registry at once: both migrate
// it, neither fails, no run is lost, the file is sound, and model versions
// are numbered once.
func TestTwoProcessesWriteRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	path := filepath.Join(t.TempDir(), "registry.db")
	const n = 40
	var cmds []*exec.Cmd
	for _, name := range []string{"alpha", "beta"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), writerDBEnv+"="+path, writerNameEnv+"="+name, writerRunsEnv+"="+strconv.Itoa(n))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer failed: %v", err)
		}
	}

	db := openAt(t, path)
	ctx := context.Background()
	integrityCheck(t, db.idx.SQL())
	for _, name := range []string{"alpha", "beta"} {
		runs, err := db.Runs(ctx, RunFilter{Pipeline: name})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != n {
			t.Errorf("%s: %d runs, want %d", name, len(runs), n)
		}
		for _, r := range runs {
			if r.Status != RunSucceeded {
				t.Errorf("%s run %d is %s", name, r.ID, r.Status)
			}
		}
	}
	var execs, migrations int
	db.idx.SQL().QueryRow(`SELECT count(*) FROM executions WHERE status = 'ran'`).Scan(&execs)
	db.idx.SQL().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&migrations)
	if execs != 2*n*3 {
		t.Errorf("%d executions, want %d", execs, 2*n*3)
	}
	if migrations != SchemaVersion() {
		t.Errorf("%d migrations recorded, want %d", migrations, SchemaVersion())
	}
	m, err := db.Model(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Versions) != 7 {
		t.Errorf("%d versions of the shared model, want 7 (one per distinct digest)", len(m.Versions))
	}
	seen := map[string]bool{}
	for i, v := range m.Versions {
		if v.Version != i+1 || seen[v.ModelDigest] {
			t.Errorf("version %d: %+v", i+1, v)
		}
		seen[v.ModelDigest] = true
	}
	champ, err := db.ResolveModel(ctx, "shared@champion")
	if err != nil {
		t.Fatal(err)
	}
	if champ.Metrics["f1"] != 0.6 {
		t.Errorf("champion has f1 %v, want the best, 0.6", champ.Metrics["f1"])
	}
	g, err := db.Downstream(ctx, "data/shared.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Roots) != 5 {
		t.Errorf("data/shared.csv has %d digests, want 5", len(g.Roots))
	}
}
