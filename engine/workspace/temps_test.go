package workspace

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/engine/tempfile"
	"github.com/pipe-ml/pipe/engine/testkinds"
)

// TestOpenStoreSweepsTemps: opening the workspace removes what processes
// now gone left in the state folder and the local store's objects folder,
// whatever their age, and keeps what a live process holds.
func TestOpenStoreSweepsTemps(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(`source "a" { path = "x" }`), 0o644)
	state, objects := filepath.Join(dir, ".pipe"), filepath.Join(dir, ".pipe", "store", "objects", "sha256")
	var orphans []string
	for _, d := range []string{state, objects} {
		os.MkdirAll(d, 0o755)
		p := filepath.Join(d, tempfile.Prefix+"left-by-a-kill.json")
		os.WriteFile(p, []byte("half"), 0o600)
		orphans = append(orphans, p)
	}
	live, err := tempfile.Create(state, ".json")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()

	w, diags := Resolve(Options{Path: dir, Kinds: testkinds.Catalog(nil)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if err := w.OpenStore(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, p := range orphans {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s, whose owner is gone, is still there", p)
		}
	}
	if _, err := os.Stat(live.Name()); err != nil {
		t.Errorf("the live process's %s was removed: %v", live.Name(), err)
	}
}
