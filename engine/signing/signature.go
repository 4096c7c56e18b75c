package signing

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// scheme prefixes every signature: the algorithm and this format's
// version, so that a later scheme can be told apart.
const scheme = "pipe-hmac-sha256-v1"

// Errors Verify returns; each wraps into a message that names the key.
var (
	// ErrUnsigned: the thing carries no signature.
	ErrUnsigned = errors.New("not signed")
	// ErrOtherKey: it was signed with another key than this one.
	ErrOtherKey = errors.New("signed with another key")
	// ErrBadSignature: the signature does not match the bytes: they were
	// changed after signing, or the signature was made up.
	ErrBadSignature = errors.New("signature does not match")
)

// Sign returns the signature of msg in domain (say "cache-entry" or
// "registry-record"): "pipe-hmac-sha256-v1:KEYID:HEX".
func (k *Key) Sign(domain string, msg []byte) string {
	return scheme + ":" + k.id + ":" + hex.EncodeToString(k.mac("sign/"+domain, msg))
}

// Verify checks that sig is this key's signature of msg in domain. It
// returns nil, or an error that is ErrUnsigned (sig is empty),
// ErrOtherKey (a well-formed signature by another key) or ErrBadSignature
// (anything else), wrapped with the key IDs involved.
func (k *Key) Verify(domain string, msg []byte, sig string) error {
	if sig == "" {
		return ErrUnsigned
	}
	rest, ok := strings.CutPrefix(sig, scheme+":")
	id, mac, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return fmt.Errorf("%w: not a %s signature", ErrBadSignature, scheme)
	}
	if id != k.id {
		return fmt.Errorf("%w (key %s; this key is %s)", ErrOtherKey, id, k.id)
	}
	got, err := hex.DecodeString(mac)
	if err != nil || !hmac.Equal(got, k.mac("sign/"+domain, msg)) {
		return fmt.Errorf("%w (key %s)", ErrBadSignature, k.id)
	}
	return nil
}
