package views

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/runner"
)

// Apply prints an apply as it goes: the plan, the steps' progress, and
// how it ended. Its methods may be called from several goroutines.
type Apply interface {
	// Plan prints the plan about to run.
	Plan(d *plan.Document)
	// Event prints one progress event.
	Event(e apply.Event)
	// Stop ends any live status line; call it once the apply returned.
	Stop()
	// Diagnostics prints the errors of planning and of failed steps.
	Diagnostics(diags hcl.Diagnostics, sources map[string][]byte)
	// Failed says why the apply did not start or finish, when that is
	// not in the diagnostics (the lock was held, the saved plan is
	// stale, the store failed). The error itself also goes to stderr.
	Failed(err error)
	// Result prints how the apply ended; registryPath is where the run
	// was recorded.
	Result(out *runner.Outcome, registryPath string)
}

// NewApply returns the apply view for vt: text with a live status line
// on a terminal, or NDJSON (one object per line) for programs.
func NewApply(vt arguments.ViewType, v *View) Apply {
	if vt == arguments.ViewJSON {
		return &applyJSON{View: v}
	}
	return &applyHuman{View: v, running: map[string]*runningStep{}}
}

// applyJSON prints one JSON object per line: {"type": "plan"}, then the
// events as apply.Event encodes them, "diagnostic" and "error" records,
// and a "summary" last.
type applyJSON struct {
	*View
	mu sync.Mutex
}

// ApplySummary is the last line pipe apply -json prints.
type ApplySummary struct {
	Type     string  `json:"type"`
	Status   string  `json:"status"`
	RunID    int64   `json:"run_id,omitempty"`
	Ran      int     `json:"ran"`
	Cached   int     `json:"cached"`
	Failed   int     `json:"failed"`
	Duration float64 `json:"duration_seconds"`
}

func (v *applyJSON) line(x any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b, _ := json.Marshal(x)
	v.Stdout.Write(append(b, '\n'))
}

func (v *applyJSON) Plan(d *plan.Document) {
	v.line(struct {
		Type string         `json:"type"`
		Plan *plan.Document `json:"plan"`
	}{"plan", d})
}

func (v *applyJSON) Event(e apply.Event) { v.line(e) }
func (v *applyJSON) Stop()               {}

func (v *applyJSON) Diagnostics(diags hcl.Diagnostics, sources map[string][]byte) {
	for _, d := range diagfmt.JSON(diagfmt.Sort(diags), diagfmt.Sources(sources)) {
		v.line(struct {
			Type string `json:"type"`
			diagfmt.JSONDiagnostic
		}{"diagnostic", d})
	}
}

// Failed tells a program reading the events why there are none.
func (v *applyJSON) Failed(err error) {
	v.line(struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}{"error", strings.TrimPrefix(err.Error(), "lock: ")})
}

func (v *applyJSON) Result(out *runner.Outcome, registryPath string) {
	ran, cached, failed := out.Result.Counts()
	v.line(ApplySummary{Type: "summary", Status: out.Status, RunID: out.RunID, Ran: ran, Cached: cached, Failed: failed, Duration: out.Duration.Seconds()})
}
