package workspace

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
)

// A checkout is dirty when a tracked file changed, not when pipe's state
// folder or a run's outputs sit untracked beside the pipeline.
func TestGitInfoDirty(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirty := func() *bool {
		t.Helper()
		var r registry.Run
		gitInfo(context.Background(), dir, &r)
		if r.GitCommit == "" {
			t.Fatal("no commit recorded in a Git checkout")
		}
		return r.GitDirty
	}

	write("main.pipe.hcl", "pipeline \"p\" {}\n")
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "the pipeline")

	// No .gitignore: the state folder and an output are untracked.
	write(".pipe/registry.db", "state")
	write(".pipe/store/objects/ab", "object")
	write("out/report.md", "a report")
	if d := dirty(); d == nil || *d {
		t.Errorf("clean checkout with .pipe/ and outputs present: dirty = %v, want false", fmtBool(d))
	}

	write("main.pipe.hcl", "pipeline \"p\" { description = \"changed\" }\n")
	if d := dirty(); d == nil || !*d {
		t.Errorf("modified tracked pipeline file: dirty = %v, want true", fmtBool(d))
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}
