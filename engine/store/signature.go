package store

import (
	"errors"
	"fmt"

	"github.com/pipe-ml/pipe/engine/signing"
)

// Signed cache entries. Whoever may write to the store may edit a cache
// entry and reseal its checksum; the checksum only catches accidents. A
// store opened with a key (Options.Key, the team key) therefore signs
// every entry it writes, and trusts on reading only an entry its key
// signed: one that is unsigned, signed by another key, or whose bytes do
// not match the signature is a *SignatureError, a miss, never data.
//
// The signature covers the entry's key in the store and its payload
// exactly as stored (the outputs with their metrics, the digests of the
// artifacts they point to, the preimage): an entry copied under another
// key, or changed in any byte, fails. Artifacts need no signature of
// their own: they are named by their digest, which the signed entry
// holds, and every read checks their content against it. Refs (the last
// key of each step) are not signed: they only explain a plan ("what
// changed"), and a plan takes nothing from one without a signed entry.

// EntryDomain is the signing domain of cache entries (engine/signing).
const EntryDomain = "cache-entry"

// Key returns the key that signs and checks cache entries, nil when
// entries are unsigned.
func (s *Store) Key() *signing.Key { return s.opts.Key }

// entryMessage is what an entry's signature covers: its key in the store,
// then its payload.
func entryMessage(blobKey string, payload []byte) []byte {
	msg := make([]byte, 0, len(blobKey)+1+len(payload))
	msg = append(msg, blobKey...)
	msg = append(msg, '\n')
	return append(msg, payload...)
}

// entrySigner signs the entry at blobKey, or is nil without a key.
func (s *Store) entrySigner(blobKey string) func([]byte) string {
	k := s.opts.Key
	if k == nil {
		return nil
	}
	return func(payload []byte) string { return k.Sign(EntryDomain, entryMessage(blobKey, payload)) }
}

// verifyEntry checks env's signature, when the store has a key.
func (s *Store) verifyEntry(blobKey string, env *envelope) error {
	k := s.opts.Key
	if k == nil {
		return nil
	}
	if err := k.Verify(EntryDomain, entryMessage(blobKey, env.Data), env.Signature); err != nil {
		return &SignatureError{Store: s.url, What: "cache entry", Key: blobKey, KeyID: k.ID(), KeySource: k.Source(), Err: err}
	}
	return nil
}

// ErrSignature is matched (with errors.Is) by a *SignatureError.
var ErrSignature = errors.New("store: signature check failed")

// SignatureError is a cache entry that a store with a key does not
// trust: it is not signed (written before the key was configured, or by
// a machine without it), signed with another key, or changed after it
// was signed. Err matches signing.ErrUnsigned, signing.ErrOtherKey or
// signing.ErrBadSignature. It matches ErrNotFound, so a caller that only
// looks for misses treats it as one; a caller that warns prints it.
type SignatureError struct {
	// Store is the store's URL.
	Store string
	// What is "cache entry"; Key the blob's key within the store.
	What, Key string
	// KeyID and KeySource name this store's key (signing.Key).
	KeyID, KeySource string
	Err              error
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("store: %s %s in %s %s, so it is not trusted: a miss. %s", e.What, e.Key, e.Store, e.Cause(), e.Advice())
}

// Cause says in a few words why the entry is not trusted.
func (e *SignatureError) Cause() string {
	switch {
	case errors.Is(e.Err, signing.ErrUnsigned):
		return "is not signed"
	case errors.Is(e.Err, signing.ErrOtherKey):
		return "is " + e.Err.Error()
	}
	return fmt.Sprintf("does not match its signature (key %s): it was changed after it was written", e.KeyID)
}

// Advice says what to do about it.
func (e *SignatureError) Advice() string {
	const doc = `docs/security.md, "The team key"`
	switch {
	case errors.Is(e.Err, signing.ErrUnsigned):
		return fmt.Sprintf("This pipe has a team key (%s, key %s); the entry was written before the key was configured, or by a machine without it. Give every machine that writes to the store the same key (%s)", e.KeySource, e.KeyID, doc)
	case errors.Is(e.Err, signing.ErrOtherKey):
		return fmt.Sprintf("Give every machine that writes to the store the same key (this one's is %s; %s); after the key is changed, this happens once for every entry", e.KeySource, doc)
	}
	return "Someone without the team key edited it: check who may write to the store"
}

// Unwrap returns the signing error.
func (e *SignatureError) Unwrap() error { return e.Err }

// Is makes a SignatureError match ErrSignature and ErrNotFound.
func (e *SignatureError) Is(target error) bool {
	return target == ErrSignature || target == ErrNotFound
}
