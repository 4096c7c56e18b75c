package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/testkinds"
)

// Paths a step reads or writes stay in the pipeline folder and the
// folders settings.allowed_paths and the command line allow, each escape
// a diagnostic at the value that names the setting to change.
func TestAllowedPaths(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "pipeline")
	for _, d := range []string{filepath.Join(dir, "data"), filepath.Join(base, "shared"), filepath.Join(base, "flagged")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	load := func(t *testing.T, src string, extra ...confine.Root) (*Pipeline, hcl.Diagnostics) {
		t.Helper()
		write(t, filepath.Join(dir, "main.pipe.hcl"), src)
		return Load(Options{Path: dir, Kinds: testkinds.Catalog(nil), AllowedPaths: extra,
			Vars: eval.VarInputs{Env: []string{"PIPE_VAR_out=../flagged/out", "PIPE_VAR_secret_out=/var/secret-place"}}})
	}
	const vars = `
variable "shared" { default = "../shared" }
variable "out" { type = string }
variable "secret_out" {
  type      = string
  sensitive = true
}
`
	// Allowed: the settings' folder (through a variable) and the flag's.
	p, diags := load(t, vars+`
settings { allowed_paths = [var.shared] }
source "a" { path = "../shared/*.txt" }
export "b" {
  input = source.a.data
  to    = var.out
  name  = "x"
}
`, confine.Root{Path: filepath.Join(base, "flagged"), From: "-allow-path"})
	if diags.HasErrors() {
		t.Fatalf("allowed paths refused: %v", diags)
	}
	if got := p.Roots.Allowed(); len(got) != 2 || got[1].Path != filepath.Join(base, "shared") || got[1].From != "settings.allowed_paths" {
		t.Errorf("roots %+v", got)
	}

	// Refused: each at its value, naming the escape and the setting; a
	// sensitive path is not shown.
	src := vars + `
source "a" { path = "../shared/*.txt" }
source "etc" { path = "/etc/passwd" }
export "b" {
  input = source.a.data
  to    = var.out
  name  = "x"
}
export "c" {
  input = source.a.data
  to    = var.secret_out
  name  = "x"
}
export "blob" {
  input = source.a.data
  to    = "gs://bucket/prefix"
  name  = "x"
}
`
	_, diags = load(t, src)
	lines := map[int]bool{}
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Summary != "Path outside the pipeline folder" || d.Subject == nil {
			t.Errorf("%s: %s", d.Summary, d.Detail)
			continue
		}
		lines[d.Subject.Start.Line] = true
		for _, w := range []string{"is outside the pipeline folder " + dir, "settings { allowed_paths = [...] }", "-allow-path=DIR"} {
			if !strings.Contains(d.Detail, w) {
				t.Errorf("line %d: %q lacks %q", d.Subject.Start.Line, d.Detail, w)
			}
		}
		if strings.Contains(d.Detail, "secret-place") || strings.Contains(d.Detail, "root:") {
			t.Errorf("line %d shows what it must not: %s", d.Subject.Start.Line, d.Detail)
		}
	}
	for _, at := range []string{`path = "../shared/*.txt"`, `path = "/etc/passwd"`, `to    = var.out`, `to    = var.secret_out`} {
		line := strings.Count(src[:strings.Index(src, at)], "\n") + 1
		if !lines[line] {
			t.Errorf("no escape reported at %s (line %d): %v", at, line, diags)
		}
	}
	if len(lines) != 4 {
		t.Errorf("%d lines with escapes, want 4: %v", len(lines), diags)
	}

	// A setting that is not a list of folders.
	_, diags = load(t, vars+`settings { allowed_paths = "gs://bucket" }`)
	diags = slices.DeleteFunc(diags, func(d *hcl.Diagnostic) bool { return d.Severity == hcl.DiagWarning }) // no steps
	if !diags.HasErrors() || diags[0].Summary != "Invalid setting" || !strings.Contains(diags[0].Detail, "must be a list of folders") {
		t.Errorf("a bad allowed_paths: %v", diags)
	}
}
