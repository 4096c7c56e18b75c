package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/engine/tempfile"
)

// Environment variables that configure the key.
const (
	// EnvKeyFile names a file that holds the key.
	EnvKeyFile = "PIPE_KEY_FILE"
	// EnvKey holds the key itself.
	EnvKey = "PIPE_KEY"
)

// MinLen is the shortest key accepted, in bytes.
const MinLen = 32

// LocalFile is the name of the local key in the state folder.
const LocalFile = "key"

// Key is a secret key. Its zero value is not usable; make one with
// FromEnv, Local or New.
type Key struct {
	secret []byte
	id     string
	source string
	shared bool
}

// New makes a key of secret, said to come from source. shared says whether
// other machines may hold it too (a configured key), which is what makes
// signing with it worth anything.
func New(secret []byte, source string, shared bool) (*Key, error) {
	s := strings.TrimSpace(string(secret))
	if len(s) < MinLen {
		return nil, fmt.Errorf("signing: the key from %s is %d characters; it needs at least %d random ones (make one with: openssl rand -hex 32)", source, len(s), MinLen)
	}
	k := &Key{secret: []byte(s), source: source, shared: shared}
	k.id = hex.EncodeToString(k.mac("key-id", nil)[:8])
	return k, nil
}

// FromEnv returns the key that env (as os.Environ returns it) configures,
// or nil when it configures none. Setting both variables is an error, as
// is a file that cannot be read or a key that is too short.
func FromEnv(env []string) (*Key, error) {
	file, value := getenv(env, EnvKeyFile), getenv(env, EnvKey)
	switch {
	case file != "" && value != "":
		return nil, fmt.Errorf("signing: both %s and %s are set; set one of them", EnvKeyFile, EnvKey)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("signing: reading the key (%s): %w", EnvKeyFile, err)
		}
		return New(b, EnvKeyFile+"="+file, true)
	case value != "":
		return New([]byte(value), EnvKey, true)
	}
	return nil, nil
}

// Local returns the local key kept in dir (the state folder), making it
// the first time: 32 random bytes, hex-encoded, in a file only its owner
// may read. Another process making it at the same time is harmless: the
// file is written whole under a temporary name and linked into place, and
// whichever link wins is the key both use.
func Local(dir string) (*Key, error) {
	path := filepath.Join(dir, LocalFile)
	if b, err := os.ReadFile(path); err == nil {
		return New(b, path, false)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("signing: reading the local key: %w (or set %s)", err, EnvKeyFile)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("signing: making the local key: %w (or set %s)", err, EnvKeyFile)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("signing: making the local key: %w", err)
	}
	// An engine/tempfile file: a process killed before the link leaves it
	// for the next pipe command to remove. Open, it is ours: close it
	// after the link.
	tmp, err := tempfile.Create(dir, ".key")
	if err != nil {
		return nil, fmt.Errorf("signing: making the local key: %w (or set %s)", err, EnvKeyFile)
	}
	defer tmp.Close()
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(hex.EncodeToString(raw) + "\n")
	if err := errors.Join(werr, tmp.Sync()); err != nil {
		return nil, fmt.Errorf("signing: writing the local key %s: %w", tmp.Name(), err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("signing: placing the local key %s: %w", path, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: reading the local key: %w", err)
	}
	return New(b, path, false)
}

// ID names the key without saying anything about it: 16 hex digits; ""
// for a nil key.
func (k *Key) ID() string {
	if k == nil {
		return ""
	}
	return k.id
}

// Source says where the key came from: "PIPE_KEY_FILE=/path", "PIPE_KEY"
// or the local key's path.
func (k *Key) Source() string { return k.source }

// Shared reports whether the key was configured (and so may be held by
// other machines) rather than made locally.
func (k *Key) Shared() bool { return k.shared }

// mac returns HMAC-SHA256 over domain and msg. The domain is length-
// prefixed, so no (domain, msg) pair collides with another.
func (k *Key) mac(domain string, msg []byte) []byte {
	m := k.newMAC(domain)
	m.Write(msg)
	return m.Sum(nil)
}

func (k *Key) newMAC(domain string) hash.Hash {
	m := hmac.New(sha256.New, k.secret)
	var n [binary.MaxVarintLen64]byte
	m.Write(n[:binary.PutUvarint(n[:], uint64(len(domain)))])
	m.Write([]byte(domain))
	return m
}

// Hash returns the keyed hash of msg in domain, hex-encoded: what stands
// for a sensitive value where it must be compared but not shown.
func (k *Key) Hash(domain string, msg []byte) string {
	return hex.EncodeToString(k.mac("hash/"+domain, msg))
}

func getenv(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}
