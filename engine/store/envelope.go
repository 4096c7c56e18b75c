package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gocloud.dev/blob"
)

// Cache entries and refs are small JSON documents kept in an envelope that
// carries a checksum of the payload, so that a truncated or damaged one is
// detected and treated as a miss instead of being trusted:
//
//	{"envelope":"pipe/v1","sha256":"<hex of payload>","size":N,"data":<payload>}
//
// The payload is embedded verbatim, so the file stays readable by people.
// A cache entry written by a store with a key also carries a
// "signature" member before "data" (signature.go); a reader without a key
// ignores it.
const envelopeFormat = "pipe/v1"

type envelope struct {
	Format    string          `json:"envelope"`
	SHA256    string          `json:"sha256"`
	Size      int64           `json:"size"`
	Signature string          `json:"signature,omitempty"`
	Data      json.RawMessage `json:"data"`
}

// seal wraps payload in an envelope; sign, when not nil, signs the
// trimmed payload and its signature goes in the envelope.
func seal(payload []byte, sign func([]byte) string) ([]byte, error) {
	payload = bytes.TrimSpace(payload)
	if !json.Valid(payload) {
		return nil, fmt.Errorf("store: payload is not valid JSON")
	}
	sum := sha256.Sum256(payload)
	var b bytes.Buffer
	b.Grow(len(payload) + 160)
	b.WriteString(`{"envelope":"` + envelopeFormat + `","sha256":"`)
	b.WriteString(hex.EncodeToString(sum[:]))
	b.WriteString(`","size":` + strconv.Itoa(len(payload)))
	if sign != nil {
		b.WriteString(`,"signature":"` + sign(payload) + `"`)
	}
	b.WriteString(`,"data":`)
	b.Write(payload)
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// unseal checks an envelope and returns it, or the reason it is bad.
func unseal(b []byte) (*envelope, string) {
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, "not a complete JSON envelope: " + err.Error()
	}
	if e.Format != envelopeFormat {
		return nil, fmt.Sprintf("unknown envelope format %q", e.Format)
	}
	sum := sha256.Sum256(e.Data)
	if int64(len(e.Data)) != e.Size || hex.EncodeToString(sum[:]) != e.SHA256 {
		return nil, "checksum mismatch"
	}
	return &e, ""
}

// GetEntry returns the payload of the cache entry for key (64 lowercase hex
// digits), stored at cache/KEY.json. A missing entry is an error matching
// ErrNotFound; so is a corrupt one, which is a *CorruptError the caller
// should print as a warning before treating it as a miss:
//
//	store: cache entry cache/KEY.json is corrupt (checksum mismatch); treating as a miss
//
// With a key (Options.Key), an entry that is not signed by it is a
// *SignatureError, which matches ErrNotFound too: a miss, never data.
func (s *Store) GetEntry(ctx context.Context, key string) ([]byte, error) {
	if !isHex64(key) {
		return nil, fmt.Errorf("store: cache key %q is not 64 lowercase hex digits", key)
	}
	blobKey := cachePrefix + key + ".json"
	env, err := s.getSealed(ctx, "cache entry", blobKey)
	if err != nil {
		return nil, err
	}
	if err := s.verifyEntry(blobKey, env); err != nil {
		return nil, err
	}
	return env.Data, nil
}

// PutEntry writes the cache entry for key, replacing any entry there
// atomically. data must be one JSON value; GetEntry returns it with
// surrounding white space trimmed. A store with a key signs it.
func (s *Store) PutEntry(ctx context.Context, key string, data []byte) error {
	if !isHex64(key) {
		return fmt.Errorf("store: cache key %q is not 64 lowercase hex digits", key)
	}
	blobKey := cachePrefix + key + ".json"
	return s.putSealed(ctx, blobKey, data, s.entrySigner(blobKey))
}

// GetRef returns the payload of the named ref, a small mutable JSON
// document at refs/NAME.json (the engine keeps, for instance, the last
// cache key of each step under refs/PIPELINE/STEP). Names are
// slash-separated segments of letters, digits, '.', '_' and '-', none of
// them "." or "..". Missing and corrupt refs behave as in GetEntry.
func (s *Store) GetRef(ctx context.Context, name string) ([]byte, error) {
	if err := checkRefName(name); err != nil {
		return nil, err
	}
	env, err := s.getSealed(ctx, "ref", refsPrefix+name+".json")
	if err != nil {
		return nil, err
	}
	return env.Data, nil
}

// PutRef replaces the named ref atomically: a reader sees the old payload
// or the new one, never a mix.
func (s *Store) PutRef(ctx context.Context, name string, data []byte) error {
	if err := checkRefName(name); err != nil {
		return err
	}
	return s.putSealed(ctx, refsPrefix+name+".json", data, nil)
}

// DeleteRef removes the named ref. Removing a missing ref is not an error.
func (s *Store) DeleteRef(ctx context.Context, name string) error {
	if err := checkRefName(name); err != nil {
		return err
	}
	key := refsPrefix + name + ".json"
	err := s.doSmall(ctx, "deleting", key, func(ctx context.Context) error {
		return s.bucket.Delete(ctx, key)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// ListRefs returns the names of the refs under prefix ("" for all, or a
// name prefix such as "PIPELINE/"), sorted.
func (s *Store) ListRefs(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	err := s.doSmall(ctx, "listing", refsPrefix+prefix, func(ctx context.Context) error {
		names = names[:0]
		it := s.bucket.List(&blob.ListOptions{Prefix: refsPrefix + prefix})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			name, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, refsPrefix), ".json")
			if ok && !obj.IsDir && checkRefName(name) == nil {
				names = append(names, name)
			}
		}
	})
	return names, err
}

func checkRefName(name string) error {
	if name == "" {
		return fmt.Errorf("store: empty ref name")
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("store: ref name %q has an empty, \".\" or \"..\" segment", name)
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("store: ref name %q may only hold letters, digits, '.', '_', '-' and '/'", name)
			}
		}
	}
	return nil
}

func (s *Store) getSealed(ctx context.Context, what, key string) (*envelope, error) {
	var b []byte
	err := s.doSmall(ctx, "reading", key, func(ctx context.Context) error {
		var err error
		b, err = s.bucket.ReadAll(ctx, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	env, reason := unseal(b)
	if reason != "" {
		return nil, &CorruptError{Store: s.url, What: what, Key: key, Reason: reason}
	}
	return env, nil
}

func (s *Store) putSealed(ctx context.Context, key string, data []byte, sign func([]byte) string) error {
	b, err := seal(data, sign)
	if err != nil {
		return fmt.Errorf("store: writing %s: %w", key, err)
	}
	return s.doSmall(ctx, "writing", key, func(ctx context.Context) error {
		return s.writeBlob(ctx, key, "application/json", bytes.NewReader(b), int64(len(b)))
	})
}
