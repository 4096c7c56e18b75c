package registry

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
	"github.com/pipe-ml/pipe/engine/store"
)

// A change to the registry is a request: build decides its facts from
// the index as it stands (synced to the log's end), and after reads what
// the change produced (the ID of a new run) once they are applied. Both
// run again when the entry loses its race and is made on a newer view.
type request struct {
	build func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error)
	after func(ctx context.Context, tx *index.Tx) error
	err   error
	done  chan struct{}
}

// committer batches the requests of concurrent goroutines into one entry
// (a group commit): the first to arrive commits what is queued while the
// others wait, and keeps going while more arrive.
type committer struct {
	mu      sync.Mutex
	queue   []*request
	leading bool
}

// commitTimeout bounds how long a batch may take to reach the log,
// retries included.
const commitTimeout = 5 * time.Minute

// change records what build decides, as one fact batch in the log (or,
// for a registry of its own, in the file only), and applies it to the
// index. It returns build's or after's error, or why the change could not
// be recorded.
func (db *DB) change(ctx context.Context, build func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error), after func(ctx context.Context, tx *index.Tx) error) error {
	if db.readOnly {
		return fmt.Errorf("registry: %s is open read-only", db.path)
	}
	if db.log == nil && db.storeErr != nil {
		return fmt.Errorf("registry: cannot record anything: %w", db.storeErr)
	}
	if err := db.storeDown(); err != nil {
		return err
	}
	r := &request{build: build, after: after, done: make(chan struct{})}
	c := &db.commits
	c.mu.Lock()
	c.queue = append(c.queue, r)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if lead {
		db.lead(context.WithoutCancel(ctx), r)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		// The change may still land; the caller gave up waiting.
		<-r.done
	}
	return unprefix(db.idx.Explain(r.err))
}

// lead commits batches until the queue is empty, or, once own is done
// and more requests wait, hands the lead to a new goroutine.
func (db *DB) lead(ctx context.Context, own *request) {
	c := &db.commits
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		if len(batch) == 0 {
			c.leading = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		bctx, cancel := context.WithTimeout(ctx, commitTimeout)
		db.commitAndSignal(bctx, batch)
		cancel()
		if own != nil {
			// own was in this batch: let its caller go on, and another
			// goroutine lead what came meanwhile.
			go db.lead(ctx, nil)
			return
		}
	}
}

// commitAndSignal commits a batch, then writes a checkpoint when one is
// due, and tells each request how it went.
func (db *DB) commitAndSignal(ctx context.Context, batch []*request) {
	due, err := db.commitBatch(ctx, batch)
	db.noteStoreError(err)
	if err == nil && due {
		// Best effort: a missing checkpoint only makes a cold sync longer.
		_ = db.writeCheckpoint(ctx)
	}
	for _, r := range batch {
		if err != nil && r.err == nil {
			r.err = err
		}
		close(r.done)
	}
}

// testHookBeforeAppend, when set by a test, is called before each append
// to the log, so that a test can make another writer win the race.
var testHookBeforeAppend func(db *DB)

// errLost says that another writer took the entry: sync, and build again.
var errLost = errors.New("registry: lost the race for the entry")

// commitBatch records a batch: for a log, it syncs, builds, appends at
// the next position and applies, again and again until the append wins.
// It reports whether the entry it wrote is due a checkpoint.
func (db *DB) commitBatch(ctx context.Context, batch []*request) (checkpoint bool, err error) {
	record := func(tx *index.Tx) error {
		n, err := db.buildAndRecord(ctx, tx, batch)
		every := int64(db.opts.CheckpointEvery)
		checkpoint = err == nil && db.log != nil && every > 0 && n > 0 && n%every == 0
		return err
	}
	if db.log == nil {
		return false, db.idx.Write(ctx, record)
	}
	for attempt := 1; ; attempt++ {
		db.syncMu.Lock()
		_, err := db.syncLocked(ctx)
		if err == nil {
			err = db.idx.Write(ctx, record)
		}
		db.syncMu.Unlock()
		if !errors.Is(err, errLost) {
			if err == nil {
				db.setStatus(0, nil)
			}
			return checkpoint, err
		}
		if err := pause(ctx, attempt); err != nil {
			return false, fmt.Errorf("registry: gave up recording after %d attempts, each overtaken by another writer: %w", attempt, err)
		}
	}
}

