//go:build unix

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/tempfile"
)

// TestNoLitterAfterKill kills pipe apply (SIGKILL) while a step runs in a
// worker process: the apply's temporary folder for that worker stays in
// TMPDIR; the next, unrelated pipe command removes it. While the apply
// lives, other commands leave it alone.
func TestNoLitterAfterKill(t *testing.T) {
	dir := newCrashPipeline(t)
	tmp := t.TempDir()
	env := []string{"TMPDIR=" + tmp}
	p := startPipe(t, dir, env, "apply", "-no-color", "-parallelism=1", "-executor=process", "-var", "sleep=1m")
	p.waitOutput(t, "transform.pause: running on")
	stopWorker(t, p.stdout.String())
	owned := pipeTemps(t, tmp)
	if len(owned) == 0 {
		t.Fatalf("the apply running a step in a worker has no temporary file in TMPDIR: nothing for this test to check")
	}

	// Another pipeline's commands, while the apply runs: its files stay.
	other := newCrashPipeline(t)
	pipe(t, other, env, "validate", "-no-color").expect(t, 0)
	pipe(t, other, env, "plan", "-no-color").expect(t, 0)
	if got := pipeTemps(t, tmp); !sameStrings(got, owned) {
		t.Fatalf("commands run beside a live apply changed its temporary files: %q, want %q", got, owned)
	}

	p.kill(t)
	if got := pipeTemps(t, tmp); !sameStrings(got, owned) {
		t.Fatalf("the kill left %q, want %q (the premise of this test)", got, owned)
	}
	pipe(t, other, env, "validate", "-no-color").expect(t, 0)
	if got := pipeTemps(t, tmp); len(got) != 0 {
		t.Errorf("pipe validate after the kill left %q in TMPDIR", got)
	}
}

// pipeTemps lists the temporary files and folders pipe owns in dir.
func pipeTemps(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, tempfile.Prefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func sameStrings(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// stopWorker makes sure the worker process the apply's output names
// ("running on process (process PID)") is gone when the test ends: a
// killed apply does not take its worker with it.
func stopWorker(t *testing.T, out string) {
	t.Helper()
	m := regexp.MustCompile(`running on process \(process (\d+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no worker process named in:\n%s", out)
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for range 500 {
			if _, err := os.Stat("/proc/" + m[1]); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
