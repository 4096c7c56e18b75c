package apply

import (
	"encoding/json"
	"time"

	"github.com/pipe-ml/pipe/engine/registry"
)

// EventType says what happened.
type EventType string

const (
	StepStarted  EventType = "step_started"
	StepProgress EventType = "step_progress"
	StepWarning  EventType = "step_warning"
	StepFinished EventType = "step_finished"
	// StepRestored: a step taken from the cache had a file it wrote
	// outside the store (File) missing or different (Note), and the file
	// was written again from the store.
	StepRestored EventType = "step_restored"
	// StepWaiting: a step handed to a remote executor cannot start yet
	// (Note says why: unschedulable, over quota, pulling its image).
	StepWaiting EventType = "step_waiting"
	// StepRunning: a remote step's work started, Where (a pod).
	StepRunning EventType = "step_running"
	// StepLog: Line is a line of a remote step's log.
	StepLog EventType = "step_log"
	// StepRetrying: a remote step's attempt failed (Note says why) and
	// another starts.
	StepRetrying EventType = "step_retrying"
)

// Event is one thing that happened during an apply, for progress output.
// Events of one step arrive in order; events of different steps
// interleave.
type Event struct {
	Type EventType `json:"type"`
	Time time.Time `json:"time"`
	Step string    `json:"step"`
	Kind string    `json:"kind"`
	// Status is set on step_finished: ran, cached, failed, skipped or
	// cancelled.
	Status string `json:"status,omitempty"`
	// Duration of the step, on step_finished.
	Duration float64 `json:"duration_seconds,omitempty"`
	// Done and Total are progress units (Total 0 when unknown); Note says
	// what they count.
	Done  int64  `json:"done,omitempty"`
	Total int64  `json:"total,omitempty"`
	Note  string `json:"note,omitempty"`
	// Warning is set on step_warning.
	Warning string `json:"warning,omitempty"`
	// File is set on step_restored: the file written again, as the
	// pipeline names its folder.
	File string `json:"file,omitempty"`
	// Executor is where a step ran or runs ("local", "kubernetes"), on
	// step_finished of a step that ran and on a remote step's events.
	Executor string `json:"executor,omitempty"`
	// Where names the place (a pod) on step_running and step_log; Shard
	// the shard of a sharded step an event is about.
	Where string `json:"where,omitempty"`
	Shard *int   `json:"shard,omitempty"`
	// Line is a line of a remote step's log, on step_log.
	Line string `json:"line,omitempty"`
	// Error is set when a step failed or was skipped.
	Error string `json:"error,omitempty"`
	// Key is the step's cache key, on step_finished when known.
	Key string `json:"key,omitempty"`

	// On step_finished, what the registry records about the execution,
	// for consumers such as OpenLineage: its ID in the registry (0
	// without one), the artifacts and input files it used and produced
	// (with their store URIs), its evaluated configuration with secrets
	// redacted, and its outputs that are not artifacts, as JSON objects.
	ExecutionID int64                  `json:"execution_id,omitempty"`
	Used        []registry.ArtifactRef `json:"used,omitempty"`
	Produced    []registry.ArtifactRef `json:"produced,omitempty"`
	Config      json.RawMessage        `json:"config,omitempty"`
	Outputs     json.RawMessage        `json:"outputs,omitempty"`
}
