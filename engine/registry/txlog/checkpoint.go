package txlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/store"
)

// Checkpoints keep a cold reader from replaying the whole log: a
// checkpoint is a snapshot of everything entries 1..N say, as the local
// index (engine/registry/index) holds it: a SQLite file, gzipped. Its
// descriptor names N, the hash of entry N (so that it belongs to this
// log), the index schema the snapshot has, and the snapshot's SHA-256.
// A mutable hint names the newest checkpoint; it is only a hint.
const (
	checkpointPrefix = store.RegistryPrefix + "checkpoints/"
	hintKey          = store.RegistryPrefix + "_last_checkpoint.json"
	checkpointFormat = "pipe.registry.checkpoint/v1"
	// KeepCheckpoints is how many checkpoints WriteCheckpoint keeps; it
	// deletes older ones.
	KeepCheckpoints = 3
)

func checkpointKey(n int64) string     { return fmt.Sprintf("%s%020d.json", checkpointPrefix, n) }
func checkpointDataKey(n int64) string { return fmt.Sprintf("%s%020d.db.gz", checkpointPrefix, n) }

// Checkpoint describes one checkpoint.
type Checkpoint struct {
	// N is the last entry the snapshot includes; Hash is that entry's
	// hash.
	N    int64  `json:"n"`
	Hash string `json:"hash"`
	// Schema is the index schema version of the snapshot.
	Schema int `json:"schema"`
	// SHA256 and Size are those of the gzipped snapshot.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Writer Writer `json:"writer"`
}

