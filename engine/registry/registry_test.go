package registry

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/index"
)

// fixedClock returns a clock that starts at a fixed time and advances one
// second per call, so that tests get stable, ordered timestamps.
func fixedClock() func() time.Time {
	t := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

func openTest(t testing.TB) *DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "sub", "registry.db"))
}

func openAt(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, &Options{Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenMigratesAndSetsPragmas(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var mode string
	if err := db.idx.SQL().QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	// Pragmas are per connection: check them on a dedicated one.
	conn, err := db.idx.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for pragma, want := range map[string]int{"foreign_keys": 1, "busy_timeout": 10000, "synchronous": 1} {
		var got int
		if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %d, want %d", pragma, got, want)
		}
	}
	var v int
	if err := db.idx.SQL().QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() || v < 1 {
		t.Errorf("applied version %d, want %d", v, SchemaVersion())
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	ctx := context.Background()
	db, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerManual, PipeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	r, err := db.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pipeline != "p" || r.Status != RunRunning {
		t.Errorf("reopened run = %+v", r.Run)
	}
	var n int
	if err := db.idx.SQL().QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != SchemaVersion() {
		t.Errorf("schema_migrations has %d rows, want %d (a reopen must not apply migrations twice)", n, SchemaVersion())
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	ctx := context.Background()
	db, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	next := SchemaVersion() + 1
	if _, err := db.idx.SQL().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')`, next); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, ro := range []bool{false, true} {
		_, err = Open(ctx, path, &Options{ReadOnly: ro})
		if err == nil {
			t.Fatalf("read-only %v: opening a registry from a newer pipe succeeded", ro)
		}
		for _, want := range []string{"registry: ", "newer pipe", "upgrade pipe"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("read-only %v: error %q does not contain %q", ro, err, want)
			}
		}
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.db")
	ctx := context.Background()
	if _, err := Open(ctx, path, &Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("read-only open of a missing file: err = %v, want 'does not exist'", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("read-only open created %s", path)
	}
	w := openAt(t, path)
	if _, err := w.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerCI, PipeVersion: "test"}); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(ctx, path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	runs, err := ro.Runs(ctx, RunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs on read-only registry = %v, %v", runs, err)
	}
	if _, err := ro.BeginRun(ctx, Run{Pipeline: "p", Trigger: TriggerCI}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("BeginRun on a read-only registry: err = %v, want read-only", err)
	}
}

func TestOpenRejectsNonRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path, nil)
	if err == nil || !strings.Contains(err.Error(), path+" is damaged") || !errors.Is(err, index.ErrDamaged) {
		t.Fatalf("err = %v, want '%s is damaged' and index.ErrDamaged", err, path)
	}
}

func TestPathWithURIMetacharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%d", "registry.db")
	db := openAt(t, path)
	if _, err := db.BeginRun(context.Background(), Run{Pipeline: "p", Trigger: TriggerManual, PipeVersion: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("registry not at the path asked for: %v", err)
	}
}

func integrityCheck(t testing.TB, db *sql.DB) {
	t.Helper()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check: %s", res)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("foreign_key_check reports violations")
	}
}
