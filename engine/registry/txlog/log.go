package txlog

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pipe-ml/pipe/engine/store"
)

// Where the log lives in the store.
const (
	logPrefix = store.RegistryPrefix + "log/"
)

// EntryKey is where entry n is kept: registry/log/ and n in 20 digits,
// so that the keys sort as the entries do.
func EntryKey(n int64) string { return fmt.Sprintf("%s%020d.json", logPrefix, n) }

// Log is the registry's log in one store. It is safe for concurrent use.
type Log struct {
	store *store.Store
}

// New returns the log kept in s.
func New(s *store.Store) *Log { return &Log{store: s} }

// Store is the store the log is in.
func (l *Log) Store() *store.Store { return l.store }

// ErrTaken is matched by Append's error when another writer took the
// entry's position first.
var ErrTaken = errors.New("txlog: entry taken")

// Append writes e at position e.N, only if no entry is there yet, and
// returns the SHA-256 (hex) of its data. When another writer took the
// position first, the error matches ErrTaken (and store.ErrExists): sync,
// and try again at the next position. A store that does not honour
// put-if-absent gives an error matching store.ErrNoConditionalWrites.
func (l *Log) Append(ctx context.Context, e *Entry) (string, error) {
	b, h, err := Encode(e, l.store.Key())
	if err != nil {
		return "", err
	}
	err = l.store.CreateBlob(ctx, EntryKey(e.N), b)
	if errors.Is(err, store.ErrExists) {
		return "", fmt.Errorf("%w: %w", ErrTaken, err)
	}
	return h, err
}

// Read reads and checks entry n. A missing entry is an error matching
// store.ErrNotFound; see Decode for the others.
func (l *Log) Read(ctx context.Context, n int64) (*Entry, string, error) {
	key := EntryKey(n)
	b, err := l.store.GetBlob(ctx, key)
	if err != nil {
		return nil, "", err
	}
	e, h, err := Decode(key, n, b, l.store.Key())
	var u *UntrustedError
	if err == nil && errors.As(e.Untrusted, &u) {
		u.Store = l.store.URL()
	}
	return e, h, err
}

// maxWindow bounds how many entries Scan reads at once.
const maxWindow = 32

// Scan reads the entries from position from on, in order, and calls fn
// with each, until the first position with no entry; it returns the
// position of the last entry it passed to fn (from-1 when none). It reads
// ahead concurrently, one entry at first (an index that is up to date
// costs one read) and twice as many each round while entries keep coming.
// A missing entry with a later one present is a damaged log, reported as
// a *CorruptError. An error from fn stops the scan and is returned.
func (l *Log) Scan(ctx context.Context, from int64, fn func(e *Entry, hash string) error) (int64, error) {
	last := from - 1
	for window := 1; ; window = min(2*window, maxWindow) {
		got := l.readWindow(ctx, last+1, window)
		for i, r := range got {
			n := last + 1
			if errors.Is(r.err, store.ErrNotFound) {
				return last, l.checkGap(ctx, n, got[i+1:])
			}
			if r.err != nil {
				return last, r.err
			}
			if err := fn(r.entry, r.hash); err != nil {
				return last, err
			}
			last = n
		}
	}
}

type readResult struct {
	entry *Entry
	hash  string
	err   error
}

// readWindow reads entries from..from+n-1 concurrently.
func (l *Log) readWindow(ctx context.Context, from int64, n int) []readResult {
	out := make([]readResult, n)
	if n == 1 {
		out[0].entry, out[0].hash, out[0].err = l.Read(ctx, from)
		return out
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].entry, out[i].hash, out[i].err = l.Read(ctx, from+int64(i))
		}()
	}
	wg.Wait()
	return out
}

// checkGap is called when entry n is missing: if an entry after it was
// read in the same window, n was either written meanwhile (the window's
// reads race with writers) or is gone. It is read again to tell.
func (l *Log) checkGap(ctx context.Context, n int64, after []readResult) error {
	later := int64(0)
	for i, r := range after {
		if r.err == nil {
			later = n + 1 + int64(i)
			break
		}
	}
	if later == 0 {
		return nil
	}
	_, _, err := l.Read(ctx, n)
	switch {
	case err == nil:
		// Written meanwhile: the next scan reads it.
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &CorruptError{Key: EntryKey(n), N: n, Reason: fmt.Sprintf("it is missing while entry %d is there: the log was damaged", later)}
	}
	return err
}
