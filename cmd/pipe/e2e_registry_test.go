//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/engine/store/s3test"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// sharedBackends start, for each kind of store, one that several
// machines share, and return the environment that points a pipe at it.
var sharedBackends = []struct {
	name  string
	start func(t *testing.T) []string
}{
	{"file", func(t *testing.T) []string {
		return []string{"PIPE_STORE=file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "store"))}
	}},
	{"gcs", func(t *testing.T) []string {
		srv := gcstest.Start(t)
		return []string{"STORAGE_EMULATOR_HOST=" + srv.Host, "PIPE_STORE=" + srv.URL() + "/team"}
	}},
	{"s3", func(t *testing.T) []string {
		srv := s3test.Start(t)
		none := filepath.Join(t.TempDir(), "none")
		return []string{"PIPE_STORE=" + srv.URL("team"), "AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey, "AWS_REGION=" + s3test.Region,
			"AWS_CONFIG_FILE=" + none, "AWS_SHARED_CREDENTIALS_FILE=" + none}
	}},
}

// registryAnswers is what the registry commands answer in dir, as JSON,
// for comparing machines.
func registryAnswers(t *testing.T, dir string, env []string, model string) string {
	t.Helper()
	var b strings.Builder
	for _, args := range [][]string{
		{"runs", "-json", "-limit=0"},
		{"models", "-json"},
		{"models", "show", "-json", model},
		{"models", "history", "-json", model},
		{"lineage", "-format", "json", model + "@champion"},
	} {
		r := pipe(t, dir, env, args...).expect(t, 0)
		if strings.Contains(r.stderr, "Registry not up to date") {
			t.Errorf("%s in %s: %s", strings.Join(args, " "), dir, r.stderr)
		}
		fmt.Fprintf(&b, "$ pipe %s\n%s\n", strings.Join(args, " "), r.stdout)
	}
	return b.String()
}

// TestThreeMachinesShareTheRegistry: CI applies and publishes; the
// cluster, in a folder of its own, applies the same pipeline and finds
// everything cached, getting the model's version folder and the
// predictions written in its own folder from the store; on the cluster
// and on a laptop that never applied, models, runs and lineage show CI's
// version with CI's run, trigger and commit. On a local folder, the GCS
// emulator and a real S3 server.
func TestThreeMachinesShareTheRegistry(t *testing.T) {
	for _, b := range sharedBackends {
		t.Run(b.name, func(t *testing.T) {
			env := childEnv(t, b.start(t)...)
			ci, cluster, laptop := newCrashPipeline(t), newCrashPipeline(t), newCrashPipeline(t)
			const commit = "4f1c2a9be07d4b1e8c3a5f6d7e8f90a1b2c3d4e5"
			ciEnv := append(slices.Clone(env), "CI=true", "GITHUB_ACTIONS=true", "GITHUB_SHA="+commit,
				"GITHUB_REF=refs/heads/main", "GITHUB_REF_NAME=main", "GITHUB_REF_TYPE=branch")
			pipe(t, ci, ciEnv, "apply", "-no-color").expect(t, 0)

			r := pipe(t, cluster, append(slices.Clone(env), "PIPE_TRIGGER=schedule"), "apply", "-no-color").expect(t, 0)
			for _, want := range []string{"Apply complete: 0 ran, 6 cached",
				"publish.release: restored models/crash/v1/model.json from the store (missing)",
				"publish.release: restored models/crash/v1/lineage.json from the store (missing)",
				"predict.holdout: restored out/predictions.csv from the store (missing)"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the cluster's apply does not say %q:\n%s", want, r.stdout)
				}
			}
			for _, f := range append(slices.Clone(crashFiles), "models/crash/v1/lineage.json") {
				want, _ := os.ReadFile(filepath.Join(ci, f))
				if got, err := os.ReadFile(filepath.Join(cluster, f)); err != nil || !bytes.Equal(got, want) {
					t.Errorf("the cluster's %s is not CI's (%v)", f, err)
				}
			}

			want := registryAnswers(t, ci, env, "crash")
			for _, dir := range []string{cluster, laptop} {
				if got := registryAnswers(t, dir, env, "crash"); got != want {
					t.Errorf("%s answers otherwise than CI:\n%s", dir, firstLineDiff(got, want))
				}
			}
			checkCIVersion(t, laptop, env, commit)
		})
	}
}

