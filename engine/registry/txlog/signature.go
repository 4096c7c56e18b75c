package txlog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pipe-ml/pipe/engine/signing"
)

// Signed entries. With a team key (the store's, engine/signing), every
// entry and checkpoint descriptor is signed as it is written, and an
// entry the key did not sign is read with Untrusted set: its facts are
// not applied, but it keeps its place in the chain (the next entry names
// its hash), so that one forged entry does not stop the log.

// RecordDomain is the signing domain of log entries and checkpoints.
const RecordDomain = "registry-record"

// signatureAlgorithm is Signature.Algorithm: engine/signing's scheme.
const signatureAlgorithm = "pipe-hmac-sha256-v1"

// signedMessage is what a signature covers: where the record is kept,
// then its data exactly as stored.
func signedMessage(key string, data []byte) []byte {
	return append([]byte(key+"\n"), data...)
}

// sign returns k's signature of the record at key, nil without a key.
func sign(k *signing.Key, key string, data []byte) *Signature {
	if k == nil {
		return nil
	}
	parts := strings.SplitN(k.Sign(RecordDomain, signedMessage(key, data)), ":", 3)
	return &Signature{KeyID: parts[1], Algorithm: signatureAlgorithm, Value: parts[2]}
}

// verify checks the signature of the record at key with k: nil when k is
// nil or signed it, else an *UntrustedError.
func verify(k *signing.Key, key string, n int64, data []byte, sig *Signature) error {
	if k == nil {
		return nil
	}
	s := ""
	if sig != nil {
		s = sig.Algorithm + ":" + sig.KeyID + ":" + sig.Value
	}
	if err := k.Verify(RecordDomain, signedMessage(key, data), s); err != nil {
		return &UntrustedError{Key: key, N: n, KeyID: k.ID(), KeySource: k.Source(), Err: err}
	}
	return nil
}

// ErrUntrusted is matched by an *UntrustedError.
var ErrUntrusted = errors.New("txlog: not signed with the team key")

// UntrustedError is a record that a log with a key does not trust: not
// signed (written before the key was configured, or by a machine
// without it), signed with another key, or changed after it was signed.
// Err matches signing.ErrUnsigned, ErrOtherKey or ErrBadSignature.
type UntrustedError struct {
	// Key is the blob in the store; N the entry's number (0 for a
	// checkpoint).
	Key string
	N   int64
	// Store is the store's URL, when known.
	Store string
	// KeyID and KeySource name this machine's key.
	KeyID, KeySource string
	Err              error
}

func (e *UntrustedError) Error() string {
	var why, todo string
	switch {
	case errors.Is(e.Err, signing.ErrUnsigned):
		why = "is not signed"
		todo = fmt.Sprintf("It was written before the team key was configured (%s, key %s), or by a machine without it: give every machine that writes to the store the same key", e.KeySource, e.KeyID)
	case errors.Is(e.Err, signing.ErrOtherKey):
		why = "is " + e.Err.Error()
		todo = "Give every machine that writes to the store the same key (" + e.KeySource + ")"
	default:
		why = fmt.Sprintf("does not match its signature (key %s): it was changed after it was written", e.KeyID)
		todo = "Someone without the team key wrote it: check who may write to the store"
	}
	where := "the store"
	if e.Store != "" {
		where = e.Store
	}
	return fmt.Sprintf("txlog: %s in %s %s, so its facts are not indexed (the entries after it are). %s (docs/security.md, \"The team key\")", e.Key, where, why, todo)
}

// Unwrap returns the signing error.
func (e *UntrustedError) Unwrap() error { return e.Err }

// Is makes an UntrustedError match ErrUntrusted.
func (e *UntrustedError) Is(target error) bool { return target == ErrUntrusted }
