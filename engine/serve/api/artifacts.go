package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/resources"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// maxArtifact caps what serve reads of an artifact into memory, to check
// it before sending or to describe it: reports and plots are kilobytes.
const maxArtifact = 32 << 20

// mediaPNG is the one kind of image serve links to and sends: it checks
// that the bytes are a PNG (pngMagic) before sending them.
const mediaPNG = "image/png"

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// summaryCache remembers what the kinds said of each artifact.
// Artifacts are content-addressed, so an entry never goes stale.
type summaryCache struct {
	mu sync.Mutex
	m  map[string]*steps.Summary // nil value: no kind describes it
}

// Summary returns what the kind that made an artifact says it holds
// (steps.Catalog.Summarize, with the media type the registry recorded),
// or nil when no kind describes it.
func (a *API) Summary(ctx context.Context, digest string) (*steps.Summary, error) {
	a.summaries.mu.Lock()
	s, ok := a.summaries.m[digest]
	a.summaries.mu.Unlock()
	if ok {
		return s, nil
	}
	mediaType, err := a.mediaType(ctx, digest)
	if err != nil {
		return nil, err
	}
	b, err := a.readArtifact(ctx, digest)
	if err != nil {
		return nil, err
	}
	if s, err = a.opts.Kinds.Summarize(mediaType, b); err != nil {
		return nil, err
	}
	a.summaries.mu.Lock()
	if a.summaries.m == nil {
		a.summaries.m = map[string]*steps.Summary{}
	}
	a.summaries.m[digest] = s
	a.summaries.mu.Unlock()
	return s, nil
}

// Plot returns the image of a summary that serve shows: the first PNG
// with a well-formed digest, or nil.
func Plot(s *steps.Summary) *steps.Image {
	if s == nil {
		return nil
	}
	for i, img := range s.Images {
		if img.MediaType == mediaPNG && steps.ValidDigest(img.Digest) {
			return &s.Images[i]
		}
	}
	return nil
}

// mediaType is the media type the registry recorded for an artifact.
func (a *API) mediaType(ctx context.Context, digest string) (string, error) {
	var mediaType string
	err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) error {
		info, err := db.Artifact(ctx, digest)
		if err == nil {
			mediaType = info.MediaType
		}
		return err
	})
	return mediaType, err
}

// readArtifact reads a whole object from the store, checking its size
// first and its digest as it reads.
func (a *API) readArtifact(ctx context.Context, digest string) ([]byte, error) {
	var b []byte
	err := a.opts.Resources.WithStore(ctx, func(st *store.Store) error {
		size, err := st.Stat(ctx, digest)
		if err != nil {
			return err
		}
		if size > maxArtifact {
			return fmt.Errorf("serve: artifact %s is %d bytes, more than the %d serve shows", digest, size, maxArtifact)
		}
		b, err = st.ReadAll(ctx, digest)
		return err
	})
	return b, err
}

// reportDigests returns the report of every model version.
func (a *API) reportDigests(ctx context.Context) (map[string]bool, error) {
	page, err := a.Models(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, m := range page.Models {
		for _, v := range m.Versions {
			if v.ReportDigest != "" {
				out[v.ReportDigest] = true
			}
		}
	}
	return out, nil
}

// sentAs is the Content-Type a report is sent with: its media type, but
// application/json for a JSON-based one (a "+json" suffix), so that a
// browser shows it.
func sentAs(mediaType string) string {
	base, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return "application/octet-stream"
	}
	if strings.HasSuffix(base, "+json") {
		return "application/json"
	}
	return base
}

// artifactType returns the Content-Type serve sends an artifact with, or
// "" when it is neither a model version's report nor the plot of one.
func (a *API) artifactType(ctx context.Context, digest string) (string, error) {
	reports, err := a.reportDigests(ctx)
	if err != nil {
		return "", err
	}
	if reports[digest] {
		mediaType, err := a.mediaType(ctx, digest)
		return sentAs(mediaType), err
	}
	for _, rep := range slices.Sorted(maps.Keys(reports)) {
		s, err := a.Summary(ctx, rep)
		if err != nil {
			a.opts.Log.Warn("reading a report for its plot", "report", rep, "error", err)
			continue
		}
		if p := Plot(s); p != nil && p.Digest == digest {
			return mediaPNG, nil
		}
	}
	return "", nil
}

// handleArtifact serves a model version's report, or the PNG plot its
// summary links, and nothing else.
func (a *API) handleArtifact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	digest := r.PathValue("digest")
	if !steps.ValidDigest(digest) {
		a.WriteError(w, http.StatusBadRequest, fmt.Errorf("%s is not a digest: want sha256: and 64 lowercase hex digits", Echo(digest)))
		return
	}
	contentType, err := a.artifactType(ctx, digest)
	if err != nil {
		a.registryError(w, err)
		return
	}
	if contentType == "" {
		a.WriteError(w, http.StatusNotFound, fmt.Errorf("%s is not a model version's report or the plot of one; serve shows nothing else", digest))
		return
	}
	b, err := a.readArtifact(ctx, digest)
	switch {
	case errors.Is(err, resources.ErrNotLoaded):
		a.WriteError(w, http.StatusServiceUnavailable, err)
		return
	case errors.Is(err, store.ErrNotFound):
		a.WriteError(w, http.StatusNotFound, fmt.Errorf("%s is not in the store (or failed its digest check)", digest))
		return
	case err != nil:
		a.WriteError(w, http.StatusBadGateway, err)
		return
	}
	if contentType == mediaPNG && !bytes.HasPrefix(b, pngMagic) {
		a.WriteError(w, http.StatusNotFound, fmt.Errorf("%s is not a PNG image", digest))
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+digest+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(b)
}
