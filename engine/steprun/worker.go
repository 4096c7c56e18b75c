package steprun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/stepenv"
	"github.com/pipe-ml/pipe/engine/stepinput"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// Work is what a worker (`pipe step exec`) is asked to do.
type Work struct {
	// Store holds the step-input document, the step's inputs, and
	// receives its outputs.
	Store *store.Store
	Kinds *steps.Catalog
	// PipeVersion is the worker's: the document's must be the same.
	PipeVersion string
	// Input is the document's digest.
	Input string
	// Shard is the shard to run, or -1 for the whole step.
	Shard int
	// Dir is where the step's relative paths are (input files, local
	// destinations): the worker's working folder.
	Dir         string
	Logger      *slog.Logger
	Parallelism int
	// Progress and Warn receive the step's progress and warnings; nil
	// drops them (the entry keeps the warnings).
	Progress func(done, total int64, note string)
	Warn     func(string)
}

// Worked says what a worker did.
type Worked struct {
	// Step is the step's address, from the document ("" when the
	// document could not be read).
	Step string
	// Key is the step's cache key.
	Key string
	// Done is true when the entry (or the shard's partial result) was
	// already in the store, so nothing ran.
	Done bool
}

// Exec runs the step (or one shard of it) from its step-input document,
// unless what it would make is already in the store. It fails with a
// *stepinput.Refusal when the document cannot be run here (another pipe
// version, a tampered or missing document, other input files), with
// Run's errors when the step fails, and with the store's otherwise.
func Exec(ctx context.Context, w Work) (*Worked, error) {
	doc, err := stepinput.Get(ctx, w.Store, w.Input)
	if err != nil {
		return &Worked{}, err
	}
	done := &Worked{Step: doc.Step, Key: doc.Key}
	checked, err := doc.Check(w.Kinds, w.PipeVersion, w.Dir)
	if err != nil {
		return done, err
	}
	if w.Shard >= 0 && (doc.Shards < 2 || w.Shard >= doc.Shards) {
		return done, &stepinput.Refusal{Reason: fmt.Sprintf("%s runs as %d shards, so it has no shard %d", doc.Step, max(1, doc.Shards), w.Shard)}
	}
	// The step is done when its entry is there, whichever shard asks.
	if entry, _, err := cache.Lookup(ctx, w.Store, doc.Key); err != nil || entry != nil {
		done.Done = entry != nil
		return done, err
	}
	if err := checkFiles(doc.Step, checked.Files); err != nil {
		return done, err
	}
	s := &Step{
		Kind: checked.Kind, Config: checked.Config, Files: checked.Files, Dir: w.Dir, Explanations: doc.Explanations,
		Preimage: checked.Preimage, Pipeline: doc.Pipeline, Addr: doc.Step, PipeVersion: w.PipeVersion, Shards: doc.Shards,
	}
	// The coordinator confined every path of the configuration to the
	// pipeline's roots before it wrote the document (whose digest this
	// worker was given); the worker has no pipeline to know those roots.
	roots := confine.Unknown(w.Dir)
	env := stepenv.New(stepenv.Config{Store: w.Store, Dir: w.Dir, Roots: roots, Logger: w.Logger, Parallelism: w.Parallelism, Progress: w.Progress})
	logger := w.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := Options{Env: env.ForStep(logger.With("step", doc.Step), nil, nil), Warn: w.Warn}
	if w.Shard < 0 {
		_, err = Run(ctx, s, o)
		return done, err
	}
	r := newRun(s, o)
	if _, ok, err := r.partial(ctx, w.Shard); err != nil || ok {
		done.Done = ok
		return done, err
	}
	_, err = r.shard(ctx, s.Kind.(steps.Sharder), w.Shard)
	return done, err
}

// checkFiles checks that the worker sees the input files the coordinator
// hashed into the key.
func checkFiles(step string, files []steps.File) error {
	for _, f := range files {
		digest, err := fileDigest(f.Abs)
		if err != nil {
			return &stepinput.Refusal{Reason: fmt.Sprintf("%s reads %s, which this worker cannot read (%v): a step that reads local files runs where they are, on the coordinator, or on workers that mount them at the same path", step, f.Path, err)}
		}
		if digest != f.Digest {
			return &stepinput.Refusal{Reason: fmt.Sprintf("%s reads %s, whose content here (%s) is not the coordinator's (%s): mount the same files on the workers", step, f.Path, digest, f.Digest)}
		}
	}
	return nil
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
