package workspace

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/testkinds"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "20GiB": 20 << 30, "20 GiB": 20 << 30, "500MB": 500e6, "2G": 2 << 30, "1kib": 1 << 10, "7B": 7,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5MB", "ten", "5 parsecs", "99999999999TB"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

// TestObjectCacheLocation: the object cache is in the state folder unless
// PIPE_CACHE_DIR moves it; only a remote store opens it; a bad
// PIPE_CACHE_MAX is a diagnostic; a cache that cannot be made is a
// warning, not a failure.
func TestObjectCacheLocation(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(`source "a" { path = "x" }`), 0o644)
	resolve := func(env ...string) *Workspace {
		t.Helper()
		w, diags := Resolve(Options{Path: dir, Kinds: testkinds.Catalog(nil), Vars: eval.VarInputs{Env: env}, Env: env})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return w
	}
	w := resolve()
	if w.CacheDir != filepath.Join(dir, ".pipe", "objects") || w.CacheMax != store.DefaultCacheMax {
		t.Errorf("default cache %s, %d bytes", w.CacheDir, w.CacheMax)
	}
	if err := w.OpenStore(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := os.Stat(w.CacheDir); err == nil {
		t.Errorf("a local store made an object cache")
	}
	elsewhere := filepath.Join(t.TempDir(), "c")
	w = resolve("PIPE_CACHE_DIR="+elsewhere, "PIPE_CACHE_MAX=3GiB", "PIPE_STORE=gs://bucket/p")
	if w.CacheDir != elsewhere || w.CacheMax != 3<<30 {
		t.Errorf("PIPE_CACHE_DIR, PIPE_CACHE_MAX: cache %s, %d bytes", w.CacheDir, w.CacheMax)
	}
	if c := w.openCache(); c == nil || c.Dir() != elsewhere || w.CacheProblem != nil {
		t.Errorf("openCache for gs:// = %v, %v", c, w.CacheProblem)
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	w = resolve("PIPE_CACHE_DIR="+filepath.Join(file, "c"), "PIPE_STORE=s3://bucket")
	if c := w.openCache(); c != nil || w.CacheProblem == nil || !strings.Contains(w.CacheProblem.Error(), "PIPE_CACHE_DIR") {
		t.Errorf("openCache under a file = %v, %v; want none and a problem naming PIPE_CACHE_DIR", c, w.CacheProblem)
	}
	_, diags := Resolve(Options{Path: dir, Kinds: testkinds.Catalog(nil), Env: []string{"PIPE_CACHE_MAX=lots"}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "PIPE_CACHE_MAX") {
		t.Errorf("PIPE_CACHE_MAX=lots: %v", diags)
	}
}
