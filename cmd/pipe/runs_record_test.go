//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/pipe-ml/pipe/engine/registry"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
)

// openPTY opens a new pseudo-terminal and returns its two ends: what a
// program writes to tty, the test reads from ptmx.
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Skipf("ptsname: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open the terminal: %v", err)
	}
	return m, s
}

// applyOnTerminal runs pipe apply in dir with its output on a terminal
// and returns what the terminal showed.
func applyOnTerminal(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	ptmx, tty := openPTY(t)
	defer ptmx.Close()
	cmd := exec.Command(binary(t), append([]string{"apply"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=xterm"}, env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = tty, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var screen bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&screen, ptmx) // ends with EIO once the program has exited
		close(done)
	}()
	err := cmd.Wait()
	<-done
	if err != nil {
		t.Fatalf("apply %v: %v\n%s\n%s", args, err, screen.String(), stderr.String())
	}
	return screen.String()
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=pipe test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func recordedRuns(t *testing.T, dir string) []registry.Run {
	t.Helper()
	r := pipe(t, dir, nil, "runs", "-json", "-limit=0").expect(t, 0)
	var runs views.RunsDocument
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		t.Fatalf("runs -json: %v\n%s", err, r.stdout)
	}
	// Oldest first.
	for i, j := 0, len(runs.Runs)-1; i < j; i, j = i+1, j-1 {
		runs.Runs[i], runs.Runs[j] = runs.Runs[j], runs.Runs[i]
	}
	return runs.Runs
}

// What a run records about how it was started: its trigger (-trigger,
// PIPE_TRIGGER, ci in a CI job, else manual), the Git commit and dirty
// flag of the pipeline's checkout, and the branch and pull request a CI
// provides. On a terminal, apply colours its output and keeps a live
// progress line; in CI (CI=true or GITHUB_ACTIONS=true) it does neither,
// even on a terminal.
func TestRunRecordsTriggerGitAndCI(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := copyDir(t, "testdata/pipelines/ok")
	// transform.shout takes a second, long enough for the live line (sleep
	// is not part of the cache key).
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), "factor = var.factor", "factor = var.factor\n  sleep  = \"1s\"")
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(".pipe/\n"), 0o644)
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "the pipeline")
	head := gitIn(t, dir, "rev-parse", "HEAD")

	// 1. A person at a terminal: colour and a live line.
	screen := applyOnTerminal(t, dir, nil)
	if !strings.Contains(screen, "\x1b[32m") || !strings.Contains(screen, "\r\x1b[K") || !strings.Contains(screen, "… transform.shout") {
		t.Errorf("on a terminal, apply shows no colour or no live line:\n%q", screen)
	}

	// 2. A GitHub Actions job on a pull request, on a terminal: no colour,
	// no live line; the pull request and its branch are recorded.
	pr := []string{"CI=true", "GITHUB_ACTIONS=true", "GITHUB_SHA=" + head, "GITHUB_REF=refs/pull/7/merge",
		"GITHUB_HEAD_REF=feature/more-folds", "GITHUB_REF_NAME=7/merge", "GITHUB_EVENT_NAME=pull_request"}
	screen = applyOnTerminal(t, dir, pr, "-replace=transform.shout")
	if strings.Contains(screen, "\x1b") || strings.Contains(screen, "…") {
		t.Errorf("in CI, apply coloured its output or drew a live line:\n%q", screen)
	}
	if !strings.Contains(screen, "transform.shout: ran in") {
		t.Errorf("in CI, apply does not say what ran:\n%s", screen)
	}

	// 3. GITHUB_ACTIONS alone is CI too; a push to main records the branch.
	push := []string{"GITHUB_ACTIONS=true", "GITHUB_SHA=" + head, "GITHUB_REF=refs/heads/main", "GITHUB_REF_NAME=main", "GITHUB_REF_TYPE=branch"}
	screen = applyOnTerminal(t, dir, push, "-replace=transform.shout")
	if strings.Contains(screen, "\x1b") || strings.Contains(screen, "…") {
		t.Errorf("with GITHUB_ACTIONS=true, apply coloured its output or drew a live line:\n%q", screen)
	}

	// 4. A trigger given beats CI: PIPE_TRIGGER, and -trigger beats that.
	// An uncommitted change makes the checkout dirty.
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), "default = 2", "default = 3")
	pipe(t, dir, append([]string{"PIPE_TRIGGER=schedule"}, pr...), "apply").expect(t, 0)
	pipe(t, dir, []string{"PIPE_TRIGGER=schedule"}, "apply", "-trigger=watch").expect(t, 0)
	r := pipe(t, dir, nil, "apply", "-trigger=nightly").expect(t, 1)
	if !strings.Contains(r.stderr, `unknown trigger "nightly"`) || !strings.Contains(r.stderr, "manual, ci, schedule, watch") {
		t.Errorf("unknown trigger:\n%s", r.stderr)
	}

	runs := recordedRuns(t, dir)
	clean, dirty := false, true
	want := []registry.Run{
		{Trigger: registry.TriggerManual, GitCommit: head, GitDirty: &clean, GitBranch: "main"},
		{Trigger: registry.TriggerCI, GitCommit: head, GitDirty: &clean, GitBranch: "feature/more-folds", PullRequest: "7"},
		{Trigger: registry.TriggerCI, GitCommit: head, GitDirty: &clean, GitBranch: "main"},
		{Trigger: registry.TriggerSchedule, GitCommit: head, GitDirty: &dirty, GitBranch: "feature/more-folds", PullRequest: "7"},
		{Trigger: registry.TriggerWatch, GitCommit: head, GitDirty: &dirty, GitBranch: "main"},
	}
	if len(runs) != len(want) {
		t.Fatalf("%d runs recorded, want %d: %+v", len(runs), len(want), runs)
	}
	for i, w := range want {
		g := runs[i]
		if g.Trigger != w.Trigger || g.GitCommit != w.GitCommit || g.GitDirty == nil || *g.GitDirty != *w.GitDirty ||
			g.GitBranch != w.GitBranch || g.PullRequest != w.PullRequest || g.Status != registry.RunSucceeded {
			dirtyFlag := "nil"
			if g.GitDirty != nil {
				dirtyFlag = fmt.Sprint(*g.GitDirty)
			}
			t.Errorf("run %d: trigger %s, commit %s, dirty %s, branch %q, PR %q, status %s; want trigger %s, commit %s, dirty %v, branch %q, PR %q",
				g.ID, g.Trigger, g.GitCommit, dirtyFlag, g.GitBranch, g.PullRequest, g.Status, w.Trigger, w.GitCommit, *w.GitDirty, w.GitBranch, w.PullRequest)
		}
	}
	r = pipe(t, dir, nil, "runs", "show", "2").expect(t, 0)
	if !strings.Contains(r.stdout, "Triggered by     ci") || !strings.Contains(r.stdout, head+" (branch feature/more-folds, pull request 7)") {
		t.Errorf("runs show 2:\n%s", r.stdout)
	}

	// Outside a Git checkout, the commit is the one the CI names.
	plain := copyDir(t, "testdata/pipelines/ok")
	pipe(t, plain, push, "apply").expect(t, 0)
	runs = recordedRuns(t, plain)
	if len(runs) != 1 || runs[0].GitCommit != head || runs[0].GitDirty != nil || runs[0].GitBranch != "main" || runs[0].Trigger != registry.TriggerCI {
		t.Errorf("a CI run outside Git: %+v", runs)
	}
}
