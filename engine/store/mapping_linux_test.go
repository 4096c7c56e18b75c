package store

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestMapDropPages: DropPages takes the pages inside the bytes it is
// given out of the process's resident memory (the mapping's Rss in
// smaps falls), leaves bytes outside the mapping alone, and every byte
// reads the same afterwards.
func TestMapDropPages(t *testing.T) {
	s := openTestStore(t, t.TempDir(), "")
	ctx := context.Background()
	data := content(31, 8<<20)
	a, err := s.PutBytes(ctx, "", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Map(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b := m.Bytes()
	if !bytes.Equal(b, data) {
		t.Fatal("the mapping differs from the object")
	}
	before := mappedRss(t, m.Path())
	if before < 6<<10 {
		t.Fatalf("only %d kB of the 8 MiB read are resident", before)
	}
	m.DropPages(b[1000 : len(b)-1000]) // all but the first and last pages
	other := bytes.Clone(data)
	m.DropPages(other) // not the mapping: nothing happens to it
	after := mappedRss(t, m.Path())
	if after > before/4 { // the first and last pages may stay, or go with a huge page's mapping
		t.Errorf("resident after DropPages: %d kB (%d kB before)", after, before)
	}
	if !bytes.Equal(b, data) || !bytes.Equal(other, data) {
		t.Error("the bytes changed after DropPages")
	}
	if err := m.Verify(ctx); err != nil {
		t.Errorf("Verify after DropPages: %v", err)
	}
	t.Logf("resident: %d kB, then %d kB after DropPages", before, after)
}

// mappedRss is the resident kilobytes of this process's mappings of
// path.
func mappedRss(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps")
	}
	total, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			in = len(f) >= 6 && f[5] == path
			continue
		}
		if v, ok := strings.CutPrefix(line, "Rss:"); ok && in {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			total += kb
		}
	}
	return total
}
