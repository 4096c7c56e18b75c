package txlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/signing"
)

// The entry format. A reader refuses an entry of a newer version with a
// *NewerFormatError, and anything else it cannot check with a
// *CorruptError; format.md documents version 1.
const (
	formatName = "pipe.registry.log"
	// FormatVersion is the entry format this pipe writes and reads.
	FormatVersion = 1
)

// Format is the format string this pipe writes: "pipe.registry.log/v1".
var Format = formatName + "/v" + strconv.Itoa(FormatVersion)

// Entry is one numbered, immutable entry of the log: a small batch of
// facts, applied together.
type Entry struct {
	// N is the entry's position, 1, 2, ...; the entry says it, so that
	// one copied to another position is refused.
	N int64 `json:"n"`
	// Prev is the SHA-256 (hex) of entry N-1's data, "" for entry 1: the
	// entries form a chain, so that an index notices a log that was
	// replaced under it.
	Prev string `json:"prev,omitempty"`
	// Writer says who wrote the entry. It is information only: order is
	// the entries' numbers, never Writer.Time.
	Writer Writer `json:"writer"`
	Facts  []Fact `json:"facts"`
	// Untrusted is set by a log with a key (the store's, engine/signing)
	// on an entry its key did not sign: an *UntrustedError. Its facts
	// must not be applied; the entry still links the chain.
	Untrusted error `json:"-"`
}

// Writer is the process that wrote an entry.
type Writer struct {
	Host        string    `json:"host,omitempty"`
	PID         int       `json:"pid,omitempty"`
	PipeVersion string    `json:"pipe_version,omitempty"`
	Time        time.Time `json:"time"`
}

// Signature is an entry's signature, by a configured team key
// (engine/signing), of the entry's key in the store and its data. A log
// without a key writes none and ignores one it reads.
type Signature struct {
	KeyID     string `json:"key_id"`
	Algorithm string `json:"alg"`
	Value     string `json:"value"`
}

// envelope is an entry as stored: the data verbatim, with its checksum.
type envelope struct {
	Format    string          `json:"format"`
	SHA256    string          `json:"sha256"`
	Size      int64           `json:"size"`
	Signature *Signature      `json:"signature,omitempty"`
	Data      json.RawMessage `json:"data"`
}

// Encode returns the stored form of e and the SHA-256 (hex) of its data,
// signed with k unless k is nil.
func Encode(e *Entry, k *signing.Key) ([]byte, string, error) {
	for i, f := range e.Facts {
		if err := f.check(); err != nil {
			return nil, "", fmt.Errorf("txlog: entry %d, fact %d: %w", e.N, i+1, err)
		}
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, "", fmt.Errorf("txlog: encoding entry %d: %w", e.N, err)
	}
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	b, err := json.Marshal(envelope{Format: Format, SHA256: h, Size: int64(len(data)), Signature: sign(k, EntryKey(e.N), data), Data: data})
	if err != nil {
		return nil, "", fmt.Errorf("txlog: encoding entry %d: %w", e.N, err)
	}
	return append(b, '\n'), h, nil
}

// Decode checks the stored bytes of entry n (found at key) and returns
// the entry and the SHA-256 (hex) of its data. Bytes that fail a check
// give a *CorruptError; an entry of a newer format a *NewerFormatError.
// With a key k, an entry k did not sign is returned with Untrusted set.
func Decode(key string, n int64, b []byte, k *signing.Key) (*Entry, string, error) {
	corrupt := func(format string, args ...any) error {
		return &CorruptError{Key: key, N: n, Reason: fmt.Sprintf(format, args...)}
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, "", corrupt("not a complete JSON envelope: %v", err)
	}
	if v, err := formatVersion(env.Format); err != nil {
		return nil, "", corrupt("%v", err)
	} else if v > FormatVersion {
		return nil, "", &NewerFormatError{Key: key, N: n, Format: env.Format}
	}
	sum := sha256.Sum256(env.Data)
	h := hex.EncodeToString(sum[:])
	if int64(len(env.Data)) != env.Size || h != env.SHA256 {
		return nil, "", corrupt("its data does not match its checksum: it was truncated or changed after it was written")
	}
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, "", corrupt("its data is not a %s entry: %v", Format, err)
	}
	if e.N != n {
		return nil, "", corrupt("it says it is entry %d", e.N)
	}
	if n > 1 && len(e.Prev) != 64 || n == 1 && e.Prev != "" {
		return nil, "", corrupt("its link to the entry before (prev) is malformed")
	}
	for i, f := range e.Facts {
		if err := f.check(); err != nil {
			return nil, "", corrupt("fact %d: %v", i+1, err)
		}
	}
	e.Untrusted = verify(k, key, n, env.Data, env.Signature)
	return &e, h, nil
}

// formatVersion parses "pipe.registry.log/vN".
func formatVersion(format string) (int, error) {
	rest, ok := strings.CutPrefix(format, formatName+"/v")
	v, err := strconv.Atoi(rest)
	if !ok || err != nil || v < 1 {
		return 0, fmt.Errorf("its format %q is not %s/vN", format, formatName)
	}
	return v, nil
}

// ErrCorrupt is matched by a *CorruptError.
var ErrCorrupt = errors.New("txlog: corrupt")

// CorruptError is an entry (or a checkpoint) whose stored bytes fail a
// check. It is refused: nothing in it, nor anything after it, is indexed.
type CorruptError struct {
	// Key is the blob in the store, e.g. registry/log/00000000000000000042.json.
	Key string
	// N is the entry's position (0 for a checkpoint).
	N      int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("txlog: %s in the store is corrupt (%s), so it is refused and nothing from it on is indexed. Restore the blob as it was written (from the bucket's object versions or a backup); pipe never rewrites a log entry", e.Key, e.Reason)
}

// Is makes a CorruptError match ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// ErrNewerFormat is matched by a *NewerFormatError.
var ErrNewerFormat = errors.New("txlog: newer format")

// NewerFormatError is an entry written by a newer pipe, in a format this
// one does not know.
type NewerFormatError struct {
	Key    string
	N      int64
	Format string
}

func (e *NewerFormatError) Error() string {
	return fmt.Sprintf("txlog: %s was written by a newer pipe (format %s; this pipe reads %s), so it and the entries after it are not indexed. Upgrade pipe on this machine", e.Key, e.Format, Format)
}

// Is makes a NewerFormatError match ErrNewerFormat.
func (e *NewerFormatError) Is(target error) bool { return target == ErrNewerFormat }