// pause waits a little before another attempt, more after each: many
// writers racing for one entry spread out.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(1<<min(attempt, 8)) * time.Millisecond
	t := time.NewTimer(d/2 + rand.N(d))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// buildAndRecord builds each request's facts and applies them in tx, then
// records them as the next entry, whose number it returns (0 when no
// request had anything to record). A request whose build, facts or after
// fail is left out, with its error. For a log, losing the race for the
// entry is errLost, and rolls everything back.
func (db *DB) buildAndRecord(ctx context.Context, tx *index.Tx, batch []*request) (int64, error) {
	st, err := index.ReadState(ctx, tx)
	if err != nil {
		return 0, err
	}
	n := st.Entry + 1
	var facts []txlog.Fact
	for i, r := range batch {
		r.err = nil
		fs, err := db.buildOne(ctx, tx, n, i, r)
		if err != nil {
			return 0, err
		}
		facts = append(facts, fs...)
	}
	if len(facts) == 0 {
		return 0, nil
	}
	hash := ""
	if db.log != nil {
		if testHookBeforeAppend != nil {
			testHookBeforeAppend(db)
		}
		e := &txlog.Entry{N: n, Prev: st.Hash, Writer: db.writer(), Facts: facts}
		hash, err = db.log.Append(ctx, e)
		if errors.Is(err, txlog.ErrTaken) {
			return 0, errLost
		}
		if err != nil {
			return 0, err
		}
		failpoint.Hit("registry.entry.appended") // test hook: the entry is in the log, the index has not applied it
	}
	return n, tx.SetEntry(ctx, n, hash)
}

// buildOne builds and applies one request's facts in a savepoint; a
// request that fails is rolled back and keeps its error. The returned
// error is the index's own failure.
func (db *DB) buildOne(ctx context.Context, tx *index.Tx, n int64, i int, r *request) ([]txlog.Fact, error) {
	sp := fmt.Sprintf("request%d", i)
	if err := tx.Savepoint(ctx, sp); err != nil {
		return nil, err
	}
	fs, err := r.build(ctx, tx)
	if err == nil && len(fs) > 0 {
		var refused []index.Refusal
		refused, err = tx.Apply(ctx, n, fs)
		if err == nil && len(refused) > 0 {
			err = refused[0]
		}
	}
	if err == nil && r.after != nil {
		err = r.after(ctx, tx)
	}
	if err != nil {
		r.err = err
		fs = nil
		if rerr := tx.RollbackTo(ctx, sp); rerr != nil {
			return nil, rerr
		}
	}
	return fs, tx.Release(ctx, sp)
}

// writer describes this process, for the entries it writes.
func (db *DB) writer() txlog.Writer {
	host, _ := os.Hostname()
	return txlog.Writer{Host: host, PID: os.Getpid(), PipeVersion: db.opts.PipeVersion, Time: db.now().UTC()}
}

// newKey returns a new random key for a run, an execution or an alias
// move: 32 hex digits.
func newKey() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

// downFor is how long, after a write to the store failed for good (its
// retries spent), the registry refuses to record without trying: an
// apply whose store went away fails once, not once per step.
const downFor = 30 * time.Second

// noteStoreError remembers a store that could not be reached.
func (db *DB) noteStoreError(err error) {
	var oe *store.OpError
	if errors.As(err, &oe) && oe.Attempts > 1 {
		db.downMu.Lock()
		db.downErr, db.downAt = err, time.Now()
		db.downMu.Unlock()
	}
}

// storeDown returns the error of a store that could not be reached a
// moment ago, or nil.
func (db *DB) storeDown() error {
	db.downMu.Lock()
	defer db.downMu.Unlock()
	if db.downErr == nil || time.Since(db.downAt) > downFor {
		return nil
	}
	return fmt.Errorf("registry: not recorded: the store could not be reached %s ago: %w", time.Since(db.downAt).Round(time.Second), db.downErr)
}
