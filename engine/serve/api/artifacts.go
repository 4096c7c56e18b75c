package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/pipe-ml/pipe/engine/serve/resources"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// maxArtifact caps what /artifacts reads into memory to check before
// sending: reports and plots are kilobytes.
const maxArtifact = 32 << 20

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// PlotRef is the plot a report names:
//
//	"plot": {"digest": "sha256:...", "media_type": "image/png"}
type PlotRef struct {
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
}

// reportCache remembers the plot each report names. Reports are
// content-addressed, so an entry never goes stale.
type reportCache struct {
	mu    sync.Mutex
	plots map[string]*PlotRef // nil value: the report names no plot
}

// PlotOf returns the PNG plot the report with this digest names, or nil.
func (a *API) PlotOf(ctx context.Context, report string) (*PlotRef, error) {
	a.reports.mu.Lock()
	p, ok := a.reports.plots[report]
	a.reports.mu.Unlock()
	if ok {
		return p, nil
	}
	b, err := a.readArtifact(ctx, report)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Plot *PlotRef `json:"plot"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("serve: report %s is not JSON: %w", report, err)
	}
	p = doc.Plot
	if p != nil && (!steps.ValidDigest(p.Digest) || p.MediaType != steps.MediaPNG) {
		p = nil
	}
	a.reports.mu.Lock()
	if a.reports.plots == nil {
		a.reports.plots = map[string]*PlotRef{}
	}
	a.reports.plots[report] = p
	a.reports.mu.Unlock()
	return p, nil
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

// handleArtifact serves a model version's report, or the PNG plot a report
// names, and nothing else.
func (a *API) handleArtifact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	digest := r.PathValue("digest")
	if !steps.ValidDigest(digest) {
		a.WriteError(w, http.StatusBadRequest, fmt.Errorf("%s is not a digest: want sha256: and 64 lowercase hex digits", Echo(digest)))
		return
	}
	reports, err := a.reportDigests(ctx)
	if err != nil {
		a.registryError(w, err)
		return
	}
	mediaType := ""
	if reports[digest] {
		mediaType = "application/json"
	} else {
		for _, rep := range slices.Sorted(maps.Keys(reports)) {
			p, err := a.PlotOf(ctx, rep)
			if err != nil {
				a.opts.Log.Warn("reading a report for its plot", "report", rep, "error", err)
				continue
			}
			if p != nil && p.Digest == digest {
				mediaType = steps.MediaPNG
				break
			}
		}
	}
	if mediaType == "" {
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
	if mediaType == steps.MediaPNG && !bytes.HasPrefix(b, pngMagic) {
		a.WriteError(w, http.StatusNotFound, fmt.Errorf("%s is not a PNG image", digest))
		return
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+digest+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(b)
}
