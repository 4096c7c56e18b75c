package workspace

import (
	"github.com/hashicorp/hcl/v2"

	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/testkinds"
)

func TestLocations(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	write := func(dir, src string) string {
		t.Helper()
		p := filepath.Join(root, dir)
		os.MkdirAll(p, 0o755)
		if err := os.WriteFile(filepath.Join(p, "main.pipe.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("plain", `source "a" { path = "x" }`)
	set := write("set", `
settings {
  store    = "stores/${var.bucket}"
  registry = "db/reg.db"
}
variable "bucket" {
  default = "main"
}
source "a" { path = "x" }
`)
	for _, c := range []struct {
		name                     string
		path                     string
		opts                     Options
		store, state, registryAt string
	}{
		{name: "defaults beside the pipeline", path: "plain",
			store: "file://" + plain + "/.pipe/store", state: plain + "/.pipe", registryAt: plain + "/.pipe/registry.db"},
		{name: "settings, relative to the pipeline folder", path: "set",
			store: "file://" + set + "/stores/main", state: set + "/.pipe", registryAt: set + "/db/reg.db"},
		{name: "a variable in settings", path: "set", opts: Options{Env: []string{"PIPE_VAR_bucket=other"}},
			store: "file://" + set + "/stores/other", state: set + "/.pipe", registryAt: set + "/db/reg.db"},
		{name: "PIPE_STATE_DIR moves all local state, the registry included", path: "plain", opts: Options{Env: []string{"PIPE_STATE_DIR=/var/pipe"}},
			store: "file:///var/pipe/store", state: "/var/pipe", registryAt: "/var/pipe/registry.db"},
		{name: "PIPE_STATE_DIR leaves a store in settings where it is", path: "set", opts: Options{Env: []string{"PIPE_STATE_DIR=/var/pipe"}},
			store: "file://" + set + "/stores/main", state: "/var/pipe", registryAt: "/var/pipe/registry.db"},
		{name: "environment over settings", path: "set", opts: Options{Env: []string{"PIPE_STORE=gs://b/p", "PIPE_REGISTRY=r.db"}},
			store: "gs://b/p", state: set + "/.pipe", registryAt: root + "/r.db"},
		{name: "flags over environment, relative to the working directory", path: "set",
			opts:  Options{Store: "s", StateDir: "st", Registry: "x.db", Env: []string{"PIPE_STORE=gs://b/p", "PIPE_STATE_DIR=/var/pipe", "PIPE_REGISTRY=r.db"}},
			store: "file://" + root + "/s", state: root + "/st", registryAt: root + "/x.db"},
		{name: "a store URL passes as it is", path: "plain", opts: Options{Store: "mem://"},
			store: "mem://", state: plain + "/.pipe", registryAt: plain + "/.pipe/registry.db"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Path, c.opts.Kinds = c.path, testkinds.Catalog(nil)
			c.opts.Vars = eval.VarInputs{Env: c.opts.Env}
			w, diags := Resolve(c.opts)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if w.StoreURL != c.store || w.StateDir != c.state || w.RegistryPath != c.registryAt {
				t.Errorf("store %s, state %s, registry %s\nwant  %s, %s, %s", w.StoreURL, w.StateDir, w.RegistryPath, c.store, c.state, c.registryAt)
			}
		})
	}
}

// A setting that uses a variable without a value (pipe output and pipe
// validate leave required variables unknown) is not guessed.
func TestUnknownSetting(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(`
settings {
  store = "gs://${var.bucket}/pipe"
}
variable "bucket" {
  type = string
}
source "a" { path = "x" }
`), 0o644)
	_, diags := Resolve(Options{Path: dir, Kinds: testkinds.Catalog(nil), AllowMissingVars: true})
	if len(diags) != 1 || diags[0].Summary != "Setting not known" || diags[0].Subject == nil || diags[0].Subject.Start.Line != 3 || !strings.Contains(diags[0].Detail, "-var") {
		t.Errorf("diagnostics: %v", diags)
	}
	w, diags := Resolve(Options{Path: dir, Kinds: testkinds.Catalog(nil), AllowMissingVars: true, Store: "mem://"})
	if diags.HasErrors() || w.StoreURL != "mem://" {
		t.Errorf("-store given: %v %v", w.StoreURL, diags)
	}
	w, diags = Resolve(Options{Path: dir, Kinds: testkinds.Catalog(nil), Vars: eval.VarInputs{Args: []eval.VarArg{{Assign: "bucket=b"}}}})
	if diags.HasErrors() || w.StoreURL != "gs://b/pipe" {
		t.Errorf("with the variable: %v %v", w.StoreURL, diags)
	}
}

// The executor of steps without one of their own: -executor, then
// PIPE_EXECUTOR, then settings.executor, then local; a name pipe does
// not know is an error that says which of them gave it.
func TestExecutor(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(`
settings { executor = "kubernetes" }
source "a" { path = "x" }
`), 0o644)
	plain := t.TempDir()
	os.WriteFile(filepath.Join(plain, "main.pipe.hcl"), []byte(`source "a" { path = "x" }`), 0o644)
	for _, c := range []struct {
		path, flag string
		env        []string
		want       string // the executor, or the error's detail
	}{
		{plain, "", nil, "local"},
		{dir, "", nil, "kubernetes"},
		{dir, "", []string{"PIPE_EXECUTOR=local"}, "local"},
		{plain, "kubernetes", []string{"PIPE_EXECUTOR=local"}, "kubernetes"},
		{plain, "", []string{"PIPE_EXECUTOR=k8s"}, `PIPE_EXECUTOR names the executor "k8s", which pipe does not have. Use one of local, process, kubernetes.`},
		{plain, "lokal", nil, `-executor names the executor "lokal"`},
	} {
		w, diags := Resolve(Options{Path: c.path, Kinds: testkinds.Catalog(nil), Executor: c.flag, Env: c.env})
		got := w.Executor
		if diags.HasErrors() {
			got = diags[0].Summary + ": " + diags[0].Detail
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("-executor=%q, env %q: %q, want %q", c.flag, c.env, got, c.want)
		}
	}
}

// The team key comes from the environment; without one, sensitive values
// are hashed with a local key kept in the state folder, never in the
// store; a bad key is an error that points at the docs.
func TestKeys(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(`source "a" { path = "x" }`), 0o644)
	open := func(env ...string) (*Workspace, hcl.Diagnostics) {
		return Resolve(Options{Path: dir, Kinds: testkinds.Catalog(nil), Env: env})
	}
	w, diags := open()
	if diags.HasErrors() || w.Key != nil {
		t.Fatalf("no key configured: %v %v", w.Key, diags)
	}
	local, err := w.HashKey()
	if err != nil || local.Shared() || !strings.HasPrefix(local.Source(), w.StateDir) {
		t.Fatalf("the local key: %v %v", local, err)
	}
	if strings.HasPrefix(local.Source(), strings.TrimPrefix(w.StoreURL, "file://")) {
		t.Errorf("the local key %s is in the store %s", local.Source(), w.StoreURL)
	}
	team := "PIPE_KEY=" + strings.Repeat("k", 40)
	w, diags = open(team)
	if diags.HasErrors() || w.Key == nil || !w.Key.Shared() {
		t.Fatalf("a team key: %v %v", w.Key, diags)
	}
	if k, err := w.HashKey(); err != nil || k != w.Key {
		t.Errorf("with a team key, sensitive values are hashed with %v (%v)", k, err)
	}
	_, diags = open("PIPE_KEY=short")
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "at least 32") || !strings.Contains(diags[0].Detail, "docs/security.md") {
		t.Errorf("a short key: %v", diags)
	}
}
