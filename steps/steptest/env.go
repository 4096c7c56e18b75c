package steptest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/stepenv"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// Env is a steps.Env for tests: the engine's stepenv.Env over a mem://
// store, recording the warnings and progress reports of the steps run in
// it. Its helper methods fail the test on error.
type Env struct {
	*stepenv.Env
	t testing.TB

	mu       sync.Mutex
	warnings []Warning
	reports  []Report
}

// Warning is one call of Env.Warn.
type Warning struct {
	Summary, Detail string
}

// Report is one call of Env.Progress.
type Report struct {
	Done, Total int64
	Note        string
}

// Option changes how NewEnv builds an Env.
type Option func(*options)

type options struct {
	dir         string
	parallelism int
	local       bool
	onProgress  func(done, total int64, note string)
}

// Parallelism sets Env.Parallelism (default 2).
func Parallelism(n int) Option { return func(o *options) { o.parallelism = n } }

// Dir sets the pipeline folder (default a new t.TempDir()).
func Dir(dir string) Option { return func(o *options) { o.dir = dir } }

// LocalStore puts the store in a local folder (file://, in a new
// t.TempDir()) instead of memory, so that steps read datasets in place
// from memory maps of its files, as they do in a pipeline.
func LocalStore() Option { return func(o *options) { o.local = true } }

// EachStore runs f in a subtest for each kind of store a step reads
// datasets from, with a new Env over it (opts and the store's): "memory"
// (mem://, datasets read into memory) and "mapped" (a local folder,
// datasets mapped in place: LocalStore).
func EachStore(t *testing.T, f func(t *testing.T, env *Env), opts ...Option) {
	t.Helper()
	for _, s := range []struct {
		name string
		opts []Option
	}{{"memory", nil}, {"mapped", []Option{LocalStore()}}} {
		t.Run(s.name, func(t *testing.T) { f(t, NewEnv(t, append(s.opts, opts...)...)) })
	}
}

// OnProgress calls f on every progress report of a step, after recording
// it: a test can act while a step runs (truncate a file it reads, cancel).
func OnProgress(f func(done, total int64, note string)) Option {
	return func(o *options) { o.onProgress = f }
}

// NewEnv returns an Env over a new mem:// store (or a local one, see
// LocalStore). The store is closed when the test ends.
func NewEnv(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{parallelism: 2}
	for _, f := range opts {
		f(&o)
	}
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		t.Fatalf("steptest: %v", err)
	}
	url := "mem://"
	if o.local {
		url = "file://" + filepath.ToSlash(t.TempDir())
	}
	s, err := store.Open(context.Background(), url, dir)
	if err != nil {
		t.Fatalf("steptest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e := &Env{t: t}
	e.Env = stepenv.New(stepenv.Config{
		Store:       s,
		Dir:         dir,
		Logger:      testLogger(t),
		Parallelism: o.parallelism,
		Warn: func(summary, detail string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.warnings = append(e.warnings, Warning{summary, detail})
		},
		Progress: func(done, total int64, note string) {
			e.mu.Lock()
			e.reports = append(e.reports, Report{done, total, note})
			e.mu.Unlock()
			if o.onProgress != nil {
				o.onProgress(done, total, note)
			}
		},
	})
	return e
}

// Warnings returns the warnings recorded so far, in order.
func (e *Env) Warnings() []Warning {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Warning(nil), e.warnings...)
}

// Reports returns the progress reports recorded so far, in order.
func (e *Env) Reports() []Report {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Report(nil), e.reports...)
}

// Put stores data as an artifact, as a step would, and returns it.
func (e *Env) Put(mediaType string, data []byte) steps.Artifact {
	e.t.Helper()
	a, err := e.Store().PutBytes(context.Background(), mediaType, data)
	if err != nil {
		e.t.Fatalf("steptest: storing an artifact: %v", err)
	}
	return a
}

// PutWith stores what write produces as an artifact and returns it.
func (e *Env) PutWith(mediaType string, write func(w io.Writer) error) steps.Artifact {
	e.t.Helper()
	a, err := e.PutArtifact(context.Background(), mediaType, write)
	if err != nil {
		e.t.Fatalf("steptest: storing an artifact: %v", err)
	}
	return a
}

// Read returns the content of an artifact value (of steps.ArtifactType),
// such as an output of Run, checked against its digest.
func (e *Env) Read(v cty.Value) []byte {
	e.t.Helper()
	a, err := steps.ArtifactFromValue(v)
	if err != nil {
		e.t.Fatalf("steptest: %v", err)
	}
	b, err := e.ReadArtifact(context.Background(), a)
	if err != nil {
		e.t.Fatalf("steptest: reading %s: %v", a, err)
	}
	return b
}

// WriteFile writes a file under the pipeline folder, creating folders,
// and returns its absolute path. rel uses forward slashes.
func (e *Env) WriteFile(rel string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.Dir(), filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		e.t.Fatalf("steptest: %v", err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		e.t.Fatalf("steptest: %v", err)
	}
	return p
}
