//go:build unix

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStepOutlivedByItsChildren: a command that leaves a process behind
// holding its stdout and stderr open (as scikit-learn's joblib leaves
// its workers) still has its result kept, at once and not after
// WaitDelay, and what it left is killed.
func TestStepOutlivedByItsChildren(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	m := &measurement{root: dir, results: dir, log: io.Discard}
	script := `sleep 60 & echo $! > child.pid; echo '{"ok": true}'`
	start := time.Now()
	out, ok := m.step(context.Background(), "leaves", "a command that leaves a child", "sh", "-c", script)
	if !ok {
		b, _ := os.ReadFile(filepath.Join(dir, "leaves.error"))
		t.Fatalf("the step failed: %s", b)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the step took %s: it waited for the child", took)
	}
	if strings.TrimSpace(string(out)) != `{"ok": true}` {
		t.Errorf("output %q", out)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for range 50 {
		if !running(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("the child %d is still running", pid)
}

// running reports whether pid is a live process (not gone, nor a zombie
// waiting for its new parent to reap it).
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: alive as far as kill says
	}
	_, after, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(after, "Z")
}
