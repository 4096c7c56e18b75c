package views

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// applyDiff applies a unified diff made by unifiedDiff to a.
func applyDiff(t *testing.T, a, diff string) string {
	t.Helper()
	src := splitLines(a)
	var out []string
	next := 0 // next line of src not yet copied
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	for _, l := range lines[2:] {
		switch {
		case strings.HasPrefix(l, "@@ "):
			var ax, an, bx, bn int
			if _, err := fmt.Sscanf(l, "@@ -%d,%d +%d,%d @@", &ax, &an, &bx, &bn); err != nil {
				t.Fatalf("bad hunk header %q", l)
			}
			out = append(out, src[next:ax-1]...)
			next = ax - 1
		case l[0] == ' ' || l[0] == '-':
			if src[next] != l[1:] {
				t.Fatalf("line %d is %q, the diff says %q", next+1, src[next], l[1:])
			}
			if l[0] == ' ' {
				out = append(out, l[1:])
			}
			next++
		case l[0] == '+':
			out = append(out, l[1:])
		}
	}
	out = append(out, src[next:]...)
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

func TestUnifiedDiff(t *testing.T) {
	if d := unifiedDiff("x", []byte("a\nb\n"), []byte("a\nb\n")); d != "" {
		t.Errorf("equal files differ: %q", d)
	}
	got := unifiedDiff("f.pipe.hcl", []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\n"), []byte("a\nb\nc\nd\nE\nf\ng\nh\ni\n"))
	want := "--- old/f.pipe.hcl\n+++ new/f.pipe.hcl\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
	if got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}

	// Seeded random edits, small and large: the diff turns a into b. The
	// large ones take the path that does not build the whole table.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 5, 40, 3000} {
		for trial := 0; trial < 5; trial++ {
			var a, b []string
			for i := 0; i < size; i++ {
				line := "line " + strconv.Itoa(rng.IntN(size/4+1))
				a = append(a, line)
				switch rng.IntN(10) {
				case 0: // dropped
				case 1:
					b = append(b, line, "new "+strconv.Itoa(i))
				case 2:
					b = append(b, "changed "+line)
				default:
					b = append(b, line)
				}
			}
			as, bs := strings.Join(a, "\n"), strings.Join(b, "\n")
			if len(a) > 0 {
				as += "\n"
			}
			if len(b) > 0 {
				bs += "\n"
			}
			d := unifiedDiff("f", []byte(as), []byte(bs))
			if as == bs {
				if d != "" {
					t.Errorf("size %d: equal inputs gave a diff", size)
				}
				continue
			}
			if got := applyDiff(t, as, d); got != bs {
				t.Fatalf("size %d trial %d: applying the diff does not give the new file", size, trial)
			}
		}
	}
}
