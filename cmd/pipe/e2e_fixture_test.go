package main

// What the end-to-end tests (e2e_*_test.go) share: generated data, a
// child pipe process that can be killed, and the checks that a store and
// a registry hold nothing bad after whatever happened to them.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// writeCorpus writes rows of generated embeddings (dim wide, seeded) to
// path, as CSV or Parquet by its extension, in the given layout, with the
// columns id, text, label ("private" or "public") and the features.
func writeCorpus(t *testing.T, path string, rows, dim int, seed uint64, layout synth.Layout) {
	t.Helper()
	d := synth.Generate(synth.Config{N: rows, Dim: dim, Rank: min(4, dim), Seed: seed})
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFile(path, d.Dataset, synth.FileOptions{Layout: layout}); err != nil {
		t.Fatal(err)
	}
}

// childEnv is the environment of a pipe the e2e tests start: its own
// temporary folder (where the store spools, and where a killed process
// leaves its spool files) and the given additions.
func childEnv(t *testing.T, env ...string) []string {
	t.Helper()
	return append([]string{"TMPDIR=" + t.TempDir()}, env...)
}

// proc is a pipe running in the background.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{}
	err            error
}

// startPipe starts the binary in dir, with the environment pipe() gives
// plus env.
func startPipe(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary(t), args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// hangLimit is how long a child may take before a test gives up on it. It
// is not a speed assertion: it only turns a hang into a failure that says
// where it hung.
const hangLimit = 3 * time.Minute

// wait waits for the process to end and returns how it ended.
func (p *proc) wait(t *testing.T) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(hangLimit):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("pipe %s did not end within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), hangLimit, p.stdout.String(), p.stderr.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		code = ee.ExitCode()
	} else if p.err != nil {
		t.Fatal(p.err)
	}
	return result{code, p.stdout.String(), p.stderr.String()}
}

