package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/engine/store/s3test"
)

// s3Backend starts a real S3 server (Versity's gateway); each case gets
// its own prefix in its bucket.
func s3Backend(t *testing.T) *backend {
	srv := s3test.Start(t)
	return &backend{name: "s3", open: func(t *testing.T, name string) *Store {
		return openTestStore(t, srv.URL(name+"/store"), "")
	}}
}

// conditionalConformance is what every backend must show for the
// registry's put-if-absent writes.
var conditionalConformance = []struct {
	name string
	run  func(t *testing.T, b *backend, s *Store)
}{
	{"CreateOnce", testCreateOnce},
	{"ConcurrentCreates", testConcurrentCreates},
	{"BlobRoundTrip", testBlobRoundTrip},
	{"RegistryKeys", testRegistryKeys},
	{"ProbeConditionalWrites", testProbeConditionalWrites},
}

func runConditional(t *testing.T, b *backend) {
	for _, c := range conditionalConformance {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, b, b.open(t, c.name))
		})
	}
}

func TestConditionalMem(t *testing.T)  { runConditional(t, memBackend()) }
func TestConditionalFile(t *testing.T) { runConditional(t, fileBackend()) }
func TestConditionalGCS(t *testing.T)  { runConditional(t, gcsBackend(t)) }
func TestConditionalS3(t *testing.T)   { runConditional(t, s3Backend(t)) }

