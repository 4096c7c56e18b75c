package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
)

// DefaultBusyTimeout is how long a write waits for another process's write
// to finish before it fails.
const DefaultBusyTimeout = 10 * time.Second

// Options change how an index is opened. The zero value means the
// defaults documented on each field.
type Options struct {
	// ReadOnly opens an existing file for reading only: no migration runs
	// and every write fails. A file whose schema is older than this
	// pipe's cannot be opened read-only.
	ReadOnly bool
	// BusyTimeout is how long a statement waits for another connection's
	// lock; zero means DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// DB is an open index file. It is safe for concurrent use by many
// goroutines, and several processes may open the same file at once.
type DB struct {
	sql      *sql.DB
	path     string
	readOnly bool
	// stmts caches prepared read statements by query text: preparing a
	// lineage query costs more than running it on a small graph.
	stmts sync.Map // string -> *sql.Stmt
}

// Open opens the index at path, creating the file and its parent folders
// when missing (unless ReadOnly) and applying any migration the file
// lacks. It fails when the file was written by a newer pipe.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("index: no path given for the registry file")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	if opts.ReadOnly {
		if _, err := os.Stat(abs); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("index: %s does not exist; it is created by the first `pipe apply`: %w", path, err)
			}
			return nil, fmt.Errorf("index: %w", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("index: create folder for %s: %w", path, err)
	}
	sdb, err := sql.Open("sqlite", dsn(abs, busy, opts.ReadOnly))
	if err != nil {
		return nil, fmt.Errorf("index: open %s: %w", path, err)
	}
	// Each connection has its own page cache; a handful is plenty for a
	// CLI or a server, and writes are serialised by SQLite anyway.
	sdb.SetMaxOpenConns(4)
	sdb.SetMaxIdleConns(4)
	sdb.SetConnMaxIdleTime(time.Minute)
	db := &DB{sql: sdb, path: path, readOnly: opts.ReadOnly}
	if !opts.ReadOnly {
		if err := db.ensureWAL(ctx, busy); err != nil {
			sdb.Close()
			return nil, err
		}
	}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// ensureWAL switches the file to WAL mode, which then stays with the file.
// The switch needs an exclusive lock, and SQLite gives up on it at once,
// without the busy handler, when another process is switching a new file
// too; so it is retried here until the busy timeout.
func (db *DB) ensureWAL(ctx context.Context, busy time.Duration) error {
	deadline := time.Now().Add(busy)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var mode string
		err := db.sql.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
		if err == nil && strings.EqualFold(mode, "wal") {
			return nil
		}
		if err == nil {
			err = db.sql.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
			if err == nil && strings.EqualFold(mode, "wal") {
				return nil
			}
			if err == nil {
				return fmt.Errorf("index: %s: cannot use WAL mode (journal mode stays %q); put the registry on a local file system", db.path, mode)
			}
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return db.wrapOpen(err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("index: open %s: %w", db.path, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
}

// isConstraint reports whether err is a constraint SQLite enforced: a
// fact that contradicts what the index holds.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// dsn builds a modernc.org/sqlite data source name. The driver runs
// busy_timeout first, then the other pragmas; _txlock=immediate makes every
// read-write transaction BEGIN IMMEDIATE, so a transaction that will write
// takes the write lock up front and waits under the busy timeout instead of
// failing with SQLITE_BUSY when it upgrades from a read lock. WAL mode is
// not set here but by ensureWAL: a journal_mode pragma in the DSN runs on
// every new connection, and on a new file two processes doing so at once
// fail with SQLITE_BUSY at once, busy timeout or not.
func dsn(abs string, busy time.Duration, readOnly bool) string {
	// SQLite decodes %HH in a file: URI and stops the path at ? or #.
	p := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.ToSlash(abs))
	q := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busy.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_txlock=immediate",
	}
	if readOnly {
		q = append(q, "mode=ro")
	} else {
		q = append(q, "_pragma=synchronous(NORMAL)")
	}
	return "file:" + p + "?" + strings.Join(q, "&")
}

// Path returns the path the index was opened with.
func (db *DB) Path() string { return db.path }

// ReadOnly reports whether the index was opened read-only.
func (db *DB) ReadOnly() bool { return db.readOnly }

// SQL is the database handle, for tests and tools that query the tables
// directly.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the index.
func (db *DB) Close() error {
	db.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("index: close: %w", err)
	}
	return nil
}

// Tx is a write transaction on the index. It is also a Querier, so the
// read functions of this package and its siblings see what it wrote.
type Tx struct {
	db *DB
	tx *sql.Tx
}

// A write transaction's statements are prepared once per connection and
// kept (the statement cache): applying a log entry runs a few queries per
// fact, and preparing them each time cost more than running them.

// A statement is prepared on the pool, outside the transaction; one that
// names what the transaction itself created (a migration's tables) cannot
// be, and runs in the transaction unprepared.

func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, err := (&cachedTx{db: t.db, tx: t.tx}).stmt(ctx, query); err == nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, err := (&cachedTx{db: t.db, tx: t.tx}).stmt(ctx, query); err == nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if len(args) > 0 {
		if st, err := (&cachedTx{db: t.db, tx: t.tx}).stmt(ctx, query); err == nil {
			return st.ExecContext(ctx, args...)
		}
	}
	// SAVEPOINT, RELEASE, ROLLBACK TO: many names, cheap to prepare.
	return t.tx.ExecContext(ctx, query, args...)
}