// WriteCheckpoint gzips the snapshot that write produces, stores it with
// its descriptor (if no checkpoint of cp.N is there yet: one is as good
// as another), points the hint at it when it is the newest, and deletes
// checkpoints older than the newest KeepCheckpoints. cp.SHA256 and
// cp.Size are set here.
func (l *Log) WriteCheckpoint(ctx context.Context, cp Checkpoint, write func(w io.Writer) error) error {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := write(zw); err != nil {
		return fmt.Errorf("txlog: writing checkpoint %d: %w", cp.N, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("txlog: writing checkpoint %d: %w", cp.N, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	cp.SHA256, cp.Size = hex.EncodeToString(sum[:]), int64(buf.Len())
	if err := l.store.PutBlob(ctx, checkpointDataKey(cp.N), buf.Bytes()); err != nil {
		return err
	}
	desc, err := seal(checkpointFormat, cp, l.store.Key(), checkpointKey(cp.N))
	if err != nil {
		return err
	}
	if err := l.store.CreateBlob(ctx, checkpointKey(cp.N), desc); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	if hint, err := l.readHint(ctx); err != nil || hint < cp.N {
		h, _ := seal(checkpointFormat, hintDoc{N: cp.N}, nil, "")
		if err := l.store.PutBlob(ctx, hintKey, h); err != nil {
			return err
		}
	}
	return l.pruneCheckpoints(ctx)
}

type hintDoc struct {
	N int64 `json:"n"`
}

func (l *Log) readHint(ctx context.Context) (int64, error) {
	b, err := l.store.GetBlob(ctx, hintKey)
	if err != nil {
		return 0, err
	}
	var h hintDoc
	if err := unseal(hintKey, b, &h, nil); err != nil {
		return 0, err
	}
	return h.N, nil
}

// LatestCheckpoint returns the newest checkpoint whose descriptor checks,
// or nil when there is none. It follows the hint when it can; a missing,
// damaged or stale hint costs a listing.
func (l *Log) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	if n, err := l.readHint(ctx); err == nil && n > 0 {
		if cp, err := l.readCheckpoint(ctx, n); err == nil {
			if _, err := l.store.GetBlob(ctx, EntryKey(n+1)); errors.Is(err, store.ErrNotFound) {
				return cp, nil
			}
			// Entries go on: a newer checkpoint may exist that the hint
			// does not name yet; the listing below finds it.
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, ErrCorrupt) {
		return nil, err
	}
	keys, err := l.store.ListBlobs(ctx, checkpointPrefix)
	if err != nil {
		return nil, err
	}
	ns := checkpointNumbers(keys)
	for i := len(ns) - 1; i >= 0; i-- {
		cp, err := l.readCheckpoint(ctx, ns[i])
		if err == nil {
			return cp, nil
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return nil, nil
}

// checkpointNumbers returns the N of every descriptor among keys, sorted.
func checkpointNumbers(keys []string) []int64 {
	var ns []int64
	for _, k := range keys {
		s, ok := strings.CutSuffix(strings.TrimPrefix(k, checkpointPrefix), ".json")
		if n, err := strconv.ParseInt(s, 10, 64); ok && err == nil && n > 0 {
			ns = append(ns, n)
		}
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	return ns
}

func (l *Log) readCheckpoint(ctx context.Context, n int64) (*Checkpoint, error) {
	key := checkpointKey(n)
	b, err := l.store.GetBlob(ctx, key)
	if err != nil {
		return nil, err
	}
	var cp Checkpoint
	if err := unseal(key, b, &cp, l.store.Key()); err != nil {
		return nil, err
	}
	if cp.N != n {
		return nil, &CorruptError{Key: key, Reason: fmt.Sprintf("it says it is checkpoint %d", cp.N)}
	}
	return &cp, nil
}

// ReadCheckpoint returns the snapshot of cp, unzipped, after checking it
// against cp.SHA256.
func (l *Log) ReadCheckpoint(ctx context.Context, cp *Checkpoint) (io.Reader, error) {
	key := checkpointDataKey(cp.N)
	b, err := l.store.GetBlob(ctx, key)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if int64(len(b)) != cp.Size || hex.EncodeToString(sum[:]) != cp.SHA256 {
		return nil, &CorruptError{Key: key, Reason: "its bytes do not match the checksum its descriptor gives"}
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, &CorruptError{Key: key, Reason: err.Error()}
	}
	return zr, nil
}

// pruneCheckpoints deletes all but the newest KeepCheckpoints
// checkpoints, best effort.
func (l *Log) pruneCheckpoints(ctx context.Context) error {
	keys, err := l.store.ListBlobs(ctx, checkpointPrefix)
	if err != nil {
		return nil
	}
	ns := checkpointNumbers(keys)
	for i := 0; i < len(ns)-KeepCheckpoints; i++ {
		_ = l.store.DeleteBlob(ctx, checkpointKey(ns[i]))
		_ = l.store.DeleteBlob(ctx, checkpointDataKey(ns[i]))
	}
	return nil
}

// sealed is a small document with a checksum of its data, as descriptors
// and the hint are kept. A descriptor is signed with the team key, when
// there is one: a snapshot is trusted only through a signed descriptor,
// which holds its checksum (the hint names one and needs none).
type sealed struct {
	Format    string          `json:"format"`
	SHA256    string          `json:"sha256"`
	Signature *Signature      `json:"signature,omitempty"`
	Data      json.RawMessage `json:"data"`
}

// seal encodes v, signed with k (for the blob at key) unless k is nil.
func seal(format string, v any, k *signing.Key, key string) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("txlog: %w", err)
	}
	sum := sha256.Sum256(data)
	b, err := json.Marshal(sealed{Format: format, SHA256: hex.EncodeToString(sum[:]), Signature: sign(k, key, data), Data: data})
	return append(b, '\n'), err
}

// unseal checks and decodes the document at key; with k, one k did not
// sign is a *CorruptError (a reader skips it, as a damaged one).
func unseal(key string, b []byte, v any, k *signing.Key) error {
	var s sealed
	if err := json.Unmarshal(b, &s); err != nil {
		return &CorruptError{Key: key, Reason: "not a complete JSON document: " + err.Error()}
	}
	if s.Format != checkpointFormat {
		if v, err := formatVersion(strings.Replace(s.Format, "checkpoint", "log", 1)); err == nil && v > FormatVersion {
			return &NewerFormatError{Key: key, Format: s.Format}
		}
		return &CorruptError{Key: key, Reason: fmt.Sprintf("its format %q is not %s", s.Format, checkpointFormat)}
	}
	sum := sha256.Sum256(s.Data)
	if hex.EncodeToString(sum[:]) != s.SHA256 {
		return &CorruptError{Key: key, Reason: "its data does not match its checksum"}
	}
	if err := verify(k, key, 0, s.Data, s.Signature); err != nil {
		return &CorruptError{Key: key, Reason: "the team key does not vouch for it: " + errors.Unwrap(err).Error()}
	}
	if err := json.Unmarshal(s.Data, v); err != nil {
		return &CorruptError{Key: key, Reason: err.Error()}
	}
	return nil
}
