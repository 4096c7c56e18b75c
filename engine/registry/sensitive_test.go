package registry

import (
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/signing"
)

// A sensitive name is recorded as a keyed hash: the same on every machine
// with the key, another under another key, never the name, and told
// apart from names a user chose.
func TestSensitiveName(t *testing.T) {
	key := func(s string) *signing.Key {
		k, err := signing.New([]byte(s), "test", true)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b := key("a-team-key-of-at-least-32-characters"), key("another-team-key-of-32-characters-or-more")
	n := SensitiveName(a, "zebracorn-model")
	if n != SensitiveName(a, "zebracorn-model") || n == SensitiveName(b, "zebracorn-model") || n == SensitiveName(a, "zebracorn-model2") {
		t.Errorf("keyed names: %s", n)
	}
	if strings.Contains(n, "zebracorn") || !IsSensitiveName(n) {
		t.Errorf("%s", n)
	}
	for _, name := range []string{"privacy-intent", "sensitive-", "sensitive-" + strings.Repeat("g", 32), "sensitive-" + strings.Repeat("a", 31)} {
		if IsSensitiveName(name) {
			t.Errorf("%q is taken for a sensitive name", name)
		}
	}
}