// The whole store conformance suite runs against the real S3 server too:
// s3:// is advertised, so it is tested like the others.
func TestConformanceS3(t *testing.T) {
	b := s3Backend(t)
	for _, c := range conformance {
		if c.name == "Ping" {
			// Ping's case stops the GCS emulator; the S3 one is checked below.
			continue
		}
		t.Run(c.name, func(t *testing.T) { c.run(t, b, b.open(t, c.name)) })
	}
	t.Run("Ping", func(t *testing.T) {
		if err := b.open(t, "ping").Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func testCreateOnce(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	key := RegistryPrefix + "log/00000000000000000001.json"
	first, second := []byte(`{"n":1,"by":"a"}`), []byte(`{"n":1,"by":"b"}`)
	if err := s.CreateBlob(ctx, key, first); err != nil {
		t.Fatalf("first create: %v", err)
	}
	err := s.CreateBlob(ctx, key, second)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second create with other bytes: %v, want ErrExists", err)
	}
	if !strings.Contains(err.Error(), key) {
		t.Errorf("error does not name the key: %v", err)
	}
	got, err := s.GetBlob(ctx, key)
	if err != nil || !bytes.Equal(got, first) {
		t.Fatalf("after a refused create: %q, %v; want the first bytes", got, err)
	}
	// The same bytes again: a retry of a write that had landed.
	if err := s.CreateBlob(ctx, key, first); err != nil {
		t.Errorf("create with the same bytes: %v, want success", err)
	}
	if _, err := s.GetBlob(ctx, RegistryPrefix+"log/00000000000000000002.json"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing blob: %v, want ErrNotFound", err)
	}
}

// Of many writers of one key, each with its own bytes and its own Store
// (its own connections), exactly one wins.
func testConcurrentCreates(t *testing.T, b *backend, s *Store) {
	ctx := context.Background()
	const writers = 20
	key := RegistryPrefix + "log/race.json"
	stores := make([]*Store, writers)
	for i := range stores {
		stores[i] = reopen(t, b, s)
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = stores[i].CreateBlob(ctx, key, []byte(`{"writer":`+strconv.Itoa(i)+`}`))
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both created %s", winner, i, key)
		case err == nil:
			winner = i
		case !errors.Is(err, ErrExists):
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer created the key")
	}
	got, err := s.GetBlob(ctx, key)
	if err != nil || string(got) != `{"writer":`+strconv.Itoa(winner)+`}` {
		t.Errorf("the key holds %q (%v), not the winner's bytes (writer %d)", got, err, winner)
	}
}

// reopen opens another Store on the same location as s.
func reopen(t *testing.T, b *backend, s *Store) *Store {
	t.Helper()
	if b.name == "mem" {
		return s // a mem:// bucket lives in its Store
	}
	loc := s.Location()
	u := loc.String()
	if len(loc.Query) > 0 {
		u += "?" + loc.Query.Encode()
	}
	return openTestStore(t, u, "")
}

func testBlobRoundTrip(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	hint := RegistryPrefix + "_last_checkpoint.json"
	for i, data := range []string{`{"n":10}`, `{"n":20}`} {
		if err := s.PutBlob(ctx, hint, []byte(data)); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		got, err := s.GetBlob(ctx, hint)
		if err != nil || string(got) != data {
			t.Fatalf("get %d: %q, %v", i, got, err)
		}
	}
	for _, n := range []int{3, 1, 2} {
		key := fmt.Sprintf("%slog/%020d.json", RegistryPrefix, n)
		if err := s.CreateBlob(ctx, key, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := s.ListBlobs(ctx, RegistryPrefix+"log/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"registry/log/00000000000000000001.json", "registry/log/00000000000000000002.json", "registry/log/00000000000000000003.json"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("listed %v, want %v", keys, want)
	}
	for _, key := range []string{want[1], want[1]} {
		if err := s.DeleteBlob(ctx, key); err != nil {
			t.Errorf("deleting %s: %v", key, err)
		}
	}
	if _, err := s.GetBlob(ctx, want[1]); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted blob: %v, want ErrNotFound", err)
	}
}

func testRegistryKeys(t *testing.T, _ *backend, s *Store) {
	ctx := context.Background()
	for _, key := range []string{"", "registry/", "cache/x.json", "objects/sha256/ab/cd", "registry/../cache/x.json", "registry//x", "registry/a b"} {
		if err := s.CreateBlob(ctx, key, []byte("{}")); err == nil || errors.Is(err, ErrExists) {
			t.Errorf("CreateBlob(%q): %v, want a refusal", key, err)
		}
		if _, err := s.GetBlob(ctx, key); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("GetBlob(%q): %v, want a refusal", key, err)
		}
	}
	if _, err := s.ListBlobs(ctx, "cache/"); err == nil {
		t.Error("ListBlobs outside registry/ accepted")
	}
}

func testProbeConditionalWrites(t *testing.T, _ *backend, s *Store) {
	if err := s.CheckConditionalWrites(context.Background()); err != nil {
		t.Fatalf("a store that honours conditional writes failed the probe: %v", err)
	}
	keys, err := s.ListBlobs(context.Background(), RegistryPrefix+"probe/")
	if err != nil || len(keys) != 0 {
		t.Errorf("the probe left %v (%v)", keys, err)
	}
}

// A store behind a gateway that drops the precondition of a conditional
// write (as some S3-compatible servers ignore If-None-Match) lets a
// second write through; the probe catches it and says which stores do
// honour conditional writes. The gateway is a real reverse proxy in front
// of the real GCS API (the emulator), removing ifGenerationMatch from
// every request.
func TestProbeCatchesAStoreThatIgnoresConditionalWrites(t *testing.T) {
	srv := gcstest.Start(t)
	srv.DropPreconditions(t)
	s := openTestStore(t, srv.URL()+"/ignores", "")
	err := s.CheckConditionalWrites(context.Background())
	if !errors.Is(err, ErrNoConditionalWrites) {
		t.Fatalf("probe through a gateway that drops the precondition: %v, want ErrNoConditionalWrites", err)
	}
	for _, want := range []string{"gs://pipe-test/ignores", "was not refused", "Google Cloud Storage", "If-None-Match"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
}

const createChildEnv = "PIPE_STORE_CREATE_CHILD"

// Local folders: writers in separate processes race for each of a series
// of keys; every key is won exactly once. (fileblob's own IfNotExist
// checks and renames under a lock of its process only, so two processes
// can both win: with it, this test fails within a few hundred keys.
// CreateBlob links instead.)
func TestCreateBlobAcrossProcesses(t *testing.T) {
	if dir := os.Getenv(createChildEnv); dir != "" {
		createChild(t, dir)
		return
	}
	dir := t.TempDir()
	const procs, keys = 8, 300
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCreateBlobAcrossProcesses$")
		cmd.Env = append(os.Environ(), createChildEnv+"="+dir, "PIPE_STORE_CREATE_WRITER="+strconv.Itoa(i), "PIPE_STORE_CREATE_KEYS="+strconv.Itoa(keys))
		outs[i] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	won := map[string]int{}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v\n%s", i, err, outs[i])
		}
		for _, line := range strings.Split(outs[i].String(), "\n") {
			if k, ok := strings.CutPrefix(line, "won "); ok {
				won[k]++
			}
		}
	}
	s := openTestStore(t, "file://"+filepath.ToSlash(dir), "")
	for k := range keys {
		key := fmt.Sprintf("%slog/%020d.json", RegistryPrefix, k)
		if won[key] != 1 {
			t.Errorf("%s was won %d times", key, won[key])
		}
		got, err := s.GetBlob(context.Background(), key)
		if err != nil || !bytes.HasPrefix(got, []byte(`{"writer":`)) {
			t.Errorf("%s holds %q (%v)", key, got, err)
		}
	}
}

func createChild(t *testing.T, dir string) {
	s := openTestStore(t, "file://"+filepath.ToSlash(dir), "")
	me := os.Getenv("PIPE_STORE_CREATE_WRITER")
	n, _ := strconv.Atoi(os.Getenv("PIPE_STORE_CREATE_KEYS"))
	for k := range n {
		key := fmt.Sprintf("%slog/%020d.json", RegistryPrefix, k)
		err := s.CreateBlob(context.Background(), key, []byte(`{"writer":`+me+`}`))
		switch {
		case err == nil:
			fmt.Printf("won %s\n", key)
		case !errors.Is(err, ErrExists):
			t.Fatalf("writer %s, %s: %v", me, key, err)
		}
	}
}
