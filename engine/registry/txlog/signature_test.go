package txlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/signing"
)

// An entry signed with the key decodes trusted; unsigned, signed with
// another key, moved to another position or changed and resealed, it
// decodes Untrusted with the reason, and a reader without a key takes
// every one as it is.
func TestSignedEntries(t *testing.T) {
	key := func(s string) *signing.Key {
		k, err := signing.New([]byte(s), "test", true)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k, other := key("0123456789abcdef0123456789abcdef-team"), key("0123456789abcdef0123456789abcdef-other")
	e := entry(2, strings.Repeat("a", 64))
	signed, _, err := Encode(e, k)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := Decode(EntryKey(2), 2, signed, k); err != nil || got.Untrusted != nil {
		t.Fatalf("signed entry: %v, %v", got.Untrusted, err)
	}
	unsigned, _, _ := Encode(e, nil)
	byOther, _, _ := Encode(e, other)
	changed := bytes.Replace(signed, []byte(`"pipeline":"p"`), []byte(`"pipeline":"q"`), 1)
	// Reseal: the checksum and size follow the change, the signature does not.
	var env envelope
	if err := json.Unmarshal(changed, &env); err != nil {
		t.Fatal(err)
	}
	changed, _, _ = Encode(mustDecode(t, changed), nil)
	changed = bytes.Replace(changed, []byte(`"data"`), []byte(`"signature":{"key_id":"`+env.Signature.KeyID+`","alg":"`+env.Signature.Algorithm+`","value":"`+env.Signature.Value+`"},"data"`), 1)
	cases := []struct {
		name string
		at   int64
		b    []byte
		want error
	}{
		{"unsigned", 2, unsigned, signing.ErrUnsigned},
		{"another key", 2, byOther, signing.ErrOtherKey},
		{"changed and resealed", 2, changed, signing.ErrBadSignature},
	}
	for _, c := range cases {
		got, _, err := Decode(EntryKey(c.at), c.at, c.b, k)
		var u *UntrustedError
		if err != nil || !errors.As(got.Untrusted, &u) || !errors.Is(u, c.want) || u.N != c.at || !strings.Contains(u.Error(), EntryKey(c.at)) {
			t.Errorf("%s: %v, %v; want Untrusted matching %v", c.name, got, err, c.want)
		}
		if got, _, err := Decode(EntryKey(c.at), c.at, c.b, nil); err != nil || got.Untrusted != nil {
			t.Errorf("%s, read without a key: %v, %v", c.name, got, err)
		}
	}
}

func mustDecode(t *testing.T, b []byte) *Entry {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	var e Entry
	if err := json.Unmarshal(env.Data, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}