// checkCIVersion checks that the champion is CI's version, published in
// run 1 with trigger ci at commit, and that the cluster's run 2 was a
// scheduled one.
func checkCIVersion(t *testing.T, dir string, env []string, commit string) {
	t.Helper()
	r := pipe(t, dir, env, "models", "show", "-json", "crash").expect(t, 0)
	var d registry.ModelDetail
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || len(d.Versions) != 1 || d.Versions[0].RunID != 1 {
		t.Fatalf("models show: %v %+v", err, d)
	}
	r = pipe(t, dir, env, "lineage", "-format", "json", "crash@champion").expect(t, 0)
	var g registry.Graph
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
		t.Fatal(err)
	}
	n := g.Node("run:1")
	if n == nil || n.Run.Trigger != registry.TriggerCI || n.Run.GitCommit != commit || n.Run.GitBranch != "main" || n.Run.Host == "" {
		t.Errorf("the champion's run in the lineage: %+v", n)
	}
	runs := runsOf(t, dir, env)
	if len(runs) != 2 || runs[0].Trigger != registry.TriggerSchedule || runs[1].Trigger != registry.TriggerCI || runs[0].Origin == runs[1].Origin {
		t.Errorf("runs: %+v", runs)
	}
}

// firstLineDiff shows where two texts part.
func firstLineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}

// publishPipeline trains a model on its folder's data and publishes it
// as champion.
const publishPipeline = `pipeline "team" {}

load "corpus" {
  path     = "data/corpus.csv"
  label    = "label"
  positive = "private"
  features = { prefix = "emb_", dim = 8 }
  split    = { test = 0.25, seed = 7, stratify = true }
}

train "model" {
  data   = load.corpus.train
  params = { C = 0.5 }
}

evaluate "holdout" {
  model = train.model.model
  data  = load.corpus.test
}

publish "release" {
  model  = train.model.model
  report = evaluate.holdout.report
  to     = "models/team"
  alias  = "champion"
}
`

// TestConcurrentPublishesAndPromotes: 24 machines, each its own folder
// and data (so its own model), apply at once against one store, each
// publishing a version of one model and moving its champion; then they
// all promote a version by hand at once. Every version number is
// distinct, 1 to 24; one champion; every move follows the one before
// it; and every machine sees the same history.
func TestConcurrentPublishesAndPromotes(t *testing.T) {
	const machines = 24
	env := childEnv(t, "PIPE_STORE=file://"+filepath.ToSlash(filepath.Join(t.TempDir(), "store")))
	dirs := make([]string, machines)
	for i := range dirs {
		dirs[i] = t.TempDir()
		if err := os.WriteFile(filepath.Join(dirs[i], "main.pipe.hcl"), []byte(publishPipeline), 0o644); err != nil {
			t.Fatal(err)
		}
		writeCorpus(t, filepath.Join(dirs[i], "data", "corpus.csv"), 200, 8, uint64(100+i), synth.Wide)
	}
	runAll(t, dirs, env, func(int) []string { return []string{"apply", "-no-color"} }, func(i int, r result) {
		if r.code != 0 {
			t.Errorf("apply %d: exit %d\n%s\n%s", i, r.code, r.stdout, r.stderr)
		}
	})
	d := checkVersions(t, dirs, env, machines)

	// Every machine promotes a version by hand at once: each either moves
	// the champion or fails, naming the move that beat it.
	moved := 0
	var mu sync.Mutex
	runAll(t, dirs, env, func(i int) []string {
		return []string{"models", "promote", "-note=machine " + strconv.Itoa(i), "team@" + strconv.Itoa(machines-i), "champion"}
	}, func(i int, r result) {
		switch {
		case r.code == 0:
			mu.Lock()
			moved++
			mu.Unlock()
		case !strings.Contains(oneLine(r.stderr), "was moved to version") || !strings.Contains(oneLine(r.stderr), "nothing was changed"):
			t.Errorf("promote %d failed without naming the move that beat it:\n%s", i, r.stderr)
		}
	})
	t.Logf("%d of %d promotes went through; the others were beaten to it", moved, machines)
	if moved == 0 {
		t.Error("no promote went through")
	}
	history := checkHistory(t, dirs, env, d)
	promotes := 0
	for _, m := range history {
		if m.Trigger == registry.MoveByPromote {
			promotes++
		}
	}
	if promotes > moved {
		t.Errorf("%d promotes in the history, %d commands said they moved it", promotes, moved)
	}
}

