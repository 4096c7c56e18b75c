package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/engine/redact"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/resources"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
)

// Paths serve answers on. The Kubernetes probes use the first two.
const (
	PathHealth  = "/healthz"
	PathReady   = "/readyz"
	PathMetrics = "/metrics"
)

// Options configure the API.
type Options struct {
	// Resources give the registry and the store the answers are read from.
	Resources *resources.Resources
	// Status returns the server's state (engine/serve gathers it).
	Status func() Status
	// Snapshot returns the last load of the pipeline, or nil before the
	// first.
	Snapshot func() *snapshot.Snapshot
	// Closing reports whether serve is shutting down.
	Closing func() bool
	// Secrets returns the redactor in force for what is written.
	Secrets func() *redact.Redactor
	Log     *slog.Logger
}

// API answers the JSON endpoints, /healthz, /readyz and /artifacts.
type API struct {
	opts    Options
	reports reportCache
}

// New returns the API; Register mounts it.
func New(opts Options) *API { return &API{opts: opts} }

// Register adds the API's endpoints to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathHealth, a.handleHealth)
	mux.HandleFunc("GET "+PathReady, a.handleReady)
	mux.HandleFunc("GET /api/status", a.handleStatus)
	mux.HandleFunc("GET /api/runs", a.handleRuns)
	mux.HandleFunc("GET /api/runs/{id}", a.handleRun)
	mux.HandleFunc("GET /api/models", a.handleModels)
	mux.HandleFunc("GET /api/lineage", a.handleLineage)
	mux.HandleFunc("GET /artifacts/{digest}", a.handleArtifact)
}

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
}

// WriteJSON writes v as the JSON body of a response, with the values of
// sensitive variables redacted: the registry's runs keep step errors as
// the steps wrote them.
func (a *API) WriteJSON(w http.ResponseWriter, code int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		a.opts.Log.Error("encoding a response", "error", err)
		http.Error(w, "the response failed to encode; see the logs", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(a.opts.Secrets().JSON(b.Bytes()))
}

// WriteError writes err as the JSON body {"error": "..."}.
func (a *API) WriteError(w http.ResponseWriter, code int, err error) {
	a.WriteJSON(w, code, apiError{Error: err.Error()})
}

// registryError maps an error from the registry to a status: 503 while no
// registry is known, 404 for a thing that is not there, else 500.
func (a *API) registryError(w http.ResponseWriter, err error) {
	msg := err.Error()
	switch {
	case errors.Is(err, resources.ErrNotLoaded):
		a.WriteError(w, http.StatusServiceUnavailable, err)
	case strings.HasPrefix(msg, "registry: no ") || strings.Contains(msg, "is not a") || strings.Contains(msg, "has no "):
		a.WriteError(w, http.StatusNotFound, err)
	default:
		a.WriteError(w, http.StatusInternalServerError, err)
	}
}

func (a *API) handleStatus(w http.ResponseWriter, r *http.Request) {
	a.WriteJSON(w, http.StatusOK, a.opts.Status())
}

// maxRuns caps ?limit.
const maxRuns = 1000

// RunsPage is the body of /api/runs.
type RunsPage struct {
	Runs []registry.Run `json:"runs"`
}

func (a *API) handleRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRuns {
			a.WriteError(w, http.StatusBadRequest, fmt.Errorf("limit must be a whole number from 1 to %d, not %q", maxRuns, v))
			return
		}
		limit = n
	}
	var page RunsPage
	err := a.opts.Resources.WithRegistry(r.Context(), func(db *registry.DB) error {
		var err error
		page.Runs, err = db.Runs(r.Context(), registry.RunFilter{Pipeline: q.Get("pipeline"), Status: q.Get("status"), Limit: limit})
		return err
	})
	if err != nil {
		a.registryError(w, err)
		return
	}
	if page.Runs == nil {
		page.Runs = []registry.Run{}
	}
	a.WriteJSON(w, http.StatusOK, page)
}

func (a *API) handleRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		a.WriteError(w, http.StatusBadRequest, fmt.Errorf("run ID %q is not a positive whole number", r.PathValue("id")))
		return
	}
	var d *registry.RunDetail
	err = a.opts.Resources.WithRegistry(r.Context(), func(db *registry.DB) error {
		var err error
		d, err = db.Run(r.Context(), id)
		return err
	})
	if err != nil {
		a.registryError(w, err)
		return
	}
	a.WriteJSON(w, http.StatusOK, d)
}

// ModelsPage is the body of /api/models.
type ModelsPage struct {
	Models []registry.ModelDetail `json:"models"`
}

// Models reads every model with its versions and aliases.
func (a *API) Models(ctx context.Context) (ModelsPage, error) {
	page := ModelsPage{Models: []registry.ModelDetail{}}
	err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) error {
		sums, err := db.Models(ctx)
		if err != nil {
			return err
		}
		for _, sum := range sums {
			d, err := db.Model(ctx, sum.Name)
			if err != nil {
				return err
			}
			page.Models = append(page.Models, *d)
		}
		return nil
	})
	return page, err
}

func (a *API) handleModels(w http.ResponseWriter, r *http.Request) {
	page, err := a.Models(r.Context())
	if err != nil {
		a.registryError(w, err)
		return
	}
	a.WriteJSON(w, http.StatusOK, page)
}

func (a *API) handleLineage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ref := q.Get("ref")
	if ref == "" {
		a.WriteError(w, http.StatusBadRequest, errors.New("name what to trace: ?ref=NAME@ALIAS, NAME@VERSION, a file path or a digest"))
		return
	}
	dir := q.Get("direction")
	if dir != "" && dir != "upstream" && dir != "downstream" {
		a.WriteError(w, http.StatusBadRequest, fmt.Errorf("direction is upstream (the default) or downstream, not %q", dir))
		return
	}
	var g *registry.Graph
	err := a.opts.Resources.WithRegistry(r.Context(), func(db *registry.DB) error {
		var err error
		if dir == "downstream" {
			g, err = db.Downstream(r.Context(), ref, nil)
		} else {
			g, err = db.Upstream(r.Context(), ref, nil)
		}
		return err
	})
	if err != nil {
		a.registryError(w, err)
		return
	}
	a.WriteJSON(w, http.StatusOK, g)
}
