package stepenv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/steps"
)

func newEnv(t *testing.T) *Env {
	t.Helper()
	dir := t.TempDir()
	s, err := store.Open(context.Background(), "mem://", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return New(Config{Store: s, Dir: dir, Parallelism: 3})
}

func TestArtifacts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a, err := e.PutArtifact(ctx, "application/vnd.pipe.report.v1+json", func(w io.Writer) error {
		_, err := io.WriteString(w, `{"f1":0.9}`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.ReadArtifact(ctx, a)
	if err != nil || string(got) != `{"f1":0.9}` {
		t.Fatalf("ReadArtifact = %q, %v", got, err)
	}
	r, err := e.OpenArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(b) != `{"f1":0.9}` {
		t.Fatalf("OpenArtifact read %q, %v", b, err)
	}

	// An artifact value whose size disagrees with the store is refused.
	lying := a
	lying.Size++
	if _, err := e.ReadArtifact(ctx, lying); err == nil || !strings.Contains(err.Error(), "not 11") {
		t.Errorf("ReadArtifact with a wrong size = %v", err)
	}
	if _, err := e.OpenArtifact(ctx, lying); err == nil {
		t.Errorf("OpenArtifact with a wrong size succeeded")
	}
	missing := steps.Artifact{Digest: "sha256:" + strings.Repeat("0", 64), Size: 1}
	if _, err := e.ReadArtifact(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadArtifact(missing) = %v, want store.ErrNotFound", err)
	}
}

func writeKey(t *testing.T, b *blob.Bucket, key, value string) {
	t.Helper()
	if err := b.WriteAll(context.Background(), key, []byte(value), nil); err != nil {
		t.Fatal(err)
	}
}

func TestOpenBucketLocal(t *testing.T) {
	ctx := context.Background()
	allowed := t.TempDir()
	abs := filepath.Join(allowed, "abs out")
	e := newEnv(t)
	e = New(Config{Store: e.Store(), Dir: e.Dir(), Roots: confine.New(e.Dir(), []confine.Root{{Path: allowed, From: "-allow-path"}})})
	cases := []struct {
		url  string
		file string // where key "m/model.json" lands
	}{
		{"models", filepath.Join(e.Dir(), "models", "m", "model.json")},
		{"./out/models", filepath.Join(e.Dir(), "out", "models", "m", "model.json")},
		{"file://rel/models", filepath.Join(e.Dir(), "rel", "models", "m", "model.json")},
		{"file://" + filepath.ToSlash(abs), filepath.Join(abs, "m", "model.json")},
		{abs, filepath.Join(abs, "m", "model.json")},
	}
	for _, c := range cases {
		b, err := e.OpenBucket(ctx, c.url)
		if err != nil {
			t.Fatalf("OpenBucket(%q): %v", c.url, err)
		}
		writeKey(t, b, "m/model.json", "{}")
		b.Close()
		if got, err := os.ReadFile(c.file); err != nil || string(got) != "{}" {
			t.Errorf("OpenBucket(%q): %s = %q, %v", c.url, c.file, got, err)
		}
		// No metadata side files in a user's folder.
		if _, err := os.Stat(c.file + ".attrs"); err == nil {
			t.Errorf("OpenBucket(%q) wrote %s.attrs", c.url, c.file)
		}
	}
	// Outside the pipeline folder and the allowed ones: refused, links
	// that leave included, before anything is created.
	os.Symlink(t.TempDir(), filepath.Join(e.Dir(), "link"))
	for _, escape := range []string{"../m", "/etc", "file:///tmp/elsewhere", "link/models"} {
		if _, err := e.OpenBucket(ctx, escape); !errors.Is(err, confine.ErrEscape) || !strings.Contains(err.Error(), "is outside the pipeline folder") {
			t.Errorf("OpenBucket(%q) = %v, want an escape", escape, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(e.Dir()), "m")); err == nil {
		t.Error("a refused folder was created")
	}
	for _, bad := range []string{"ftp://x/y", "gs://", "gs://b?prefix=x", ""} {
		if _, err := e.OpenBucket(ctx, bad); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("OpenBucket(%q) = %v, want a store: error", bad, err)
		}
	}
}

func TestOpenBucketMemShared(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	step := e.ForStep(nil, nil, nil)
	b, err := step.OpenBucket(ctx, "mem://out/release")
	if err != nil {
		t.Fatal(err)
	}
	writeKey(t, b, "v1/model.json", "m")
	b.Close()
	// The same mem bucket, from the parent Env, after the writer closed
	// its handle; the prefix is part of the key in the bucket.
	whole, err := e.OpenBucket(ctx, "mem://out")
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	if got, err := whole.ReadAll(ctx, "release/v1/model.json"); err != nil || string(got) != "m" {
		t.Errorf("mem://out release/v1/model.json = %q, %v", got, err)
	}
	other, _ := e.OpenBucket(ctx, "mem://elsewhere")
	defer other.Close()
	if ok, _ := other.Exists(ctx, "release/v1/model.json"); ok {
		t.Errorf("mem:// buckets with different names share keys")
	}
}

func TestOpenBucketGCS(t *testing.T) {
	srv := gcstest.Start(t)
	ctx := context.Background()
	e := newEnv(t)
	b, err := e.OpenBucket(ctx, srv.URL()+"/privacy-models/privacy-intent")
	if err != nil {
		t.Fatal(err)
	}
	writeKey(t, b, "v1/model.json", "m")
	b.Close()
	raw, err := blob.OpenBucket(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if got, err := raw.ReadAll(ctx, "privacy-models/privacy-intent/v1/model.json"); err != nil || string(got) != "m" {
		t.Errorf("object under the prefix = %q, %v", got, err)
	}
}

func TestWarnProgressParallelism(t *testing.T) {
	e := newEnv(t)
	var warned, progressed []string
	step := e.ForStep(nil,
		func(summary, detail string) { warned = append(warned, summary+"|"+detail) },
		func(done, total int64, note string) {
			progressed = append(progressed, note)
		})
	step.Warn("Model did not converge", "Raise max_iter.")
	step.Progress(1, 5, "fold 1/5")
	if len(warned) != 1 || warned[0] != "Model did not converge|Raise max_iter." {
		t.Errorf("warnings = %q", warned)
	}
	if len(progressed) != 1 || progressed[0] != "fold 1/5" {
		t.Errorf("progress = %q", progressed)
	}
	if step.Parallelism() != 3 {
		t.Errorf("Parallelism = %d, want 3", step.Parallelism())
	}
	// The parent has neither: warnings go to its logger, progress nowhere.
	var logs bytes.Buffer
	quiet := New(Config{Store: e.Store(), Dir: e.Dir(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	quiet.Warn("Rows skipped", "3 rows")
	quiet.Progress(1, 2, "x")
	if !strings.Contains(logs.String(), "Rows skipped") {
		t.Errorf("warning not logged: %q", logs.String())
	}
	if quiet.Parallelism() < 1 {
		t.Errorf("default Parallelism = %d", quiet.Parallelism())
	}
}
