package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashChildEnv = "PIPE_STORE_CRASH_CHILD"

// TestCrashSafety kills a process that is writing objects and cache
// entries to a local store with SIGKILL, at seeded random moments, and then
// checks that every object in the store hashes to its name and every cache
// entry passes its checksum. Temporary files and spool files may remain;
// CleanTemps removes them.
func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	rounds := 6
	if testing.Short() {
		rounds = 3
	}
	rng := rand.New(rand.NewPCG(42, 1))
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "PIPE_STORE_CRASH_SEED="+string(rune('a'+round)))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child has stored something, then let it run a
		// little longer, so that the kill lands somewhere in the middle.
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "stored") {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: child did not start writing: %q, %v", round, line, err)
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}

	objects, temps := 0, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		switch {
		case isTempName(d.Name()) || strings.HasPrefix(rel, "spool/"):
			temps++
		case strings.HasPrefix(rel, objectsPrefix):
			objects++
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			h := hex.EncodeToString(sum[:])
			if want := objectsPrefix + h[:2] + "/" + h[2:]; rel != want {
				t.Errorf("object %s holds content that hashes to %s", rel, want)
			}
		case strings.HasPrefix(rel, cachePrefix):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if _, reason := unseal(b); reason != "" {
				t.Errorf("cache entry %s: %s", rel, reason)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if objects == 0 {
		t.Fatal("the children stored no objects")
	}
	t.Logf("%d objects, %d temporary files after %d kills", objects, temps, rounds)
	s, err := OpenOptions(context.Background(), dir, "", &Options{SpoolDir: filepath.Join(dir, "spool")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.CleanTemps(context.Background(), 0)
	if err != nil || n != temps {
		t.Errorf("CleanTemps = %d, %v; want %d, nil", n, err, temps)
	}
}

// crashChild writes objects of up to 8 MiB and cache entries to the store
// in dir until it is killed.
func crashChild(dir string) {
	ctx := context.Background()
	s, err := OpenOptions(ctx, dir, "", &Options{SpoolDir: filepath.Join(dir, "spool")})
	if err != nil {
		panic(err)
	}
	seed := uint64(os.Getenv("PIPE_STORE_CRASH_SEED")[0])
	rng := rand.New(rand.NewPCG(seed, 2))
	for i := 0; ; i++ {
		data := content(seed<<32|uint64(i), rng.IntN(8<<20))
		if i%2 == 0 {
			_, err = s.PutBytes(ctx, "", data)
		} else {
			_, err = s.Put(ctx, "", func(w io.Writer) error { _, err := w.Write(data); return err })
		}
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		key := hex.EncodeToString(sum[:])
		if err := s.PutEntry(ctx, key, []byte(`{"size":`+string(rune('0'+i%10))+`}`)); err != nil {
			panic(err)
		}
		if i == 0 {
			os.Stdout.WriteString("stored\n")
		}
	}
}
