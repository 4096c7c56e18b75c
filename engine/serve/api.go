package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/registry"
)

// routes registers every endpoint.
func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathHealth, s.handleHealth)
	mux.HandleFunc("GET "+PathReady, s.handleReady)
	mux.Handle("GET "+PathMetrics, s.met.handler())
	mux.HandleFunc("GET /api/status", s.handleStatus)
	mux.HandleFunc("GET /api/runs", s.handleRuns)
	mux.HandleFunc("GET /api/runs/{id}", s.handleRun)
	mux.HandleFunc("GET /api/models", s.handleModels)
	mux.HandleFunc("GET /api/lineage", s.handleLineage)
	mux.HandleFunc("GET /artifacts/{digest}", s.handleArtifact)
	mux.HandleFunc("GET /{$}", s.handlePage)
	s.mux = mux
}

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
}

// writeJSON writes v as the JSON body of a response, with the values of
// sensitive variables redacted: the registry's runs keep step errors as
// the steps wrote them.
func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		s.log.Error("encoding a response", "error", err)
		http.Error(w, "the response failed to encode; see the logs", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(s.secrets.Load().JSON(b.Bytes()))
}

func (s *Server) writeError(w http.ResponseWriter, code int, err error) {
	s.writeJSON(w, code, apiError{Error: err.Error()})
}

// registryError maps an error from the registry to a status: 503 while no
// registry is known, 404 for a thing that is not there, else 500.
func (s *Server) registryError(w http.ResponseWriter, err error) {
	msg := err.Error()
	switch {
	case errors.Is(err, errNotLoaded):
		s.writeError(w, http.StatusServiceUnavailable, err)
	case strings.HasPrefix(msg, "registry: no ") || strings.Contains(msg, "is not a") || strings.Contains(msg, "has no "):
		s.writeError(w, http.StatusNotFound, err)
	default:
		s.writeError(w, http.StatusInternalServerError, err)
	}
}

// Status is the body of /api/status.
type Status struct {
	Pipeline string    `json:"pipeline"`
	Dir      string    `json:"dir"`
	Valid    bool      `json:"valid"`
	LoadedAt time.Time `json:"loaded_at,omitzero"`
	// Diagnostics are the last load's, errors and warnings.
	Diagnostics []diagfmt.JSONDiagnostic `json:"diagnostics,omitempty"`
	Watching    []string                 `json:"watching,omitempty"`
	Schedule    string                   `json:"schedule,omitempty"`
	NextRun     time.Time                `json:"next_scheduled,omitzero"`
	// Current is the apply in progress.
	Current   *Progress `json:"current,omitempty"`
	LastCheck *Check    `json:"last_check,omitempty"`
	// InProgress is true while this server or another process applies.
	InProgress  bool   `json:"in_progress"`
	PipeVersion string `json:"pipe_version"`
}

// status gathers the server's state.
func (s *Server) status() Status {
	s.mu.Lock()
	l, check, cur, next, w := s.last, s.check, s.current, s.next, s.watch
	st := Status{Dir: s.dir, Schedule: scheduleString(s.opts.Schedule), NextRun: next, PipeVersion: s.opts.PipeVersion}
	if cur != nil {
		c := *cur
		c.Steps = nil
		for _, p := range cur.Steps {
			cp := *p
			c.Steps = append(c.Steps, &cp)
		}
		st.Current = &c
	}
	if check != nil {
		c := *check
		st.LastCheck = &c
	}
	s.mu.Unlock()
	if l != nil {
		st.Pipeline, st.Valid, st.LoadedAt = l.name, l.valid, l.at
		if len(l.diags) > 0 {
			st.Diagnostics = diagfmt.JSON(diagfmt.Sort(s.redact(l.diags, l)), pipelineSources(l))
		}
	}
	if w != nil {
		st.Watching = w.folders()
	}
	st.InProgress = s.inProgress()
	return st
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, http.StatusOK, s.status())
}

// maxRuns caps ?limit.
const maxRuns = 1000

// RunsPage is the body of /api/runs.
type RunsPage struct {
	Runs []registry.Run `json:"runs"`
}

func (s *Server) handleRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRuns {
			s.writeError(w, http.StatusBadRequest, fmt.Errorf("limit must be a whole number from 1 to %d, not %q", maxRuns, v))
			return
		}
		limit = n
	}
	var page RunsPage
	err := s.withRegistry(r.Context(), func(db *registry.DB) error {
		var err error
		page.Runs, err = db.Runs(r.Context(), registry.RunFilter{Pipeline: q.Get("pipeline"), Status: q.Get("status"), Limit: limit})
		return err
	})
	if err != nil {
		s.registryError(w, err)
		return
	}
	if page.Runs == nil {
		page.Runs = []registry.Run{}
	}
	s.writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.writeError(w, http.StatusBadRequest, fmt.Errorf("run ID %q is not a positive whole number", r.PathValue("id")))
		return
	}
	var d *registry.RunDetail
	err = s.withRegistry(r.Context(), func(db *registry.DB) error {
		var err error
		d, err = db.Run(r.Context(), id)
		return err
	})
	if err != nil {
		s.registryError(w, err)
		return
	}
	s.writeJSON(w, http.StatusOK, d)
}

// ModelsPage is the body of /api/models.
type ModelsPage struct {
	Models []registry.ModelDetail `json:"models"`
}

// models reads every model with its versions and aliases.
func (s *Server) models(r *http.Request) (ModelsPage, error) {
	page := ModelsPage{Models: []registry.ModelDetail{}}
	err := s.withRegistry(r.Context(), func(db *registry.DB) error {
		sums, err := db.Models(r.Context())
		if err != nil {
			return err
		}
		for _, sum := range sums {
			d, err := db.Model(r.Context(), sum.Name)
			if err != nil {
				return err
			}
			page.Models = append(page.Models, *d)
		}
		return nil
	})
	return page, err
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	page, err := s.models(r)
	if err != nil {
		s.registryError(w, err)
		return
	}
	s.writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleLineage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ref := q.Get("ref")
	if ref == "" {
		s.writeError(w, http.StatusBadRequest, errors.New("name what to trace: ?ref=NAME@ALIAS, NAME@VERSION, a file path or a digest"))
		return
	}
	dir := q.Get("direction")
	if dir != "" && dir != "upstream" && dir != "downstream" {
		s.writeError(w, http.StatusBadRequest, fmt.Errorf("direction is upstream (the default) or downstream, not %q", dir))
		return
	}
	var g *registry.Graph
	err := s.withRegistry(r.Context(), func(db *registry.DB) error {
		var err error
		if dir == "downstream" {
			g, err = db.Downstream(r.Context(), ref, nil)
		} else {
			g, err = db.Upstream(r.Context(), ref, nil)
		}
		return err
	})
	if err != nil {
		s.registryError(w, err)
		return
	}
	s.writeJSON(w, http.StatusOK, g)
}