// Write runs fn in one BEGIN IMMEDIATE transaction and commits it, or
// rolls it back when fn fails.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	if db.readOnly {
		return fmt.Errorf("index: %s is open read-only", db.path)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap(err)
	}
	defer tx.Rollback()
	if err := fn(&Tx{db: db, tx: tx}); err != nil {
		return db.wrap(err)
	}
	failpoint.Hit("registry.write.commit") // test hook: a write transaction is done but not committed
	if err := tx.Commit(); err != nil {
		return db.wrap(err)
	}
	return nil
}

// Read runs fn in one read transaction, so that the several queries it
// makes see one snapshot. The queries use prepared statements, cached.
func (db *DB) Read(ctx context.Context, fn func(q Querier) error) error {
	tx, err := db.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return db.wrap(err)
	}
	defer tx.Rollback()
	return db.wrap(fn(&cachedTx{db: db, tx: tx}))
}

// Querier is what reads need: a read transaction or a write one.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// cachedTx runs queries in a transaction through the statement cache.
type cachedTx struct {
	db *DB
	tx *sql.Tx
}

func (c *cachedTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.db.stmts.Load(query); ok {
		return c.tx.StmtContext(ctx, st.(*sql.Stmt)), nil
	}
	st, err := c.db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return c.tx.StmtContext(ctx, st), nil
}

func (c *cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		// Let the error surface from Scan, as database/sql does.
		return c.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// wrap explains the SQLite errors a user can act on. Errors that already
// carry a package prefix pass unchanged.
func (db *DB) wrap(err error) error {
	if err == nil {
		return nil
	}
	if i := strings.Index(err.Error(), ": "); i > 0 && !strings.ContainsAny(err.Error()[:i], " (") {
		return err
	}
	if e := db.explain(err); e != nil {
		return e
	}
	return fmt.Errorf("index: %w", err)
}

// explain words the SQLite errors a user can act on, naming the file;
// it returns nil for any other error.
func (db *DB) explain(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("index: %s is busy: another pipe process has held its write lock for longer than the busy timeout; try again when it is done: %w", db.path, err)
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("index: %s is read-only: %w", db.path, err)
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
		dir := filepath.Dir(db.path)
		if free, ok := freeSpace(dir); ok && free < 1<<20 {
			return fmt.Errorf("index: cannot write %s (%w): the disk that holds %s is full (%d bytes free). Free space there, or point -state-dir (or PIPE_STATE_DIR) at a folder on another disk", db.path, err, dir, free)
		}
		return fmt.Errorf("index: cannot write %s (%w): the disk that holds %s failed a write, or is full. Check it (df %s), free space there, or point -state-dir (or PIPE_STATE_DIR) at a folder on another disk", db.path, err, dir, dir)
	case sqlite3.SQLITE_CANTOPEN:
		if werr := folderWritable(filepath.Dir(db.path)); werr != nil {
			var pe *os.PathError
			if errors.As(werr, &pe) {
				werr = pe.Err // "read-only file system", "permission denied"
			}
			return fmt.Errorf("index: cannot open %s (%w): its folder cannot be written (%v), and SQLite needs to write beside the file even to read it. "+
				"Point -state-dir (or PIPE_STATE_DIR, or -registry) at a folder pipe may write, or make the folder writable", db.path, err, werr)
		}
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return &DamagedError{Path: db.path, Err: err}
	}
	return nil
}

// freeSpace returns the bytes free to this process on the file system
// that holds dir.
func freeSpace(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}

// folderWritable returns why a file cannot be made in dir, or nil.
func folderWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".pipe-write-check-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// wrapOpen explains an error met while opening the file, naming it once.
func (db *DB) wrapOpen(err error) error {
	if e := db.explain(err); e != nil {
		return e
	}
	return fmt.Errorf("index: open %s: %w", db.path, err)
}

// Explain gives an SQLite error met by a read or write of the index the
// words wrap gives it (busy, read-only, damaged, each naming the file);
// any other error passes unchanged.
func (db *DB) Explain(err error) error {
	if e := db.explain(err); e != nil {
		return e
	}
	return err
}

// ErrDamaged is matched (errors.Is) by a DamagedError.
var ErrDamaged = errors.New("index: damaged")

// DamagedError says the index file is not an SQLite file, or one whose
// pages are damaged (cut short, overwritten). The file is only this
// machine's index of the store's log, so making it again loses nothing.
type DamagedError struct {
	Path string
	Err  error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("index: %s is damaged (%v). It is only this machine's index of the store's log, so nothing is lost: run pipe registry rebuild to make it again (it keeps the damaged file as %s), or delete the file and the next command makes it again",
		e.Path, e.Err, filepath.Base(e.Path)+DamagedSuffix)
}

// Unwrap gives ErrDamaged and SQLite's error.
func (e *DamagedError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

// DamagedSuffix is added to the name of a damaged index file that a
// rebuild moves aside.
const DamagedSuffix = ".damaged"

// Savepoint, Release and RollbackTo nest a part of the transaction that
// can be undone alone.
func (t *Tx) Savepoint(ctx context.Context, name string) error {
	_, err := t.exec(ctx, `SAVEPOINT `+name)
	return err
}

// Release ends a savepoint, keeping what was done since.
func (t *Tx) Release(ctx context.Context, name string) error {
	_, err := t.exec(ctx, `RELEASE `+name)
	return err
}

// RollbackTo undoes what was done since the savepoint (which stays open).
func (t *Tx) RollbackTo(ctx context.Context, name string) error {
	_, err := t.exec(ctx, `ROLLBACK TO `+name)
	return err
}
