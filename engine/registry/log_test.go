package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/txlog"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/engine/store/s3test"
)

// sharedStore is a folder that several machines use as their store; each
// opens it with its own Store, as separate processes would.
type sharedStore struct {
	t   *testing.T
	url string
}

func newSharedStore(t *testing.T) *sharedStore {
	return &sharedStore{t: t, url: "file://" + filepath.ToSlash(t.TempDir())}
}

func (s *sharedStore) open() *store.Store {
	s.t.Helper()
	st, err := store.Open(context.Background(), s.url, "")
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { st.Close() })
	return st
}

// machine opens a registry file of its own over the shared store.
func (s *sharedStore) machine(path string, opts *Options) *DB {
	s.t.Helper()
	o := Options{Now: fixedClock()}
	if opts != nil {
		o = *opts
	}
	o.Store = s.open()
	db, err := Open(context.Background(), path, &o)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { db.Close() })
	return db
}

// answers returns what every query of the registry answers, as JSON, so
// that two registries can be compared whole.
func answers(t *testing.T, db *DB) string {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	runs, err := db.Runs(ctx, RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out["runs"] = runs
	for _, r := range runs {
		d, err := db.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("run %d", r.ID)] = d
	}
	ms, err := db.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out["models"] = ms
	for _, m := range ms {
		d, err := db.Model(ctx, m.Name)
		if err != nil {
			t.Fatal(err)
		}
		h, err := db.AliasHistory(ctx, m.Name, "")
		if err != nil {
			t.Fatal(err)
		}
		out["model "+m.Name], out["history "+m.Name] = d, h
		for _, v := range d.Versions {
			g, err := db.Upstream(ctx, v.String(), nil)
			if err != nil {
				t.Fatal(err)
			}
			out["upstream "+v.String()] = g
		}
	}
	for _, path := range []string{"data/corpus.csv", "data/new.csv"} {
		if g, err := db.Downstream(ctx, path, nil); err == nil {
			out["downstream "+path] = g
		}
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameAnswers(t *testing.T, what string, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: the registries answer differently:\n%s", what, firstDiff(got, want))
	}
}

// firstDiff shows where two texts part.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, lb[i], la[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(la), len(lb))
}

