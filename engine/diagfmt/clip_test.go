package diagfmt

import (
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	cases := []struct{ in, want string }{
		{"short", `"short"`},
		{"a\x00b", `"a\x00b"`},
		{strings.Repeat("x", 10), `"xxxxxxxx"… (2 bytes more)`},
		// é is two bytes: the cut moves back to the character's start.
		{"xxxxxxxé", `"xxxxxxx"… (2 bytes more)`},
	}
	for _, c := range cases {
		if got := Clip(c.in, 8); got != c.want {
			t.Errorf("Clip(%q, 8) = %s, want %s", c.in, got, c.want)
		}
	}
}
