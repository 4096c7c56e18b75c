package api

import (
	"time"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/serve/applies"
)

// Status is the body of /api/status: the server's state, as engine/serve
// gathers it from the last load, the triggers and the applies.
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
	Current   *applies.Progress `json:"current,omitempty"`
	LastCheck *applies.Check    `json:"last_check,omitempty"`
	// InProgress is true while this server or another process applies.
	InProgress  bool   `json:"in_progress"`
	PipeVersion string `json:"pipe_version"`
}