// A history recorded on one machine is the history of every machine that
// shares the store: same runs, same numbers, same lineage.
func TestTwoMachinesShareOneHistory(t *testing.T) {
	s := newSharedStore(t)
	ci := s.machine(filepath.Join(t.TempDir(), "ci", "registry.db"), nil)
	h := recordHistory(t, ci)
	laptop := s.machine(filepath.Join(t.TempDir(), "laptop", "registry.db"), nil)
	sameAnswers(t, "laptop after ci", answers(t, laptop), answers(t, ci))

	// The laptop records a run; ci sees it after a sync, under the same ID.
	ctx := context.Background()
	id, err := laptop.BeginRun(ctx, Run{Pipeline: "privacy-intent", Trigger: TriggerManual, PipeVersion: "0.1.0", Host: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if id != h.run3+1 {
		t.Errorf("the laptop's run is %d, want %d", id, h.run3+1)
	}
	st, err := ci.Sync(ctx)
	if err != nil || st.Applied != 1 || st.Stale() {
		t.Fatalf("ci's sync: %+v %v", st, err)
	}
	r, err := ci.Run(ctx, id)
	if err != nil || r.Host != "laptop" {
		t.Fatalf("ci sees run %d as %+v (%v)", id, r, err)
	}
	sameAnswers(t, "ci after the laptop's run", answers(t, ci), answers(t, laptop))
	// An index that is up to date reads nothing but the end of the log.
	if st, err := ci.Sync(ctx); err != nil || st.Applied != 0 {
		t.Errorf("second sync: %+v %v", st, err)
	}
}

// Deleting the file loses nothing: the next open rebuilds it from the log,
// from a checkpoint and the entries after it.
func TestDeletedIndexIsRebuilt(t *testing.T) {
	s := newSharedStore(t)
	path := filepath.Join(t.TempDir(), "registry.db")
	db := s.machine(path, &Options{Now: fixedClock(), CheckpointEvery: 7})
	recordHistory(t, db)
	want := answers(t, db)
	entries := db.Status().Entry
	db.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	again := s.machine(path, nil)
	sameAnswers(t, "rebuilt", answers(t, again), want)
	st := again.Status()
	if st.Stale() || st.Entry != entries {
		t.Errorf("rebuilt index: %+v, want entry %d", st, entries)
	}
	if st.Applied >= 7 {
		t.Errorf("the rebuild applied %d entries: it did not start from a checkpoint", st.Applied)
	}
	if err := again.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameAnswers(t, "rebuilt on purpose", answers(t, again), want)
}

// A registry from before the log is imported into an empty log exactly:
// every answer, every ID, the same; the old file is kept.
func TestRegistryFromBeforeTheLogIsImported(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "registry.db")
	own := openAt(t, path)
	recordHistory(t, own)
	want := answers(t, own)
	own.Close()

	s := newSharedStore(t)
	db := s.machine(path, nil)
	sameAnswers(t, "imported", answers(t, db), want)
	if _, err := os.Stat(path + ".pre-log"); err != nil {
		t.Errorf("the file from before the log was not kept: %v", err)
	}
	entries := db.Status().Entry
	db.Close()
	// Importing again (an import begun again after a crash) adds nothing.
	if err := copyFile(path+".pre-log", path); err != nil {
		t.Fatal(err)
	}
	again := s.machine(path, nil)
	sameAnswers(t, "imported twice", answers(t, again), want)
	if got := again.Status().Entry; got != entries {
		t.Errorf("the second import wrote %d entries", got-entries)
	}
	// Another machine sees the imported history.
	other := s.machine(filepath.Join(dir, "other.db"), nil)
	sameAnswers(t, "another machine", answers(t, other), want)
}

// A registry from before the log is never lost: read-only, it answers
// as it stands and its status says the next apply imports it; `pipe
// registry rebuild` imports it first, then rebuilds.
func TestRebuildOfARegistryFromBeforeTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "registry.db")
	own := openAt(t, path)
	recordHistory(t, own)
	want := answers(t, own)
	own.Close()

	s := newSharedStore(t)
	ro, err := Open(ctx, path, &Options{Store: s.open(), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	sameAnswers(t, "read-only", answers(t, ro), want)
	if st := ro.Status(); !st.Stale() || !strings.Contains(st.String(), "the next pipe apply imports them") {
		t.Errorf("status of a registry from before the log, read-only:\n%s", st)
	}
	ro.Close()

	st, err := Rebuild(ctx, path, s.open(), &RebuildOptions{FromScratch: true})
	if err != nil || st.Stale() || st.Entry == 0 {
		t.Fatalf("rebuild: %+v %v", st, err)
	}
	if _, err := os.Stat(path + ".pre-log"); err != nil {
		t.Errorf("the file from before the log was not kept: %v", err)
	}
	db := s.machine(path, nil)
	sameAnswers(t, "rebuilt", answers(t, db), want)
	other := s.machine(filepath.Join(t.TempDir(), "other.db"), nil)
	sameAnswers(t, "another machine", answers(t, other), want)
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(to + suffix)
	}
	return os.WriteFile(to, b, 0o644)
}

// sharedStores start, for each kind of store, one that several machines
// share: a local folder, the GCS emulator and a real S3 server.
var sharedStores = []struct {
	name  string
	start func(t *testing.T) *sharedStore
}{
	{"file", newSharedStore},
	{"gcs", func(t *testing.T) *sharedStore {
		return &sharedStore{t: t, url: gcstest.Start(t).URL() + "/team"}
	}},
	{"s3", func(t *testing.T) *sharedStore {
		return &sharedStore{t: t, url: s3test.Start(t).URL("team")}
	}},
}

// Machines publishing versions of one model at once get each a number of
// its own, and agree on which is which; then every machine moves the
// champion by hand at once: each move either lands or fails naming the
// one that beat it, and every machine agrees on one history in which each
// move starts where the one before it ended. On every kind of store.
func TestConcurrentVersionsGetDistinctNumbers(t *testing.T) {
	for _, b := range sharedStores {
		t.Run(b.name, func(t *testing.T) {
			s := b.start(t)
			const machines, each = 5, 4
			dbs := make([]*DB, machines)
			for i := range dbs {
				dbs[i] = s.machine(filepath.Join(t.TempDir(), "registry.db"), nil)
			}
			publishAtOnce(t, dbs, each)
			checkVersionsAgree(t, dbs, machines*each)
			promoteAtOnce(t, dbs)
		})
	}
}

