package apply

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/engine/store"
)

const exportPipeline = `
pipeline "t" {}

source "corpus" {
  path = "data/*.txt"
}

export "out" {
  input = source.corpus.data
  to    = "exported"
  name  = "sub/corpus.txt"
}
`

// applyEvents applies and returns the step_restored events.
func (f *fixture) applyEvents() []Event {
	f.t.Helper()
	var mu sync.Mutex
	var restored []Event
	res, err := Execute(context.Background(), Options{Plan: f.plan(nil, nil), Store: f.store, Files: f.files, Parallelism: 2,
		Events: func(e Event) {
			if e.Type == StepRestored {
				mu.Lock()
				restored = append(restored, e)
				mu.Unlock()
			}
		}})
	if err != nil || res.Status() != "succeeded" {
		f.t.Fatalf("apply: %v %v", err, res.Diagnostics)
	}
	return restored
}

// A step taken from the cache writes again the files it wrote outside the
// store that are missing or different, and says so; one whose files are
// there, untouched, writes nothing.
func TestCacheHitRestoresFilesWrittenOutsideTheStore(t *testing.T) {
	f := newFixture(t, exportPipeline)
	file := filepath.Join(f.dir, "exported", "sub", "corpus.txt")
	f.applyEvents()
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, note string, restored []Event) {
		t.Helper()
		switch {
		case note == "" && len(restored) > 0:
			t.Errorf("%s: restored %+v", what, restored)
		case note != "" && (len(restored) != 1 || restored[0].Step != "export.out" || restored[0].Note != note || restored[0].File != "exported/sub/corpus.txt"):
			t.Errorf("%s: restored %+v, want export.out's file, %s", what, restored, note)
		}
		if got, err := os.ReadFile(file); err != nil || string(got) != string(want) {
			t.Errorf("%s: the file holds %q (%v)", what, got, err)
		}
		if n := f.counter.Get("export"); n != 1 {
			t.Errorf("%s: export ran %d times; it is cached", what, n)
		}
	}
	check("untouched", "", f.applyEvents())
	os.RemoveAll(filepath.Join(f.dir, "exported"))
	check("deleted", "missing", f.applyEvents())
	os.WriteFile(file, []byte("edited by hand\n"), 0o644)
	check("edited", "different", f.applyEvents())
	check("restored before", "", f.applyEvents())
}

// Another machine sharing the store takes the step from the cache and
// gets the file in its own copy of the pipeline.
func TestCacheHitOnAnotherMachineWritesTheFile(t *testing.T) {
	ci := newFixture(t, exportPipeline)
	ci.applyEvents()
	laptop := newFixture(t, exportPipeline)
	s, err := store.Open(context.Background(), "file://"+filepath.ToSlash(filepath.Join(ci.dir, ".pipe", "store")), laptop.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	laptop.store = s
	restored := laptop.applyEvents()
	if laptop.counter.Total() != 0 {
		t.Errorf("the laptop ran steps: %d", laptop.counter.Total())
	}
	if len(restored) != 1 || restored[0].Note != "missing" {
		t.Errorf("restored %+v", restored)
	}
	a, _ := os.ReadFile(filepath.Join(ci.dir, "exported", "sub", "corpus.txt"))
	b, err := os.ReadFile(filepath.Join(laptop.dir, "exported", "sub", "corpus.txt"))
	if err != nil || string(a) != string(b) {
		t.Errorf("the laptop's file: %q (%v), ci's %q", b, err, a)
	}
}
