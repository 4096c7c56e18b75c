package openlineage

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
)

// uuidRE matches a UUID in its canonical text form.
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// newUUID returns a random UUID (RFC 9562, version 4).
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("openlineage: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// nameUUID returns the name-based UUID (RFC 9562, version 5: SHA-1) of
// name in the namespace UUID ns: the same inputs give the same UUID.
func nameUUID(ns, name string) string {
	raw, err := hex.DecodeString(ns[0:8] + ns[9:13] + ns[14:18] + ns[19:23] + ns[24:36])
	if err != nil || len(raw) != 16 {
		panic(fmt.Sprintf("openlineage: %q is not a UUID", ns))
	}
	h := sha1.New()
	h.Write(raw)
	h.Write([]byte(name))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
