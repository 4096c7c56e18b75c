//go:build unix

package main

import (
	"database/sql"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
)

// TestRegistryAnswersWhileTheStoreIsDown: with the GCS emulator stopped,
// the commands that read the registry answer from the local index, say
// that it may be stale and why; once the store is back they bring it up
// to date again, without a warning.
func TestRegistryAnswersWhileTheStoreIsDown(t *testing.T) {
	srv := gcstest.Start(t)
	env := childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host, "PIPE_STORE="+srv.URL()+"/team")
	ci, laptop := newCrashPipeline(t), newCrashPipeline(t)
	pipe(t, ci, env, "apply", "-no-color").expect(t, 0)
	if runs := runsOf(t, laptop, env); len(runs) != 1 {
		t.Fatalf("the laptop sees %d runs, want CI's one", len(runs))
	}
	pipe(t, ci, env, "apply", "-no-color").expect(t, 0)

	srv.Stop()
	for _, args := range [][]string{{"runs", "-json"}, {"models", "show", "crash"}, {"lineage", "crash@champion"}} {
		r := pipe(t, laptop, env, args...).expect(t, 0)
		msg := oneLine(r.stderr)
		for _, want := range []string{"Registry not up to date", srv.URL() + "/team", "may be stale"} {
			if !strings.Contains(msg, want) {
				t.Errorf("pipe %s with the store down does not say %q:\n%s", strings.Join(args, " "), want, r.stderr)
			}
		}
		if r.stdout == "" {
			t.Errorf("pipe %s with the store down answers nothing", strings.Join(args, " "))
		}
	}
	r := pipe(t, laptop, env, "runs", "-json").expect(t, 0)
	var doc struct{ Runs []registry.Run }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Runs) != 1 {
		t.Errorf("with the store down the laptop answers %v %+v, want the one run it had indexed", err, doc.Runs)
	}
	r = pipe(t, laptop, env, "registry", "status", "-json").expect(t, 0)
	var st struct {
		Stale bool
		Entry int64
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || !st.Stale || st.Entry == 0 {
		t.Errorf("registry status with the store down: %v %s", err, r.stdout)
	}

	srv.Restart()
	r = pipe(t, laptop, env, "runs", "-json").expect(t, 0)
	if strings.Contains(r.stderr, "Registry not up to date") {
		t.Errorf("with the store back, pipe runs still warns:\n%s", r.stderr)
	}
	if runs := runsOf(t, laptop, env); len(runs) != 2 {
		t.Errorf("with the store back, the laptop sees %d runs, want 2", len(runs))
	}
}

// TestRegistryFileOfANewerPipe: a registry.db whose schema is newer than
// this pipe's is refused by every command that opens it, with a message
// that names the file and says what to do; the log in the store gains
// nothing; deleted, the file is made again from the log and answers as
// before.
func TestRegistryFileOfANewerPipe(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "store")
	env := childEnv(t, "PIPE_STORE=file://"+filepath.ToSlash(storeDir))
	dir := newCrashPipeline(t)
	pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	before := registryAnswers(t, dir, env, "crash")
	entries := logEntries(t, storeDir)

	path := filepath.Join(dir, ".pipe", "registry.db")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')`, registry.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"runs"}, {"models", "show", "crash"}, {"lineage", "crash@champion"}, {"apply", "-no-color"}} {
		r := pipe(t, dir, env, args...)
		if r.code == 0 {
			t.Errorf("pipe %s read a registry of a newer pipe:\n%s", strings.Join(args, " "), r.stdout)
			continue
		}
		msg := oneLine(r.stderr)
		for _, want := range []string{path, "newer pipe", "upgrade pipe", "deleted"} {
			if !strings.Contains(msg, want) {
				t.Errorf("pipe %s does not say %q:\n%s", strings.Join(args, " "), want, r.stderr)
			}
		}
	}
	if got := logEntries(t, storeDir); !slices.Equal(got, entries) {
		t.Errorf("the log went from %v to %v while the registry file was refused", entries, got)
	}
	removeIndex(path)
	if after := registryAnswers(t, dir, env, "crash"); after != before {
		t.Errorf("the registry made again answers otherwise:\n%s", firstLineDiff(after, before))
	}
}

// logEntries lists the entries of the registry's log in a file:// store.
func logEntries(t *testing.T, storeDir string) []string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(storeDir, "registry", "log"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// TestRegistryFileDamaged: a registry.db cut short, overwritten in the
// middle or not SQLite at all is refused by every command that opens it,
// with a message that names the file, says it is damaged, once, and says
// what to do; pipe registry rebuild keeps it as registry.db.damaged and
// makes the index again, which answers as before. An empty file is a new
// index: it is made again from the log, with no message.
func TestRegistryFileDamaged(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "store")
	env := childEnv(t, "PIPE_STORE=file://"+filepath.ToSlash(storeDir))
	dir := newCrashPipeline(t)
	pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	before := registryAnswers(t, dir, env, "crash")
	path := filepath.Join(dir, ".pipe", "registry.db")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20, 7))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	damaged := map[string][]byte{
		"garbage":     noise(3000),
		"cut short":   good[:len(good)/3],
		"overwritten": append(append(slices.Clone(good[:8192]), noise(8192)...), good[16384:]...),
	}
	for _, name := range slices.Sorted(maps.Keys(damaged)) {
		t.Run(name, func(t *testing.T) {
			removeIndex(path)
			if err := os.WriteFile(path, damaged[name], 0o644); err != nil {
				t.Fatal(err)
			}
			// SQLite finds damage in the pages it reads: every command
			// reads the runs.
			for _, args := range [][]string{{"runs"}, {"apply", "-no-color"}} {
				r := pipe(t, dir, env, args...)
				msg := oneLine(r.stderr)
				if r.code == 0 {
					t.Errorf("pipe %s read a damaged registry file:\n%s", strings.Join(args, " "), r.stdout)
					continue
				}
				for _, want := range []string{path + " is damaged", "nothing is lost", "pipe registry rebuild", "registry.db.damaged"} {
					if !strings.Contains(msg, want) {
						t.Errorf("pipe %s does not say %q:\n%s", strings.Join(args, " "), want, r.stderr)
					}
				}
				if strings.Count(msg, path) != 1 || strings.Contains(msg, "registry: registry") || strings.Contains(msg, "index:") {
					t.Errorf("pipe %s names the file more than once or shows an inner prefix:\n%s", strings.Join(args, " "), r.stderr)
				}
			}
			pipe(t, dir, env, "registry", "rebuild").expect(t, 0)
			if _, err := os.Stat(path + ".damaged"); err != nil {
				t.Errorf("rebuild did not keep the damaged file as registry.db.damaged: %v", err)
			}
			if after := registryAnswers(t, dir, env, "crash"); after != before {
				t.Errorf("the rebuilt registry answers otherwise:\n%s", firstLineDiff(after, before))
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		removeIndex(path)
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if after := registryAnswers(t, dir, env, "crash"); after != before {
			t.Errorf("an empty registry file made again answers otherwise:\n%s", firstLineDiff(after, before))
		}
	})
}
