package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The reproductions of issue 20 point 4: a file function, a step's input
// and a step's destination outside the pipeline folder are refused, at
// the value, before anything is read or written, and run once the folder
// is allowed by settings.allowed_paths, -allow-path or
// PIPE_ALLOWED_PATHS.
func TestPathsStayInside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "pipeline")
	shared := filepath.Join(base, "shared")
	for _, d := range []string{dir, shared} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "TOP-SECRET-BYTES"
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(base, "secret.txt"), secret+"\n")
	write(filepath.Join(shared, "a.txt"), "shared lines\n")
	if err := os.Symlink(base, filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}
	const steps = `
source "corpus" { path = "../shared/*.txt" }

export "copy" {
  input = source.corpus.data
  to    = "../out"
  name  = "copy.txt"
}
`
	mainFile := filepath.Join(dir, "main.pipe.hcl")
	refused := func(r result, what string) {
		t.Helper()
		msg := oneLine(r.stderr)
		for _, want := range []string{what + " is outside the pipeline folder " + dir, "settings { allowed_paths = [...] }, or give -allow-path=DIR (PIPE_ALLOWED_PATHS)"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the refusal does not say %q:\n%s", want, r.stderr)
			}
		}
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("the secret's bytes reached the output:\n%s\n%s", r.stdout, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(base, "out")); err == nil {
			t.Error("a refused pipeline wrote outside its folder")
		}
	}

	// A file function: its content would be in the PR comment.
	write(mainFile, `pipeline "p" {}
source "corpus" { path = "*.pipe.hcl" }
export "copy" {
  input = source.corpus.data
  to    = "out"
  name  = file("../secret.txt")
}
`)
	refused(pipe(t, dir, childEnv(t), "plan", "-markdown", "-no-color").expect(t, 1), "../secret.txt")
	editFile(t, mainFile, `file("../secret.txt")`, `file("up/secret.txt")`) // through a link
	refused(pipe(t, dir, childEnv(t), "plan", "-markdown", "-no-color").expect(t, 1), "up/secret.txt")

	// A step's input and destination.
	write(mainFile, `pipeline "p" {}`+steps)
	r := pipe(t, dir, childEnv(t), "apply", "-no-color").expect(t, 1)
	refused(r, "path: ../shared/*.txt")
	refused(r, "to: ../out")
	if !strings.Contains(r.stderr, `on main.pipe.hcl line 2, in source "corpus"`) || !strings.Contains(r.stderr, `on main.pipe.hcl line 6, in export "copy"`) {
		t.Errorf("the refusals are not at their values:\n%s", r.stderr)
	}

	// Allowed three ways.
	out := filepath.Join(base, "out", "copy.txt")
	for _, c := range []struct {
		name     string
		settings string
		env      []string
		args     []string
	}{
		{name: "settings", settings: `settings { allowed_paths = ["../shared", "../out"] }`},
		{name: "flag", args: []string{"-allow-path=" + shared, "-allow-path=" + filepath.Join(base, "out")}},
		{name: "environment", env: []string{"PIPE_ALLOWED_PATHS=" + shared + string(os.PathListSeparator) + filepath.Join(base, "out")}},
	} {
		os.RemoveAll(filepath.Join(base, "out"))
		os.RemoveAll(filepath.Join(dir, ".pipe"))
		write(mainFile, `pipeline "p" {}`+"\n"+c.settings+steps)
		pipe(t, dir, childEnv(t, c.env...), append([]string{"apply", "-no-color"}, c.args...)...).expect(t, 0)
		if b, err := os.ReadFile(out); err != nil || string(b) != "# a.txt\nshared lines\n" {
			t.Errorf("%s: %s holds %q, %v", c.name, out, b, err)
		}
	}
}