// runAll runs pipe in every folder at once and checks each result.
func runAll(t *testing.T, dirs []string, env []string, args func(i int) []string, check func(i int, r result)) {
	t.Helper()
	procs := make([]*proc, len(dirs))
	for i, dir := range dirs {
		procs[i] = startPipe(t, dir, env, args(i)...)
	}
	for i, p := range procs {
		check(i, p.wait(t))
	}
}

// checkVersions checks that the model has n versions, numbered 1 to n,
// each of another digest, alike on every machine, and returns them.
func checkVersions(t *testing.T, dirs []string, env []string, n int) *registry.ModelDetail {
	t.Helper()
	var first string
	var d registry.ModelDetail
	for i, dir := range dirs {
		r := pipe(t, dir, env, "models", "show", "-json", "team").expect(t, 0)
		if i == 0 {
			first = r.stdout
		} else if r.stdout != first {
			t.Errorf("machine %d sees other versions:\n%s", i, firstLineDiff(r.stdout, first))
		}
	}
	if err := json.Unmarshal([]byte(first), &d); err != nil {
		t.Fatal(err)
	}
	digests := map[string]bool{}
	for i, v := range d.Versions {
		if v.Version != i+1 || digests[v.ModelDigest] || v.URI == "" || !strings.HasSuffix(v.URI, fmt.Sprintf("/v%d/", v.Version)) {
			t.Errorf("version %d: %+v", i+1, v)
		}
		digests[v.ModelDigest] = true
	}
	if len(d.Versions) != n {
		t.Errorf("%d versions, want %d", len(d.Versions), n)
	}
	return &d
}

// checkHistory checks the champion's history: alike on every machine,
// each move from where the one before left it, ending where the alias
// points, which is one version.
func checkHistory(t *testing.T, dirs []string, env []string, d *registry.ModelDetail) []registry.AliasMove {
	t.Helper()
	var first string
	for i, dir := range dirs {
		r := pipe(t, dir, env, "models", "history", "-json", "team").expect(t, 0)
		if i == 0 {
			first = r.stdout
		} else if r.stdout != first {
			t.Errorf("machine %d sees another history:\n%s", i, firstLineDiff(r.stdout, first))
		}
	}
	var doc struct{ History []registry.AliasMove }
	if err := json.Unmarshal([]byte(first), &doc); err != nil {
		t.Fatal(err)
	}
	at := 0
	for i, m := range doc.History {
		if m.Alias != "champion" || m.From != at || m.To < 1 || m.To > len(d.Versions) {
			t.Errorf("move %d: %+v, want one from %d", i+1, m, at)
		}
		at = m.To
	}
	r := pipe(t, dirs[0], env, "models", "show", "-json", "team").expect(t, 0)
	var now registry.ModelDetail
	json.Unmarshal([]byte(r.stdout), &now)
	if len(now.Aliases) != 1 || now.Aliases[0].Name != "champion" || now.Aliases[0].Version != at {
		t.Errorf("aliases %+v, want champion at %d, where the history ends", now.Aliases, at)
	}
	return doc.History
}

