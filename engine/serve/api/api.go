package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pipe-ml/pipe/engine/serve/access"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/serve/resources"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
	"github.com/pipe-ml/pipe/steps"
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
	// Dir is the pipeline folder, absolute: paths inside it are shown
	// relative to it (Public).
	Dir string
	// Follow follows the apply in progress (applies.Applier.Follow), for
	// the run pages' live updates; Stopping is closed when serve stops.
	Follow   func() (<-chan *applies.Progress, func())
	Stopping func() <-chan struct{}
	// Kinds describe the artifacts they make (steps.Summarizer): what a
	// report holds, which plot pictures it.
	Kinds *steps.Catalog
	// Token is serve's access token, nil without one: /readyz shows why a
	// check failed only to callers that carry it.
	Token *access.Token
	Log   *slog.Logger
}

// API answers the JSON endpoints, /healthz, /readyz and /artifacts.
type API struct {
	opts      Options
	public    Public
	summaries summaryCache
}

// New returns the API; Register mounts it.
func New(opts Options) *API { return &API{opts: opts, public: Public{Dir: opts.Dir}} }

// Public is how the API shows paths; the page shows them the same way.
func (a *API) Public() Public { return a.public }

// Register adds the API's endpoints to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathHealth, a.handleHealth)
	mux.HandleFunc("GET "+PathReady, a.handleReady)
	mux.HandleFunc("GET /api/status", a.handleStatus)
	mux.HandleFunc("GET /api/runs", a.handleRuns)
	mux.HandleFunc("GET /api/runs/{id}", a.handleRun)
	mux.HandleFunc("GET /api/runs/{id}/events", a.handleEvents)
	mux.HandleFunc("GET /api/models", a.handleModels)
	mux.HandleFunc("GET /api/models/{name}", a.handleModel)
	mux.HandleFunc("GET /api/lineage", a.handleLineage)
	mux.HandleFunc("GET /artifacts/{digest}", a.handleArtifact)
}

// Methods answers, before next (the mux), a request under /api/ with a
// method other than GET or HEAD: a JSON 405, where ServeMux's own would be
// text.
func (a *API) Methods(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") && r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			a.WriteError(w, http.StatusMethodNotAllowed, fmt.Errorf("the API only answers GET; %s is not allowed", Echo(r.Method)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
}

// WriteJSON writes v as the JSON body of a response. It encodes values;
// it never edits the encoded text: what must not be shown is kept out of
// the values (Public, and the engine's redaction of sensitive values
// where they are recorded).
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
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// WriteError writes err as the JSON body {"error": "..."}.
func (a *API) WriteError(w http.ResponseWriter, code int, err error) {
	a.WriteJSON(w, code, apiError{Error: err.Error()})
}

func (a *API) handleStatus(w http.ResponseWriter, r *http.Request) {
	a.WriteJSON(w, http.StatusOK, a.Status())
}
