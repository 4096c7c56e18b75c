package api

import (
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
)

// Status is the body of /api/status: the server's state, as engine/serve
// gathers it from the last load, the triggers and the applies.
type Status struct {
	Pipeline string    `json:"pipeline"`
	Valid    bool      `json:"valid"`
	LoadedAt time.Time `json:"loaded_at,omitzero"`
	// Diagnostics are the last load's, errors and warnings (filled in by
	// API.Status).
	Diagnostics []diagfmt.JSONDiagnostic `json:"diagnostics,omitempty"`
	// Watching are the folders watched, relative to the pipeline folder
	// when inside it.
	Watching []string  `json:"watching,omitempty"`
	Schedule string    `json:"schedule,omitempty"`
	NextRun  time.Time `json:"next_scheduled,omitzero"`
	// Current is the apply in progress.
	Current   *applies.Progress `json:"current,omitempty"`
	LastCheck *applies.Check    `json:"last_check,omitempty"`
	// InProgress is true while this server or another process applies.
	InProgress  bool   `json:"in_progress"`
	PipeVersion string `json:"pipe_version"`
}

// Diagnostics returns the diagnostics of a load as they may be shown:
// sorted, without the values of sensitive variables (which a diagnostic
// about a malformed value may quote), with file names and paths as Public
// shows them, and the sources to quote snippets from.
func (a *API) Diagnostics(l *snapshot.Snapshot) (hcl.Diagnostics, diagfmt.Sources) {
	return a.public.Diagnostics(diagfmt.Sort(l.Redact(l.Diags)), l.Sources())
}

// Status returns the server's state as it may be shown: the watched
// folders, the diagnostics' file names and the last check's message with
// no absolute path (Public).
func (a *API) Status() Status {
	st := a.opts.Status()
	p := a.public
	st.Watching = each(st.Watching, p.Path)
	if l := a.opts.Snapshot(); l != nil && len(l.Diags) > 0 {
		st.Diagnostics = diagfmt.JSON(a.Diagnostics(l))
	}
	if st.LastCheck != nil {
		c := *st.LastCheck
		c.Message = p.Text(c.Message)
		st.LastCheck = &c
	}
	return st
}