// TestKilledWhileWritingARecord kills an apply with SIGKILL while it
// writes an entry of the registry's log to a store another machine
// shares; the other machine then applies, the killed one syncs, applies
// (its killed run becomes interrupted) and rebuilds its registry from
// the log: every answer is the same before and after, and on both
// machines.
func TestKilledWhileWritingARecord(t *testing.T) {
	env := childEnv(t, "PIPE_STORE=file://"+filepath.ToSlash(filepath.Join(t.TempDir(), "store")))
	a, b := newCrashPipeline(t), newCrashPipeline(t)
	p := startPipe(t, a, append(slices.Clone(env), "PIPE_FAILPOINT=store.create.uncommitted:4"), "apply", "-no-color")
	res := p.wait(t)
	if !p.killedBySIGKILL() || !strings.Contains(res.stderr, "failpoint: store.create.uncommitted hit 4") {
		t.Fatalf("apply was not killed while writing a record (exit %d):\n%s", res.code, res.stderr)
	}
	pipe(t, b, env, "apply", "-no-color").expect(t, 0)
	pipe(t, a, env, "apply", "-no-color").expect(t, 0)
	runs := runsOf(t, a, env)
	if len(runs) != 3 || runs[0].Status != registry.RunSucceeded || runs[1].Status != registry.RunSucceeded || runs[2].Status != registry.RunInterrupted {
		t.Errorf("runs: %+v, want the killed one interrupted and two that succeeded", runs)
	}
	before := registryAnswers(t, a, env, "crash")
	r := pipe(t, a, env, "registry", "rebuild", "-from-scratch").expect(t, 0)
	if !strings.Contains(r.stdout, "Rebuilt ") {
		t.Errorf("rebuild says:\n%s", r.stdout)
	}
	if after := registryAnswers(t, a, env, "crash"); after != before {
		t.Errorf("the rebuilt registry answers otherwise:\n%s", firstLineDiff(after, before))
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(b, ".pipe", "registry.db"+suffix))
	}
	if got := registryAnswers(t, b, env, "crash"); got != before {
		t.Errorf("the other machine, its registry file deleted, answers otherwise:\n%s", firstLineDiff(got, before))
	}
	checkRegistryIntegrity(t, filepath.Join(a, ".pipe", "registry.db"))
}

// TestServeAnswersTheSameAfterRebuild: serve's API (runs, a run, models,
// a model, lineage) answers the same after the registry file is deleted
// and rebuilt from the store's log as before.
func TestServeAnswersTheSameAfterRebuild(t *testing.T) {
	env := childEnv(t, "PIPE_STORE=file://"+filepath.ToSlash(filepath.Join(t.TempDir(), "store")))
	dir := newCrashPipeline(t)
	pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	answers := func() string {
		p := startServe(t, dir, env, "-watch=false", "-addr=127.0.0.1:0", ".")
		var b strings.Builder
		for _, path := range []string{"/api/runs?limit=500", "/api/runs/1", "/api/runs/2", "/api/models", "/api/models/crash", "/api/lineage?ref=crash@champion"} {
			code, body := p.get(path)
			if code != 200 {
				t.Errorf("GET %s: %d %s", path, code, body)
			}
			fmt.Fprintf(&b, "GET %s\n%s\n", path, body)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.exit(); code != 0 {
			t.Errorf("serve exited %d", code)
		}
		return b.String()
	}
	before := answers()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(dir, ".pipe", "registry.db"+suffix))
	}
	if after := answers(); after != before {
		t.Errorf("serve answers otherwise once its registry file is rebuilt:\n%s", firstLineDiff(after, before))
	}
}

// TestEditedRecordIsRefused edits an entry of the registry's log in the
// store: a machine that reads the log refuses it as corrupt, names it,
// answers from what came before it with a warning, and records nothing
// on top of it.
func TestEditedRecordIsRefused(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "store")
	env := childEnv(t, "PIPE_STORE=file://"+filepath.ToSlash(storeDir))
	a, b := newCrashPipeline(t), newCrashPipeline(t)
	pipe(t, a, env, "apply", "-no-color").expect(t, 0)
	key := txlog.EntryKey(3)
	path := filepath.Join(storeDir, filepath.FromSlash(key))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(raw, []byte(`"status":"ran"`), []byte(`"status":"failed"`), 1)
	if bytes.Equal(edited, raw) {
		edited = bytes.Replace(raw, []byte(`"kind":"`), []byte(`"kind":"x`), 1)
	}
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	r := pipe(t, b, env, "runs", "-json").expect(t, 0)
	msg := oneLine(r.stderr)
	for _, want := range []string{"Registry not up to date", key, "is corrupt", "nothing from it on is indexed", "as of entry 2"} {
		if !strings.Contains(msg, want) {
			t.Errorf("pipe runs does not say %q:\n%s", want, r.stderr)
		}
	}
	r = pipe(t, b, env, "apply", "-no-color").expect(t, 1)
	if !strings.Contains(oneLine(r.stderr), key) || !strings.Contains(oneLine(r.stderr), "is corrupt") {
		t.Errorf("apply on top of a damaged log:\n%s", r.stderr)
	}
	r = pipe(t, b, env, "registry", "status", "-json").expect(t, 0)
	var st struct {
		Entry int64
		Stale bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || !st.Stale || st.Entry != 2 {
		t.Errorf("registry status: %v %s", err, r.stdout)
	}
}
