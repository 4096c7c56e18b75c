package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/signing"
)

// withKey returns s opened with key k instead: another machine sharing
// the bucket.
func withKey(s *Store, k *signing.Key) *Store {
	o := s.opts
	o.Key = k
	return &Store{bucket: s.bucket, loc: s.loc, url: s.url, opts: o}
}

func testKey(t *testing.T, secret string) *signing.Key {
	t.Helper()
	k, err := signing.New([]byte(secret), "test", true)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// reseal edits a sealed entry as someone who may write to the store but
// does not hold the key would: it changes the payload, then recomputes the
// checksum and size the way the envelope format says, keeping (or
// replacing) the signature.
func reseal(t *testing.T, sealed []byte, edit func([]byte) []byte, signature func(string) string) []byte {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(sealed, &env); err != nil {
		t.Fatal(err)
	}
	data := edit(bytes.Clone(env["data"]))
	sum := sha256.Sum256(data)
	env["data"] = data
	env["sha256"], _ = json.Marshal(hex.EncodeToString(sum[:]))
	env["size"], _ = json.Marshal(len(data))
	var sig string
	_ = json.Unmarshal(env["signature"], &sig)
	if sig = signature(sig); sig == "" {
		delete(env, "signature")
	} else {
		env["signature"], _ = json.Marshal(sig)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testSignedEntry(t *testing.T, _ *backend, plain *Store) {
	ctx := context.Background()
	k := testKey(t, "0123456789abcdef0123456789abcdef-team")
	other := testKey(t, "0123456789abcdef0123456789abcdef-other")
	s := withKey(plain, k)
	key := strings.Repeat("cd", 32)
	entryKey := "cache/" + key + ".json"
	payload := []byte(`{"key":"` + key + `","outputs":{"f1":0.8123}}`)
	if err := s.PutEntry(ctx, key, payload); err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]*Store{"with the key": s, "without a key": plain} {
		if got, err := st.GetEntry(ctx, key); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("%s: GetEntry = %q, %v; want the payload", name, got, err)
		}
	}
	signed, err := s.bucket.ReadAll(ctx, entryKey)
	if err != nil {
		t.Fatal(err)
	}
	raise := func(b []byte) []byte { return bytes.Replace(b, []byte("0.8123"), []byte("0.986"), 1) }
	same := func(b []byte) []byte { return b }
	keep := func(sig string) string { return sig }
	cases := []struct {
		name   string
		at     string // the blob written, "" for the entry's own
		bytes  []byte
		want   error
		phrase string
	}{
		{"metric raised and resealed", "", reseal(t, signed, raise, keep), signing.ErrBadSignature, "does not match its signature"},
		{"signature removed", "", reseal(t, signed, raise, func(string) string { return "" }), signing.ErrUnsigned, "is not signed"},
		{"signed by another key", "", reseal(t, signed, raise, func(string) string {
			return other.Sign(EntryDomain, entryMessage(entryKey, raise(bytes.Clone(payload))))
		}), signing.ErrOtherKey, "signed with another key (key " + other.ID() + "; this key is " + k.ID() + ")"},
		{"copied under another key", "cache/" + strings.Repeat("ef", 32) + ".json", reseal(t, signed, same, keep), signing.ErrBadSignature, "does not match its signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at, atKey := entryKey, key
			if c.at != "" {
				at, atKey = c.at, strings.TrimSuffix(strings.TrimPrefix(c.at, "cache/"), ".json")
			}
			if err := s.bucket.WriteAll(ctx, at, c.bytes, nil); err != nil {
				t.Fatal(err)
			}
			// Without a key the envelope's checksum is all there is: the
			// forgery passes, which is why a team key exists.
			if _, err := plain.GetEntry(ctx, atKey); err != nil {
				t.Fatalf("without a key: %v", err)
			}
			got, err := s.GetEntry(ctx, atKey)
			var se *SignatureError
			if got != nil || !errors.As(err, &se) || !errors.Is(err, c.want) || !errors.Is(err, ErrNotFound) {
				t.Fatalf("GetEntry = %q, %v; want a *SignatureError matching %v and ErrNotFound", got, err, c.want)
			}
			for _, part := range []string{at, s.URL(), c.phrase, "not trusted: a miss"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
	// Written again by a machine with the key, the entry is trusted again.
	if err := s.PutEntry(ctx, key, payload); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetEntry(ctx, key); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("GetEntry after rewrite = %q, %v", got, err)
	}
}
