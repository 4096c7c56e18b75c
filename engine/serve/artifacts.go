package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// maxArtifact caps what /artifacts reads into memory to check before
// sending: reports and plots are kilobytes.
const maxArtifact = 32 << 20

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// plotRef is the plot a report names:
//
//	"plot": {"digest": "sha256:...", "media_type": "image/png"}
type plotRef struct {
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
}

// reportCache remembers the plot each report names. Reports are
// content-addressed, so an entry never goes stale.
type reportCache struct {
	mu    sync.Mutex
	plots map[string]*plotRef // nil value: the report names no plot
}

// plotOf returns the PNG plot the report with this digest names, or nil.
func (s *Server) plotOf(ctx context.Context, report string) (*plotRef, error) {
	s.report.mu.Lock()
	p, ok := s.report.plots[report]
	s.report.mu.Unlock()
	if ok {
		return p, nil
	}
	b, err := s.readArtifact(ctx, report)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Plot *plotRef `json:"plot"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("serve: report %s is not JSON: %w", report, err)
	}
	p = doc.Plot
	if p != nil && (!steps.ValidDigest(p.Digest) || p.MediaType != steps.MediaPNG) {
		p = nil
	}
	s.report.mu.Lock()
	if s.report.plots == nil {
		s.report.plots = map[string]*plotRef{}
	}
	s.report.plots[report] = p
	s.report.mu.Unlock()
	return p, nil
}

// readArtifact reads a whole object from the store, checking its size
// first and its digest as it reads.
func (s *Server) readArtifact(ctx context.Context, digest string) ([]byte, error) {
	var b []byte
	err := s.withStore(ctx, func(st *store.Store) error {
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
func (s *Server) reportDigests(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.withRegistry(ctx, func(db *registry.DB) error {
		sums, err := db.Models(ctx)
		if err != nil {
			return err
		}
		for _, sum := range sums {
			d, err := db.Model(ctx, sum.Name)
			if err != nil {
				return err
			}
			for _, v := range d.Versions {
				if v.ReportDigest != "" {
					out[v.ReportDigest] = true
				}
			}
		}
		return nil
	})
	return out, err
}

// handleArtifact serves a model version's report, or the PNG plot a report
// names, and nothing else.
func (s *Server) handleArtifact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	digest := r.PathValue("digest")
	if !steps.ValidDigest(digest) {
		s.writeError(w, http.StatusBadRequest, fmt.Errorf("%q is not a digest: want sha256: and 64 lowercase hex digits", digest))
		return
	}
	reports, err := s.reportDigests(ctx)
	if err != nil {
		s.registryError(w, err)
		return
	}
	mediaType := ""
	if reports[digest] {
		mediaType = "application/json"
	} else {
		for _, rep := range sortedKeys(reports) {
			p, err := s.plotOf(ctx, rep)
			if err != nil {
				s.log.Warn("reading a report for its plot", "report", rep, "error", err)
				continue
			}
			if p != nil && p.Digest == digest {
				mediaType = steps.MediaPNG
				break
			}
		}
	}
	if mediaType == "" {
		s.writeError(w, http.StatusNotFound, fmt.Errorf("%s is not a model version's report or the plot of one; serve shows nothing else", digest))
		return
	}
	b, err := s.readArtifact(ctx, digest)
	switch {
	case errors.Is(err, errNotLoaded):
		s.writeError(w, http.StatusServiceUnavailable, err)
		return
	case errors.Is(err, store.ErrNotFound):
		s.writeError(w, http.StatusNotFound, fmt.Errorf("%s is not in the store (or failed its digest check)", digest))
		return
	case err != nil:
		s.writeError(w, http.StatusBadGateway, err)
		return
	}
	if mediaType == steps.MediaPNG && !bytes.HasPrefix(b, pngMagic) {
		s.writeError(w, http.StatusNotFound, fmt.Errorf("%s is not a PNG image", digest))
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
