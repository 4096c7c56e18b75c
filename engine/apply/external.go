package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/store"
)

// A step taken from the cache does not run, so the files it wrote
// outside the store when it ran (predict's to file, publish's version
// folder) are not written again by it: on another machine sharing the
// store, or after someone deleted them, they would be missing. So on a
// cache hit each file the entry lists is checked against its artifact's
// digest, and written again from the store when it is missing or
// different, as `dvc checkout` does; a step_restored event says so. Local
// files are checked through the stat cache (a file that has not changed
// costs a stat); remote ones are read and hashed when their size matches.

// restoreExternal checks the files a cached step wrote outside the store
// and writes again those that are missing or different.
func (a *applier) restoreExternal(ctx context.Context, ps *plan.Step, files []cache.External) error {
	for _, f := range files {
		why, err := a.externalState(ctx, f)
		if err != nil {
			return fmt.Errorf("apply: checking %s: %w", externalPath(f), err)
		}
		if why == "" {
			continue
		}
		if err := a.writeExternal(ctx, f); err != nil {
			return fmt.Errorf("apply: restoring %s from the store: %w", externalPath(f), err)
		}
		a.opts.Events(Event{Type: StepRestored, Time: a.now(), Step: ps.Addr.String(), Kind: ps.Kind.Name(),
			File: externalPath(f), Note: why})
	}
	return nil
}

// externalPath names an external file for a person: its folder as the
// pipeline names it, and its name.
func externalPath(f cache.External) string {
	folder := strings.TrimSuffix(f.Folder, "/")
	if folder == "" || folder == "." {
		return f.Name
	}
	return folder + "/" + f.Name
}

// externalState says why the file must be written again ("missing",
// "different"), or "" when it holds the artifact's bytes.
func (a *applier) externalState(ctx context.Context, f cache.External) (string, error) {
	loc, err := store.ParseLocation(f.Folder, a.opts.Plan.Pipeline.Config.Dir)
	if err != nil {
		return "", err
	}
	if loc.Scheme == "file" {
		p := filepath.Join(loc.Dir, filepath.FromSlash(f.Name))
		if err := a.env.Roots().Check(p); err != nil {
			return "", err
		}
		digest, _, err := a.opts.Files.Digest(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "missing", nil
		case err != nil:
			return "", err
		case digest != f.Digest:
			return "different", nil
		}
		return "", nil
	}
	b, err := a.env.OpenBucket(ctx, f.Folder)
	if err != nil {
		return "", err
	}
	defer b.Close()
	attrs, err := b.Attributes(ctx, f.Name)
	switch {
	case gcerrors.Code(err) == gcerrors.NotFound:
		return "missing", nil
	case err != nil:
		return "", err
	case attrs.Size != f.Size:
		return "different", nil
	}
	r, err := b.NewReader(ctx, f.Name, nil)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	if "sha256:"+hex.EncodeToString(h.Sum(nil)) != f.Digest {
		return "different", nil
	}
	return "", nil
}

// writeExternal writes the file from its artifact in the store: whole,
// or, on any error, not at all.
func (a *applier) writeExternal(ctx context.Context, f cache.External) error {
	src, err := a.opts.Store.Open(ctx, f.Digest)
	if err != nil {
		return err
	}
	defer src.Close()
	b, err := a.env.OpenBucket(ctx, f.Folder)
	if err != nil {
		return err
	}
	defer b.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(wctx, f.Name, &blob.WriterOptions{ContentType: f.MediaType})
	if err != nil {
		return err
	}
	// The store's reader checks the digest at the end: a corrupt object
	// fails the copy, and the file is abandoned.
	if _, err := io.Copy(w, src); err != nil {
		cancel()
		_ = w.Close()
		return err
	}
	return w.Close()
}
