//go:build unix

package main

import (
	"database/sql"
	"encoding/json"
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
