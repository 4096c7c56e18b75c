package store

import (
	"errors"
	"fmt"
	"io/fs"

	"gocloud.dev/gcerrors"
)

// ErrNotFound is matched (with errors.Is) by every error that means "not in
// the store": a missing object, cache entry or ref, and also a corrupt one,
// which the store treats as a miss.
var ErrNotFound = errors.New("store: not found")

// ErrCorrupt is matched (with errors.Is) by a *CorruptError: stored bytes
// that do not match their digest or checksum.
var ErrCorrupt = errors.New("store: corrupt")

// CorruptError reports stored bytes that failed their check: an object
// whose content does not hash to its name, or a cache entry or ref whose
// envelope is truncated or fails its checksum. It matches both ErrCorrupt
// and ErrNotFound, so a caller that only looks for misses treats it as one;
// a caller that wants to warn the user uses errors.As and prints it.
type CorruptError struct {
	// Store is the store's URL.
	Store string
	// What is "object", "cache entry" or "ref".
	What string
	// Key is the key of the bad blob within the store.
	Key string
	// Reason says what check failed, e.g. "checksum mismatch".
	Reason string
	// Quarantine is the key the bad blob was moved to, if it was.
	Quarantine string
}

func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("store: %s %s is corrupt (%s); treating as a miss", e.What, e.Key, e.Reason)
	if e.Quarantine != "" {
		msg += "; moved to " + e.Quarantine
	}
	return msg
}

// Is makes a CorruptError match ErrCorrupt and ErrNotFound.
func (e *CorruptError) Is(target error) bool {
	return target == ErrCorrupt || target == ErrNotFound
}

// OpError is a failed store operation: which store, what it was doing, on
// which key, and after how many attempts it gave up.
type OpError struct {
	// Store is the store's URL.
	Store string
	// Op is what the store was doing: "reading", "writing", "stat", ...
	Op string
	// Key is the blob the operation was about, or "" for the whole store.
	Key string
	// Attempts is how many times the operation was tried (1 when the error
	// was not worth retrying).
	Attempts int
	// Err is the last underlying error.
	Err error
}

func (e *OpError) Error() string {
	msg := "store: " + e.Store + ": " + e.Op
	if e.Key != "" {
		msg += " " + e.Key
	}
	msg += ": " + e.Err.Error()
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return msg
}

func (e *OpError) Unwrap() error { return e.Err }

// Is makes an OpError for a missing blob match ErrNotFound.
func (e *OpError) Is(target error) bool {
	return target == ErrNotFound && isNotFound(e.Err)
}

func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist) || gcerrors.Code(err) == gcerrors.NotFound
}
