//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
)

// startTogether starts one apply per folder in dirs (the same folder may
// be given twice) at the same moment, with a step that sleeps so that
// they overlap, and returns them once all have ended.
func startTogether(t *testing.T, dirs []string, env []string, args ...string) []*proc {
	t.Helper()
	args = append([]string{"apply", "-no-color", "-var", "sleep=2s"}, args...)
	procs := make([]*proc, len(dirs))
	for i, dir := range dirs {
		procs[i] = startPipe(t, dir, env, args...)
	}
	for _, p := range procs {
		p.wait(t)
	}
	return procs
}

// TestConcurrentApplyFailsFast starts two applies of one pipeline on one
// state folder (one store, one registry) at once: one runs, the other
// stops at once with a message naming the holder's host and pid, and
// neither the store nor the registry is damaged.
func TestConcurrentApplyFailsFast(t *testing.T) {
	dir := newCrashPipeline(t)
	env := childEnv(t)
	procs := startTogether(t, []string{dir, dir}, env)

	var winner, loser *proc
	for _, p := range procs {
		r := p.wait(t)
		switch r.code {
		case 0:
			winner = p
		case 1:
			loser = p
		default:
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	}
	if winner == nil || loser == nil {
		t.Fatalf("want one apply to succeed and one to stop; got\n%s\n---\n%s", procs[0].stderr.String(), procs[1].stderr.String())
	}
	host, _ := os.Hostname()
	msg := oneLine(loser.stderr.String())
	for _, want := range []string{"is locked by", host, fmt.Sprintf("pid %d", winner.cmd.Process.Pid), "-lock-timeout", "pipe force-unlock"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the lock message does not say %q:\n%s", want, loser.stderr.String())
		}
	}
	if strings.Contains(loser.stdout.String(), "running") {
		t.Errorf("the apply that stopped ran steps:\n%s", loser.stdout.String())
	}

	checkLocalStore(t, filepath.Join(dir, ".pipe", "store"))
	checkRegistryIntegrity(t, filepath.Join(dir, ".pipe", "registry.db"))
	runs := checkRunsEnded(t, dir, env)
	if len(runs) != 1 || runs[0].Status != registry.RunSucceeded {
		t.Errorf("runs: %+v, want the one that ran, succeeded", runs)
	}
}

// TestConcurrentApplyWaits starts two applies with -lock-timeout on one
// state folder: one runs everything, the other waits for it and then
// finds everything cached; both runs are recorded as succeeded.
func TestConcurrentApplyWaits(t *testing.T) {
	dir := newCrashPipeline(t)
	env := childEnv(t)
	procs := startTogether(t, []string{dir, dir}, env, "-lock-timeout=2m")

	var summaries []string
	for _, p := range procs {
		r := p.wait(t).expect(t, 0)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		summaries = append(summaries, lines[len(lines)-1])
	}
	ran := func(s string) bool { return strings.HasPrefix(s, "Apply complete: 6 ran, 0 cached") }
	cached := func(s string) bool { return strings.HasPrefix(s, "Apply complete: 0 ran, 6 cached") }
	if !(ran(summaries[0]) && cached(summaries[1]) || cached(summaries[0]) && ran(summaries[1])) {
		t.Errorf("want one apply to run everything and the other to find it cached:\n%s", strings.Join(summaries, "\n"))
	}

	checkLocalStore(t, filepath.Join(dir, ".pipe", "store"))
	checkRegistryIntegrity(t, filepath.Join(dir, ".pipe", "registry.db"))
	runs := checkRunsEnded(t, dir, env)
	if len(runs) != 2 || runs[0].Status != registry.RunSucceeded || runs[1].Status != registry.RunSucceeded {
		t.Errorf("runs: %+v, want two, succeeded", runs)
	}
}

// TestConcurrentApplySharedStore starts two applies of one pipeline in
// two folders, each with its own state folder and registry but one store
// between them, as a laptop and CI share a bucket. Nothing stops either:
// both run the same steps at the same time and write the same objects,
// and the store must come out whole. The registry's log is in the store:
// each folder's registry shows both runs, with the same numbers.
func TestConcurrentApplySharedStore(t *testing.T) {
	a, b := newCrashPipeline(t), newCrashPipeline(t)
	shared := filepath.Join(t.TempDir(), "store")
	env := childEnv(t, "PIPE_STORE="+shared)
	for _, p := range startTogether(t, []string{a, b}, env) {
		p.wait(t).expect(t, 0)
	}
	if n, _ := checkLocalStore(t, shared); n == 0 {
		t.Error("the shared store holds no object")
	}
	if got, want := outputArtifacts(t, a, env), outputArtifacts(t, b, env); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the two applies disagree:\n%v\n%v", got, want)
	}
	var seen []string
	for _, dir := range []string{a, b} {
		checkRegistryIntegrity(t, filepath.Join(dir, ".pipe", "registry.db"))
		runs := checkRunsEnded(t, dir, env)
		if len(runs) != 2 || runs[0].Status != registry.RunSucceeded || runs[1].Status != registry.RunSucceeded {
			t.Errorf("%s: runs %+v, want both applies' runs, succeeded", dir, runs)
		}
		var ids []string
		for _, r := range runs {
			ids = append(ids, fmt.Sprintf("%d:%s", r.ID, r.Origin))
		}
		seen = append(seen, strings.Join(ids, " "))
	}
	if seen[0] != seen[1] {
		t.Errorf("the two registries disagree about the runs:\n%s\n%s", seen[0], seen[1])
	}
}

// TestConcurrentApplySharedRegistry starts two applies of one pipeline in
// two folders whose state folders differ but which share one store and
// one registry (PIPE_REGISTRY): besides its state folder's lock, each
// apply takes the lock of the registry's folder, so one waits for the
// other instead of taking its live run for a dead one.
func TestConcurrentApplySharedRegistry(t *testing.T) {
	a, b := newCrashPipeline(t), newCrashPipeline(t)
	shared := t.TempDir()
	env := childEnv(t, "PIPE_STORE="+filepath.Join(shared, "store"), "PIPE_REGISTRY="+filepath.Join(shared, "registry.db"))
	procs := startTogether(t, []string{a, b}, env, "-lock-timeout=2m")
	for _, p := range procs {
		r := p.wait(t)
		if r.code != 0 && !strings.Contains(r.stderr, "locked by") {
			t.Errorf("exit %d without a lock message:\n%s", r.code, r.stderr)
		}
	}
	checkLocalStore(t, filepath.Join(shared, "store"))
	checkRegistryIntegrity(t, filepath.Join(shared, "registry.db"))
	for _, run := range checkRunsEnded(t, a, env) {
		if run.Status != registry.RunSucceeded {
			t.Errorf("run %d is %s: %s", run.ID, run.Status, run.Error)
		}
	}
}
