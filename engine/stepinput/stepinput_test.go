package stepinput_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/filehash"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/signing"
	. "github.com/pipe-ml/pipe/engine/stepinput"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps"
)

const pipelineSrc = `
pipeline "p" {}
variable "token" {
  default   = "hunter2-secret"
  sensitive = true
}
source "in" {
  path = "data/*.txt"
}
transform "t" {
  input  = source.in.data
  factor = 3
  sleep  = "1ms"
}
combine "c" {
  inputs = [source.in.data, transform.t.out]
  params = { C = [0.001, 1e2], penalty = "l1", nested = { deep = [true, null] }, n = null }
}
combine "secret" {
  inputs = [source.in.data]
  params = { token = var.token }
}
`

type fixture struct {
	dir   string
	store *store.Store
	kinds *steps.Catalog
	plan  *plan.Plan
}

// applied is a pipeline applied once and planned again, so that every
// step's configuration and key are known.
func applied(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.WriteFile(filepath.Join(dir, "data", "a.txt"), []byte("a\nb\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(pipelineSrc), 0o644)
	s, err := store.Open(ctx, "file://.pipe/store", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{dir: dir, store: s, kinds: testkinds.Catalog(nil)}
	files := filehash.New(filepath.Join(dir, ".pipe"), &filehash.Settings{RacyWindow: time.Nanosecond})
	for range 2 {
		p, diags := pipeline.Load(pipeline.Options{Path: dir, Kinds: f.kinds})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		keys := func() (*signing.Key, error) { return signing.Local(filepath.Join(dir, ".pipe")) }
		pl, diags := plan.Make(ctx, plan.Options{Pipeline: p, Store: s, Files: files, Keys: keys})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		f.plan = pl
		res, err := apply.Execute(ctx, apply.Options{Plan: pl, Store: s, Files: files})
		if err != nil || res.Status() != "succeeded" {
			t.Fatalf("apply: %v %v", err, res.Diagnostics)
		}
	}
	return f
}

func (f *fixture) build(t *testing.T, addr string) *Document {
	t.Helper()
	for _, ps := range f.plan.Steps {
		if ps.Addr.String() == addr {
			d, err := Build(&Step{Kind: ps.Kind, Config: ps.Config, Files: ps.Files, Key: ps.Key, Pipeline: "p", Addr: addr}, "v1.2.3")
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	t.Fatalf("no step %s", addr)
	return nil
}

// What the coordinator writes, the worker reads back and accepts with the
// same key: every attribute, keyed or not, null, nested, numbers exact.
func TestRoundTrip(t *testing.T) {
	f := applied(t)
	ctx := context.Background()
	for _, addr := range []string{"source.in", "transform.t", "combine.c"} {
		d := f.build(t, addr)
		digest, err := Put(ctx, f.store, d)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := Put(ctx, f.store, f.build(t, addr))
		if again != digest {
			t.Errorf("%s: the same document has two digests", addr)
		}
		got, err := Get(ctx, f.store, digest)
		if err != nil {
			t.Fatal(err)
		}
		c, err := got.Check(f.kinds, "v1.2.3", f.dir)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if c.Preimage.Key() != d.Key {
			t.Errorf("%s: key %s, want %s", addr, c.Preimage.Key(), d.Key)
		}
		if addr == "transform.t" && c.Config.GetAttr("sleep").AsString() != "1ms" {
			t.Errorf("an attribute that is not keyed did not travel: %#v", c.Config.GetAttr("sleep"))
		}
		if addr == "source.in" && (len(c.Files) != 1 || c.Files[0].Abs != filepath.Join(f.dir, "data", "a.txt")) {
			t.Errorf("files: %+v", c.Files)
		}
		if addr == "combine.c" && len(got.Inputs) != 2 {
			t.Errorf("inputs: %v", got.Inputs)
		}
	}
}

// A sensitive value is never written to the store: Build refuses the
// step, and no byte of the store holds the value.
func TestSensitiveNeverStored(t *testing.T) {
	f := applied(t)
	var ps *plan.Step
	for _, s := range f.plan.Steps {
		if s.Addr.String() == "combine.secret" {
			ps = s
		}
	}
	_, err := Build(&Step{Kind: ps.Kind, Config: ps.Config, Key: ps.Key, Addr: "combine.secret"}, "v1")
	if err == nil || !strings.Contains(err.Error(), "sensitive value in params") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Build of a sensitive step: %v", err)
	}
	filepath.Walk(filepath.Join(f.dir, ".pipe", "store"), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("hunter2")) {
				t.Errorf("%s holds the sensitive value", path)
			}
		}
		return nil
	})
}

func TestRefusals(t *testing.T) {
	f := applied(t)
	ctx := context.Background()
	refused := func(t *testing.T, err error, want string) {
		t.Helper()
		var r *Refusal
		if !errors.As(err, &r) || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want a refusal saying %q", err, want)
		}
	}
	check := func(d *Document) error {
		digest, err := Put(ctx, f.store, d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Get(ctx, f.store, digest)
		if err != nil {
			return err
		}
		_, err = got.Check(f.kinds, "v1.2.3", f.dir)
		return err
	}

	d := f.build(t, "transform.t")
	d.PipeVersion = "v1.2.2"
	refused(t, check(d), "the coordinator is pipe v1.2.2 and this worker pipe v1.2.3: run workers from the image of the coordinator's version")

	d = f.build(t, "transform.t")
	d.KindVersion = "0"
	refused(t, check(d), "transform kind is version 0 and this worker's 1")

	d = f.build(t, "transform.t")
	d.Kind = "train"
	refused(t, check(d), `no step kind "train"`)

	// Tampered: a value changed, the key left as it was.
	d = f.build(t, "transform.t")
	d.Config["factor"] = d.Config["mode"]
	refused(t, check(d), "does not match its content")
	d = f.build(t, "combine.c")
	d.Inputs = d.Inputs[:1]
	refused(t, check(d), "inputs")
	d = f.build(t, "transform.t")
	delete(d.Config, "sleep")
	refused(t, check(d), "no value for transform.t's attribute sleep")

	// Missing, not a digest, and bytes that are not the digest's.
	_, err := Get(ctx, f.store, "sha256:"+strings.Repeat("0", 64))
	refused(t, err, "is not in the store")
	_, err = Get(ctx, f.store, "latest")
	refused(t, err, "not a digest")
	digest, _ := Put(ctx, f.store, f.build(t, "transform.t"))
	obj := filepath.Join(f.dir, ".pipe", "store", "objects", "sha256", digest[7:9], digest[9:])
	if err := os.WriteFile(obj, bytes.Replace(mustRead(t, obj), []byte(`"factor"`), []byte(`"factoR"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Get(ctx, f.store, digest)
	refused(t, err, "not the one the coordinator wrote")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