// publishAtOnce has every machine reserve and create each versions of
// the model "shared", all machines at once.
func publishAtOnce(t *testing.T, dbs []*DB, each int) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*each)
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				d := sha(fmt.Sprintf("model %d/%d", i, j))
				run := recordModels(t, db, d)
				v, _, err := db.ReserveVersion(ctx, "shared", d, run, 0)
				if err != nil {
					errs <- err
					return
				}
				got, created, err := db.CreateModelVersion(ctx, ModelVersion{Model: "shared", ModelDigest: d, URI: "gs://m/v{version}/", RunID: run})
				if err != nil || !created || got != v {
					errs <- fmt.Errorf("machine %d: reserved %d, created %d (%v, %v)", i, v, got, created, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// checkVersionsAgree checks that every machine sees n versions, numbered
// 1 to n, each of another digest, and the same ones.
func checkVersionsAgree(t *testing.T, dbs []*DB, n int) {
	t.Helper()
	ctx := context.Background()
	var want string
	for i, db := range dbs {
		if _, err := db.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		d, err := db.Model(ctx, "shared")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for k, v := range d.Versions {
			if v.Version != k+1 || seen[v.ModelDigest] || v.URI != fmt.Sprintf("gs://m/v%d/", v.Version) {
				t.Errorf("machine %d: version %d of %d is %+v", i, k+1, len(d.Versions), v)
			}
			seen[v.ModelDigest] = true
		}
		if len(d.Versions) != n {
			t.Errorf("machine %d sees %d versions", i, len(d.Versions))
		}
		b, _ := json.Marshal(d)
		if i == 0 {
			want = string(b)
		} else if string(b) != want {
			t.Errorf("machine %d disagrees about the versions", i)
		}
	}
}

// promoteAtOnce has every machine move the champion by hand to a version
// of its own at once, and checks the invariants after: the moves that
// failed name the move that beat them, one history on every machine,
// each move from where the one before ended, ending where the alias
// points.
func promoteAtOnce(t *testing.T, dbs []*DB) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	landed := make([]bool, len(dbs))
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			moved, err := db.SetAlias(ctx, "shared", "champion", i+1, Reason{Note: fmt.Sprintf("machine %d", i)})
			switch {
			case err == nil:
				landed[i] = moved
			case !strings.Contains(err.Error(), "was moved to version") || !strings.Contains(err.Error(), "nothing was changed"):
				t.Errorf("machine %d's promote failed without naming the move that beat it: %v", i, err)
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, ok := range landed {
		if ok {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no promote landed")
	}
	var want string
	for i, db := range dbs {
		if _, err := db.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		h, err := db.AliasHistory(ctx, "shared", "champion")
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != n {
			t.Errorf("machine %d: %d moves in the history, %d promotes said they moved it", i, len(h), n)
		}
		at := 0
		for k, m := range h {
			if m.From != at || m.To < 1 || m.To > len(landed) || !landed[m.To-1] {
				t.Errorf("machine %d: move %d is %+v, want one from %d to a version whose promote landed", i, k+1, m, at)
			}
			at = m.To
		}
		if v, err := db.ResolveModel(ctx, "shared@champion"); err != nil || v.Version != at {
			t.Errorf("machine %d: champion is %+v (%v), the history ends at %d", i, v, err, at)
		}
		b, _ := json.Marshal(h)
		if i == 0 {
			want = string(b)
		} else if string(b) != want {
			t.Errorf("machine %d disagrees about the history", i)
		}
	}
}

// A promote whose alias another machine moved while it was recorded
// fails, and says who moved it; a publish's promote_if decides again.
func TestAliasMovedUnderAPromote(t *testing.T) {
	s := newSharedStore(t)
	ctx := context.Background()
	a := s.machine(filepath.Join(t.TempDir(), "a.db"), nil)
	b := s.machine(filepath.Join(t.TempDir(), "b.db"), nil)
	m1, m2, m3 := sha("m1"), sha("m2"), sha("m3")
	run := recordModels(t, a, m1, m2, m3)
	for _, d := range []string{m1, m2, m3} {
		if _, _, err := a.CreateModelVersion(ctx, ModelVersion{Model: "m", ModelDigest: d, Metrics: map[string]float64{"f1": 0.5}, EvalDataDigest: sha("eval")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.SetAlias(ctx, "m", "champion", 1, Reason{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// b's first attempt sees champion at 1; before it lands, a publish in
	// a's run moves champion to 2.
	moved := false
	testHookBeforeAppend = func(db *DB) {
		if db == b && !moved {
			moved = true
			if _, err := a.SetAlias(ctx, "m", "champion", 2, Reason{Trigger: MoveByPublish, RunID: run}); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { testHookBeforeAppend = nil }()
	_, err := b.SetAlias(ctx, "m", "champion", 3, Reason{Note: "by hand"})
	if err == nil {
		t.Fatal("the promote went through on top of a move it did not see")
	}
	for _, want := range []string{"m@champion was moved to version 2 by publish in run 1", "pointed at version 1 before", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if v, _ := b.ResolveModel(ctx, "m@champion"); v == nil || v.Version != 2 {
		t.Errorf("champion is %+v, want 2", v)
	}
}

// A log entry edited in the store is refused as corrupt, named, and
// nothing from it on is indexed; the index answers as it stood.
func TestEditedEntryIsRefused(t *testing.T) {
	s := newSharedStore(t)
	ctx := context.Background()
	ci := s.machine(filepath.Join(t.TempDir(), "ci.db"), nil)
	recordHistory(t, ci)
	n := ci.Status().Entry
	st := s.open()
	key := txlog.EntryKey(n - 2)
	b, err := st.GetBlob(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(strings.TrimPrefix(s.url, "file://"), filepath.FromSlash(key))
	if err := os.WriteFile(path, bytes.Replace(b, []byte(`"privacy-intent"`), []byte(`"privacy-extent"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	laptop := s.machine(filepath.Join(t.TempDir(), "laptop.db"), nil)
	status := laptop.Status()
	if !status.Stale() || !errors.Is(status.Err, txlog.ErrCorrupt) || status.Entry != n-3 {
		t.Fatalf("status after a corrupt entry: %+v", status)
	}
	for _, want := range []string{key, "corrupt", "does not match its checksum", "nothing from it on is indexed"} {
		if !strings.Contains(status.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	if _, err := laptop.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerManual}); err == nil {
		t.Error("a run was recorded on top of a damaged log")
	}
	runs, err := laptop.Runs(ctx, RunFilter{})
	if err != nil || len(runs) == 0 {
		t.Errorf("the stale index does not answer: %v %v", runs, err)
	}
}

// An entry of a newer format stops the sync with a message that says to
// upgrade; what came before it is indexed.
func TestEntryOfANewerFormat(t *testing.T) {
	s := newSharedStore(t)
	ctx := context.Background()
	ci := s.machine(filepath.Join(t.TempDir(), "ci.db"), nil)
	recordModels(t, ci, sha("m"))
	n := ci.Status().Entry
	st := s.open()
	prev, _ := st.GetBlob(ctx, txlog.EntryKey(n))
	var env struct {
		SHA256 string `json:"sha256"`
	}
	json.Unmarshal(prev, &env)
	data := fmt.Sprintf(`{"n":%d,"prev":%q,"facts":[{"run_paused":{}}]}`, n+1, env.SHA256)
	future := fmt.Sprintf(`{"format":"pipe.registry.log/v2","sha256":"x","size":%d,"data":%s}`, len(data), data)
	if err := st.CreateBlob(ctx, txlog.EntryKey(n+1), []byte(future)); err != nil {
		t.Fatal(err)
	}
	laptop := s.machine(filepath.Join(t.TempDir(), "laptop.db"), nil)
	status := laptop.Status()
	if !errors.Is(status.Err, txlog.ErrNewerFormat) || status.Entry != n || !strings.Contains(status.String(), "Upgrade pipe") {
		t.Errorf("status: %+v\n%s", status, status)
	}
}

// A file that indexes one store's log is not silently mixed with
// another's.
func TestIndexOfAnotherLog(t *testing.T) {
	a, b := newSharedStore(t), newSharedStore(t)
	path := filepath.Join(t.TempDir(), "registry.db")
	db := a.machine(path, nil)
	recordModels(t, db, sha("a"))
	db.Close()
	other := b.machine(filepath.Join(t.TempDir(), "b.db"), nil)
	recordModels(t, other, sha("b"))
	_, err := Open(context.Background(), path, &Options{Store: b.open()})
	if err == nil || !strings.Contains(err.Error(), "has a log of its own") || !strings.Contains(err.Error(), "pipe registry rebuild") {
		t.Fatalf("opening an index of one log with another store: %v", err)
	}
}

// Without a store given, a file opens the store it keeps its log in.
func TestFileRemembersItsStore(t *testing.T) {
	s := newSharedStore(t)
	path := filepath.Join(t.TempDir(), "registry.db")
	db := s.machine(path, nil)
	db.Close()
	laptop := s.machine(filepath.Join(t.TempDir(), "laptop.db"), nil)
	recordModels(t, laptop, sha("x"))
	again, err := Open(context.Background(), path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if st := again.Status(); st.Stale() || st.Applied == 0 || st.Store != s.url {
		t.Errorf("status: %+v", st)
	}
	if _, err := again.BeginRun(context.Background(), Run{Pipeline: "p", Trigger: TriggerManual}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a read-only registry recorded a run: %v", err)
	}
}

// A machine whose clock is a year behind records runs and alias moves
// in the log's order all the same: order is the entries', never a clock's.
func TestWrongClockDoesNotReorder(t *testing.T) {
	s := newSharedStore(t)
	ctx := context.Background()
	right := s.machine(filepath.Join(t.TempDir(), "right.db"), nil)
	behind := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	late := s.machine(filepath.Join(t.TempDir(), "late.db"), &Options{Now: func() time.Time { behind = behind.Add(time.Second); return behind }})
	m1, m2 := sha("m1"), sha("m2")
	run := recordModels(t, right, m1, m2)
	for _, d := range []string{m1, m2} {
		if _, _, err := right.CreateModelVersion(ctx, ModelVersion{Model: "m", ModelDigest: d}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := right.SetAlias(ctx, "m", "champion", 1, Reason{RunID: run}); err != nil {
		t.Fatal(err)
	}
	// The late machine moves the alias after, with a clock a year behind.
	if _, err := late.SetAlias(ctx, "m", "champion", 2, Reason{Note: "late clock"}); err != nil {
		t.Fatal(err)
	}
	lateRun, err := late.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := right.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, db := range []*DB{right, late} {
		v, err := db.ResolveModel(ctx, "m@champion")
		if err != nil || v.Version != 2 {
			t.Errorf("champion is %+v (%v): the later move, made with an earlier clock, must win", v, err)
		}
		h, _ := db.AliasHistory(ctx, "m", "champion")
		if len(h) != 2 || h[1].To != 2 || !h[1].At.Before(h[0].At) {
			t.Errorf("history %+v: the late move comes second, though its time is earlier", h)
		}
		runs, _ := db.Runs(ctx, RunFilter{})
		if len(runs) != 2 || runs[0].ID != lateRun || !runs[0].Started.Before(runs[1].Started) {
			t.Errorf("runs %+v: the late run is the newest, though it started earlier by its clock", runs)
		}
	}
}

// A store that lets a second put-if-absent write through (a gateway that
// drops the precondition, in front of the real GCS API) cannot keep the
// log: opening a registry on it says so and which stores can.
func TestStoreThatIgnoresConditionalWrites(t *testing.T) {
	srv := gcstest.Start(t)
	srv.DropPreconditions(t)
	st, err := store.Open(context.Background(), srv.URL()+"/ignores", "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = Open(context.Background(), filepath.Join(t.TempDir(), "registry.db"), &Options{Store: st})
	if !errors.Is(err, store.ErrNoConditionalWrites) {
		t.Fatalf("opening a registry on a store that ignores conditional writes: %v", err)
	}
	for _, want := range []string{"cannot keep the registry's log", "gs://pipe-test/ignores", "Google Cloud Storage", "If-None-Match"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
}
