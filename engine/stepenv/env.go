package stepenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// Config is what an Env is built from.
type Config struct {
	// Store holds the artifacts. Required.
	Store *store.Store
	// Dir is the absolute path of the pipeline's folder: relative bucket
	// paths are relative to it. Required.
	Dir string
	// Roots confine the local folders a step opens (OpenBucket); nil
	// confines them to Dir.
	Roots *confine.Roots
	// Logger receives the steps' structured logs. Nil discards them.
	Logger *slog.Logger
	// Parallelism is how many goroutines a step may keep busy. Zero or
	// less means runtime.NumCPU().
	Parallelism int
	// Warn receives the warnings of a step. Nil logs them at level Warn.
	Warn func(summary, detail string)
	// Progress receives a step's progress reports. Nil drops them.
	Progress func(done, total int64, note string)
	// Models is the model registry steps may use (see Env.Models); nil
	// when there is none.
	Models steps.ModelRegistry
	// External receives the files a step wrote outside the store (see
	// Env.WroteExternal); nil drops them.
	External func(steps.ExternalFile)
}

// Env implements steps.Env and steps.ArtifactMapper. It is safe for
// concurrent use.
type Env struct {
	cfg  Config
	mems *memBuckets
	maps *mappings // what the step mapped; its own per ForStep
}

var (
	_ steps.Env            = (*Env)(nil)
	_ steps.ArtifactMapper = (*Env)(nil)
)

// New returns an Env. It panics when cfg.Store is nil or cfg.Dir is empty:
// that is a bug in the engine.
func New(cfg Config) *Env {
	if cfg.Store == nil || cfg.Dir == "" {
		panic("stepenv: Config.Store and Config.Dir are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = runtime.NumCPU()
	}
	return &Env{cfg: cfg, mems: &memBuckets{m: map[string]*blob.Bucket{}}, maps: &mappings{}}
}

// ForStep returns an Env for one step: same store, folder, parallelism and
// mem:// buckets, with its own logger, its own warning and progress
// functions, and its own mapped artifacts (see MapArtifact). A nil
// argument keeps e's.
func (e *Env) ForStep(logger *slog.Logger, warn func(summary, detail string), progress func(done, total int64, note string)) *Env {
	c := e.cfg
	if logger != nil {
		c.Logger = logger
	}
	if warn != nil {
		c.Warn = warn
	}
	if progress != nil {
		c.Progress = progress
	}
	return &Env{cfg: c, mems: e.mems, maps: &mappings{}}
}

// Store is the artifact store.
func (e *Env) Store() *store.Store { return e.cfg.Store }

// Dir is the pipeline's folder.
func (e *Env) Dir() string { return e.cfg.Dir }

// PutArtifact stores what write produces; see store.Store.Put. It first
// waits for the checks of the artifacts the step mapped, and fails with
// the first that failed: nothing computed from bytes that are not the
// artifact's is stored.
func (e *Env) PutArtifact(ctx context.Context, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	if err := e.Verify(ctx); err != nil {
		return steps.Artifact{}, err
	}
	return e.cfg.Store.Put(ctx, mediaType, write)
}

// OpenArtifact opens a for reading; see store.Store.Open. Besides the
// digest, the size is checked against a.Size.
func (e *Env) OpenArtifact(ctx context.Context, a steps.Artifact) (io.ReadCloser, error) {
	r, err := e.cfg.Store.Open(ctx, a.Digest)
	if err != nil {
		return nil, err
	}
	if r.Size() != a.Size {
		r.Close()
		return nil, fmt.Errorf("stepenv: artifact %s is %d bytes in the store, not %d as its value says", a.Digest, r.Size(), a.Size)
	}
	return r, nil
}

// ReadArtifact reads a whole artifact and checks it.
func (e *Env) ReadArtifact(ctx context.Context, a steps.Artifact) ([]byte, error) {
	b, err := e.cfg.Store.ReadAll(ctx, a.Digest)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != a.Size {
		return nil, fmt.Errorf("stepenv: artifact %s is %d bytes in the store, not %d as its value says", a.Digest, len(b), a.Size)
	}
	return b, nil
}

// OpenBucket opens the blob folder named by url; see store.ParseLocation
// for the forms it takes. A relative path, with or without file://, is
// relative to the pipeline's folder; a local folder is created when
// missing, and must be inside the roots (an *confine.EscapeError
// otherwise). For gs:// and s3:// the URL's path is a key prefix inside the
// bucket. A mem://NAME bucket lives as long as the Env and the Envs made
// from it with ForStep, so that what one step writes to mem://out another
// (or a test) can read; closing the returned bucket does not discard it.
// The caller closes the bucket. Like PutArtifact, it first waits for the
// checks of the artifacts the step mapped.
func (e *Env) OpenBucket(ctx context.Context, url string) (*blob.Bucket, error) {
	if err := e.Roots().CheckLocation(url); err != nil {
		return nil, fmt.Errorf("stepenv: %w", err)
	}
	if err := e.Verify(ctx); err != nil {
		return nil, err
	}
	loc, err := store.ParseLocation(url, e.cfg.Dir)
	if err != nil {
		return nil, err
	}
	if loc.Scheme == "mem" {
		return blob.PrefixedBucket(e.mems.get(loc.Bucket), loc.Prefix), nil
	}
	return loc.Open(ctx, nil)
}

// Roots are the folders steps may open: Config.Roots, or Dir alone.
func (e *Env) Roots() *confine.Roots {
	if e.cfg.Roots == nil {
		return confine.New(e.cfg.Dir, nil)
	}
	return e.cfg.Roots
}

// Logger is the step's logger.
func (e *Env) Logger() *slog.Logger { return e.cfg.Logger }

// Warn passes a warning to the Config's Warn function.
func (e *Env) Warn(summary, detail string) {
	if e.cfg.Warn == nil {
		e.cfg.Logger.Warn(summary, "detail", detail)
		return
	}
	e.cfg.Warn(summary, detail)
}

// Progress passes a progress report to the Config's Progress function.
func (e *Env) Progress(done, total int64, note string) {
	if e.cfg.Progress != nil {
		e.cfg.Progress(done, total, note)
	}
}

// Parallelism is how many goroutines a step may keep busy.
func (e *Env) Parallelism() int { return e.cfg.Parallelism }

// memBuckets are the mem:// buckets of an Env and the Envs made from it.
type memBuckets struct {
	mu sync.Mutex
	m  map[string]*blob.Bucket
}

// get returns the bucket with the given name, creating it. The bucket is
// never closed: a memblob bucket holds no resources besides memory, and
// the callers get prefixed views whose Close leaves it intact.
func (m *memBuckets) get(name string) *blob.Bucket {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.m[name]
	if !ok {
		b = memblob.OpenBucket(nil)
		m.m[name] = b
	}
	return b
}
