package index

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Snapshot writes a copy of the index to the new file dst (VACUUM INTO):
// one consistent state, compact, without what is only this machine's
// (when it last synced, an import in progress). It returns the state the
// copy holds. The copy is what a checkpoint of the log keeps.
func (db *DB) Snapshot(ctx context.Context, dst string) (State, error) {
	var st State
	if _, err := os.Stat(dst); err == nil {
		return st, fmt.Errorf("index: snapshot: %s exists", dst)
	}
	if _, err := db.sql.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return st, db.wrap(err)
	}
	snap, err := sql.Open("sqlite", dsn(dst, DefaultBusyTimeout, false))
	if err != nil {
		return st, fmt.Errorf("index: snapshot: %w", err)
	}
	defer snap.Close()
	if _, err := snap.ExecContext(ctx, `UPDATE log_state SET synced_at = NULL, import_id = NULL WHERE id = 1`); err != nil {
		return st, fmt.Errorf("index: snapshot: %w", err)
	}
	st, err = ReadState(ctx, snap)
	if err != nil {
		return st, fmt.Errorf("index: snapshot: %w", err)
	}
	return st, snap.Close()
}

// SchemaVersionOf returns the schema version of the index file at path
// without migrating it.
func SchemaVersionOf(ctx context.Context, path string) (int, error) {
	f, err := sql.Open("sqlite", dsn(path, DefaultBusyTimeout, true))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return appliedVersion(ctx, f)
}

// ReplaceFrom replaces everything the index holds with what the index
// file at src holds, in one transaction: readers, in this process or
// another, see the old rows or the new ones. Both files must have this
// pipe's schema. The file stays the same file, so every process that has
// it open goes on with it.
func (db *DB) ReplaceFrom(ctx context.Context, src string) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return db.wrap(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS src`, dsnPath(src)); err != nil {
		return db.wrap(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE src`)
	tables, err := tablesOf(ctx, conn)
	if err != nil {
		return db.wrap(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap(err)
	}
	defer tx.Rollback()
	stmts := []string{`PRAGMA defer_foreign_keys = ON`, `DROP TRIGGER IF EXISTS alias_history_no_delete`}
	for _, t := range tables {
		stmts = append(stmts, `DELETE FROM main."`+t.name+`"`)
	}
	for _, t := range tables {
		stmts = append(stmts, `INSERT INTO main."`+t.name+`" (`+t.columns+`) SELECT `+t.columns+` FROM src."`+t.name+`"`)
	}
	stmts = append(stmts, `CREATE TRIGGER alias_history_no_delete BEFORE DELETE ON alias_history
BEGIN
    SELECT RAISE(ABORT, 'alias_history is append-only');
END`)
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return db.wrap(fmt.Errorf("replacing the index with %s: %w", src, err))
		}
	}
	return db.wrap(tx.Commit())
}

type tableColumns struct {
	name    string
	columns string // quoted and comma-separated
}

// tablesOf lists the tables of the main database but schema_migrations,
// with their columns.
func tablesOf(ctx context.Context, conn *sql.Conn) ([]tableColumns, error) {
	rows, err := conn.QueryContext(ctx, `SELECT m.name, group_concat('"' || p.name || '"', ', ')
		FROM main.sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != 'schema_migrations'
		GROUP BY m.name ORDER BY m.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tableColumns
	for rows.Next() {
		var t tableColumns
		if err := rows.Scan(&t.name, &t.columns); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// dsnPath is a file: URI for ATTACH.
func dsnPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.ToSlash(abs))
}
