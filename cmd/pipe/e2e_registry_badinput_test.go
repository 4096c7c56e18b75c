//go:build unix

package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
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

// mountTmpfs mounts a tmpfs of size bytes at a new folder and unmounts it
// when the test ends. It skips the test where mounting is not allowed
// (not root, or no CAP_SYS_ADMIN): CI runs as root.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// remount remounts the tmpfs at dir with opts (ro, rw).
func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, opts, err, out)
	}
}

// TestStateFolderReadOnlyOrFull: a state folder on a real file system
// made read-only, then filled up: apply and runs name the folder, say
// what is wrong with it and what to do (-state-dir, PIPE_STATE_DIR), and
// once there is room again the next apply runs and no run is left
// running.
func TestStateFolderReadOnlyOrFull(t *testing.T) {
	disk := mountTmpfs(t, 8<<20)
	state := filepath.Join(disk, "state")
	dir := newCrashPipeline(t)
	env := childEnv(t, "PIPE_STATE_DIR="+state)
	pipe(t, dir, env, "apply", "-no-color").expect(t, 0)

	check := func(what string, wants map[string][]string) {
		t.Helper()
		for _, cmd := range []string{"apply", "runs"} {
			r := pipe(t, dir, env, cmd)
			if r.code == 0 {
				t.Errorf("%s: pipe %s succeeded:\n%s", what, cmd, r.stdout)
				continue
			}
			for _, want := range wants[cmd] {
				if !strings.Contains(oneLine(r.stderr), want) {
					t.Errorf("%s: pipe %s does not say %q:\n%s", what, cmd, want, r.stderr)
				}
			}
		}
	}
	remount(t, disk, "ro")
	check("read-only", map[string][]string{
		"apply": {"the state folder " + state + " cannot be written (read-only file system)", "-state-dir (or PIPE_STATE_DIR)"},
		"runs":  {"cannot open " + filepath.Join(state, "registry.db"), "its folder cannot be written (read-only file system)", "PIPE_STATE_DIR"},
	})
	remount(t, disk, "rw")

	filler := filepath.Join(disk, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break // the disk is full
		}
	}
	f.Close()
	check("full", map[string][]string{
		"apply": {"the state folder " + state + " is on a full disk", "Free space there", "PIPE_STATE_DIR"},
		"runs":  {"cannot write " + filepath.Join(state, "registry.db"), "is full", "Free space there"},
	})
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	r := pipe(t, dir, env, "runs", "-json").expect(t, 0)
	var doc struct{ Runs []registry.Run }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, run := range doc.Runs {
		if run.Status == registry.RunRunning {
			t.Errorf("run %d is left running: %+v", run.ID, run)
		}
	}
}

// TestMissingBucket: a gs:// store whose bucket does not exist is found
// before any step runs, named, with what to do (it was found when load's
// first write failed, titled "Artifact missing").
func TestMissingBucket(t *testing.T) {
	srv := gcstest.Start(t)
	store := "gs://no-such-bucket/team"
	env := childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host, "PIPE_STORE="+store)
	dir := newCrashPipeline(t)
	r := pipe(t, dir, env, "apply", "-no-color").expect(t, 1)
	for _, want := range []string{"store: bucket no-such-bucket does not exist", "(store " + store + ")", "point -store, PIPE_STORE or settings.store at a bucket that exists"} {
		if !strings.Contains(oneLine(r.stderr), want) {
			t.Errorf("apply does not say %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, ": running") || strings.Contains(r.stderr, "Artifact missing") {
		t.Errorf("apply ran steps against a bucket that does not exist:\n%s\n%s", r.stdout, r.stderr)
	}
}
