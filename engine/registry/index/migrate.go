package index

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered file under migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. Their numbers must
// run 1, 2, 3, ... without gaps; a test checks it.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("index: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("index: migration file %s is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFS.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("index: read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("index: migration numbers must run 1, 2, 3, ...; found %04d at position %d", m.version, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the number of the newest migration this pipe knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)`

// appliedVersion returns the newest migration recorded in the file, 0 for
// an empty file.
func appliedVersion(ctx context.Context, q Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// migrate brings the file up to the newest schema, or checks that it is
// there when the registry is read-only.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	known := len(ms)
	newer := func(v int) error {
		return fmt.Errorf("index: %s has schema version %d but this pipe knows versions up to %d: it was written by a newer pipe; upgrade pipe (an index of a store's log may also be deleted: pipe rebuilds it from the store)", db.path, v, known)
	}

	// Most opens find the schema current: check without taking the write
	// lock.
	v, err := appliedVersion(ctx, db.sql)
	if err != nil {
		return db.wrapOpen(err)
	}
	switch {
	case v > known:
		return newer(v)
	case v == known:
		return nil
	case db.readOnly && v == 0:
		return fmt.Errorf("index: %s is not a pipe registry (it has no schema_migrations table)", db.path)
	case db.readOnly:
		return fmt.Errorf("index: %s has schema version %d and this pipe needs %d; open it once with a command that writes (pipe apply) to migrate it", db.path, v, known)
	}

	// Two processes may open a new file at once: take the write lock, then
	// look again.
	return db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, createMigrationsTable); err != nil {
			return err
		}
		v, err := appliedVersion(ctx, tx)
		if err != nil {
			return err
		}
		if v > known {
			return newer(v)
		}
		for _, m := range ms[v:] {
			if _, err := tx.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("index: apply migration %04d_%s to %s: %w", m.version, m.name, db.path, err)
			}
			if _, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, FormatTime(time.Now())); err != nil {
				return err
			}
		}
		return nil
	})
}