// waitOutput waits until the process has printed s on stdout. It fails
// the test when the process ends first.
func (p *proc) waitOutput(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(hangLimit)
	for !strings.Contains(p.stdout.String(), s) {
		select {
		case <-p.done:
			t.Fatalf("pipe ended before printing %q\nstdout:\n%s\nstderr:\n%s", s, p.stdout.String(), p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pipe did not print %q within %s\nstdout:\n%s", s, hangLimit, p.stdout.String())
		}
	}
}

// waitOutputOrEnd waits until the process has printed s on stdout, and
// reports whether it did; false when the process ended first (or did not
// print it within hangLimit).
func (p *proc) waitOutputOrEnd(s string) bool {
	deadline := time.Now().Add(hangLimit)
	for !strings.Contains(p.stdout.String(), s) {
		select {
		case <-p.done:
			return strings.Contains(p.stdout.String(), s)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Kill()
	<-p.done
}

// checkLocalStore checks every file under a local store's objects/
// folder: each must be named by the SHA-256 of its content (a temporary
// file of a killed write, KEY.HEX.tmp, is allowed and counted, never read
// as an object), and every cache entry and ref must pass its checksum. It
// returns the number of objects and of temporary files.
func checkLocalStore(t *testing.T, storeDir string) (objects, temps int) {
	t.Helper()
	root := filepath.Join(storeDir, "objects", "sha256")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, ".tmp") {
			temps++
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		if want := strings.Replace(rel, "/", "", 1); hex.EncodeToString(h.Sum(nil)) != want || len(want) != 64 {
			t.Errorf("store object objects/sha256/%s holds content whose digest is sha256:%x", rel, h.Sum(nil))
		}
		objects++
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	s, err := store.Open(context.Background(), "file://"+filepath.ToSlash(storeDir), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkSealed(t, s, filepath.Join(storeDir, "cache"))
	return objects, temps
}

// checkSealed reads every cache entry and ref of a local store through
// the store, which checks their envelopes.
func checkSealed(t *testing.T, s *store.Store, cacheDir string) {
	t.Helper()
	ctx := context.Background()
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "*.json"))
	for _, e := range entries {
		key := strings.TrimSuffix(filepath.Base(e), ".json")
		if _, err := s.GetEntry(ctx, key); err != nil {
			t.Errorf("cache entry %s: %v", key, err)
		}
	}
	refs, err := s.ListRefs(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if _, err := s.GetRef(ctx, r); err != nil {
			t.Errorf("ref %s: %v", r, err)
		}
	}
}

// checkBucketObjects hashes every blob under prefix+"objects/" in a
// bucket (any backend) and checks that its name is its digest. It
// returns how many it checked.
func checkBucketObjects(t *testing.T, b *blob.Bucket, prefix string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	it := b.List(&blob.ListOptions{Prefix: prefix + "objects/sha256/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("listing the bucket: %v", err)
		}
		data, err := b.ReadAll(ctx, obj.Key)
		if err != nil {
			t.Fatalf("reading %s: %v", obj.Key, err)
		}
		sum := sha256.Sum256(data)
		name := strings.Replace(strings.TrimPrefix(obj.Key, prefix+"objects/sha256/"), "/", "", 1)
		if hex.EncodeToString(sum[:]) != name {
			t.Errorf("bucket object %s holds content whose digest is sha256:%x", obj.Key, sum)
		}
		n++
	}
	return n
}

// runsOf returns the registry's runs as pipe runs -json prints them,
// newest first.
func runsOf(t *testing.T, dir string, env []string) []registry.Run {
	t.Helper()
	r := pipe(t, dir, env, "runs", "-json").expect(t, 0)
	var doc struct{ Runs []registry.Run }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("runs -json: %v\n%s", err, r.stdout)
	}
	return doc.Runs
}

// checkRunsEnded checks that no run and no execution is left running,
// and returns the runs.
func checkRunsEnded(t *testing.T, dir string, env []string) []registry.Run {
	t.Helper()
	runs := runsOf(t, dir, env)
	for _, run := range runs {
		if run.Status == registry.RunRunning {
			t.Errorf("run %d is still %q", run.ID, run.Status)
		}
		r := pipe(t, dir, env, "runs", "show", "-json", jsonNumber(run.ID)).expect(t, 0)
		var d registry.RunDetail
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("runs show -json: %v\n%s", err, r.stdout)
		}
		for _, e := range d.Executions {
			if e.Status == registry.ExecRunning {
				t.Errorf("run %d (%s): execution %d of %s is still running", run.ID, run.Status, e.ID, e.Step)
			}
		}
	}
	return runs
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// outputArtifacts returns, from pipe output -json, each step's cache key
// (under the step's address) and the digest of each of its artifact
// outputs (under STEP.OUTPUT).
func outputArtifacts(t *testing.T, dir string, env []string) map[string]string {
	t.Helper()
	r := pipe(t, dir, env, "output", "-json").expect(t, 0)
	var outs map[string]struct {
		Key     string                     `json:"key"`
		Outputs map[string]json.RawMessage `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &outs); err != nil {
		t.Fatalf("output -json: %v\n%s", err, r.stdout)
	}
	got := map[string]string{}
	for step, o := range outs {
		got[step] = o.Key
		for name, raw := range o.Outputs {
			var a struct{ Digest string }
			if json.Unmarshal(raw, &a) == nil && strings.HasPrefix(a.Digest, "sha256:") {
				got[step+"."+name] = a.Digest
			}
		}
	}
	return got
}

// checkRegistryIntegrity runs SQLite's own checks on a registry file,
// opened read-only: the b-trees and indexes (integrity_check) and the
// foreign keys (foreign_key_check).
func checkRegistryIntegrity(t *testing.T, path string) {
	t.Helper()
	// Opening it through the registry first proves that pipe can, and
	// registers the driver.
	reg, err := registry.Open(context.Background(), path, &registry.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	reg.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("registry %s: integrity_check says %q (%v)", path, ok, err)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Errorf("registry %s: foreign_key_check found rows that point nowhere", path)
	}
}

// oneLine turns every run of white space into one space, so that expected
// messages match however the CLI wrapped them.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
