package filehash

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkNoOpPlan1GiB measures what a plan pays for 1 GiB of input files
// (16 files of 64 MiB, in the page cache): "cold" hashes every file with an
// empty stat cache; "warm" loads a saved stat cache from the state folder
// and finds every file unchanged, as a no-op plan does. Run it with
//
//	go test -run '^$' -bench NoOpPlan1GiB -benchtime 5x ./engine/filehash
//
// It writes 1 GiB to the temporary folder.
func BenchmarkNoOpPlan1GiB(b *testing.B) {
	const files, size = 16, 64 << 20
	data := b.TempDir()
	var paths []string
	var key [32]byte
	buf := make([]byte, size)
	for i := range files {
		key[0] = byte(i)
		_, _ = rand.NewChaCha8(key).Read(buf)
		p := filepath.Join(data, fmt.Sprintf("part-%02d.bin", i))
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	// Let the files age past the racy window so that they are remembered.
	time.Sleep(2100 * time.Millisecond)

	digestAll := func(b *testing.B, c *Cache) {
		for _, p := range paths {
			if _, _, err := c.Digest(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(files * size)
		for b.Loop() {
			digestAll(b, New(b.TempDir(), nil))
		}
	})
	b.Run("warm", func(b *testing.B) {
		state := b.TempDir()
		c := New(state, nil)
		digestAll(b, c)
		if err := c.Save(); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(files * size)
		for b.Loop() {
			c := New(state, nil)
			digestAll(b, c)
			if st := c.Stats(); st.Hits != files {
				b.Fatalf("Stats = %+v, want %d hits", st, files)
			}
		}
	})
}
