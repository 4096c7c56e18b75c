package trigger

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// TestFoldersOf: the data folders are the ones the file-reading kinds
// name: a glob's folder, even before it exists; a file's folder, even
// before the file exists (where guessing from the attributes' strings saw
// no path); a folder named by a sensitive value is marked hidden.
func TestFoldersOf(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "private")
	for name, content := range map[string]string{
		"main.pipe.hcl": `pipeline "demo" {}

variable "secret_dir" {
  type      = string
  sensitive = true
}

source "corpus" {
  path = "data/*.txt"
}

source "one" {
  path = "notes/today.txt"
}

source "incoming" {
  path = "later/*.txt"
}

source "private" {
  path = "${var.secret_dir}/*.txt"
}

transform "shout" {
  input = source.corpus.data
  mode  = "upper"
}
`,
		"data/a.txt": "a\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PIPE_VAR_secret_dir=" + secret, "PIPE_ALLOWED_PATHS=" + secret}
	ws, diags := workspace.Resolve(workspace.Options{Path: dir, Kinds: testkinds.Catalog(nil), StateDir: t.TempDir(), Env: env,
		Vars: eval.VarInputs{Env: env}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := FoldersOf(ws)
	want := []string{filepath.Join(dir, "data"), filepath.Join(dir, "later"), filepath.Join(dir, "notes"), secret}
	slices.Sort(want)
	if !slices.Equal(got.Paths, want) {
		t.Errorf("folders %v, want %v", got.Paths, want)
	}
	if len(got.Hidden) != 1 || !got.Hidden[secret] {
		t.Errorf("hidden %v, want only %s", got.Hidden, secret)
	}
}
