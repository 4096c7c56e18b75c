package executor

import (
	"context"
	"errors"
	"time"
)

// Names of the executors pipe knows.
const (
	// Local runs steps in the apply's own process.
	LocalName = "local"
	// Process runs each step in a child `pipe step exec` on this
	// machine (engine/executor/process).
	ProcessName = "process"
	// Kubernetes runs steps as Kubernetes Jobs.
	KubernetesName = "kubernetes"
)

// Names lists the executors pipe knows, for messages.
func Names() []string { return []string{LocalName, ProcessName, KubernetesName} }

// Known reports whether name is an executor pipe knows.
func Known(name string) bool {
	return name == LocalName || name == ProcessName || name == KubernetesName
}

// Executor runs steps somewhere. It must be safe for concurrent use: apply
// runs independent steps at once. Building one must not reach anything (a
// cluster, a store): `pipe plan` builds executors it never runs.
type Executor interface {
	// Name is the executor's name ("local", "kubernetes"), as a pipeline
	// writes it and as the registry records where a step ran.
	Name() string

	// Run makes the step's cache entry exist: it runs the step whose
	// step-input document is in the store under task.Input, or finds it
	// done. For a task with Shards > 1 it makes every shard's partial
	// result exist instead, and the coordinator assembles them.
	//
	// It returns nil when the entry (or every partial) is in the store;
	// a *StepError when the step itself failed (bad data, one class...),
	// which a retry cannot mend; or another error for a failure of the
	// infrastructure (unreachable, forbidden, out of memory, refused),
	// whose message names the step, where it ran and what to do. It
	// returns promptly when ctx is cancelled, leaving nothing running.
	Run(ctx context.Context, task *Task) error
}

// Task is one step to run.
type Task struct {
	// Pipeline, Step (its address, e.g. "search.lr") and Kind name the
	// step in labels and messages; RunID is the registry's run.
	Pipeline string
	RunID    int64
	Step     string
	Kind     string
	// Key is the step's cache key, the name of the entry Run makes exist.
	Key string
	// Input is the digest of the step-input document in the store
	// ("sha256:..."), what `pipe step exec` reads. Empty for a task that
	// cannot leave this process (InProcess only).
	Input string
	// Resources are what the step asked for in its resources block.
	Resources Resources
	// Shards, when more than 1, is how many shards the step's kind splits
	// into (steps.Sharder): Run runs them as an indexed set, shard I with
	// `pipe step exec -shard=I`, and the coordinator assembles.
	Shards int
	// Events receives what happens to the task as it happens; it must
	// not block for long. Never nil when Run is called.
	Events func(Event)
	// InProcess runs the step in this process from the values the
	// coordinator holds in memory (its sensitive values, its files, the
	// model registry): what the local executor calls. Remote executors
	// ignore it.
	InProcess func(ctx context.Context) error
}

// EventType says what happened to a task.
type EventType string

const (
	// Waiting: the task cannot start yet, for Reason (unschedulable, over
	// quota, pulling the image).
	Waiting EventType = "waiting"
	// Started: the work runs, Where says where (a pod).
	Started EventType = "started"
	// Log: Line is one line of the work's log.
	Log EventType = "log"
	// Retrying: an attempt failed for Reason and another starts.
	Retrying EventType = "retrying"
	// Finished: the work ended (Reason says how, when it failed).
	Finished EventType = "finished"
)

// Event is something that happened to a task, for apply's progress
// output and -json events.
type Event struct {
	Type EventType
	Time time.Time
	// Shard is the shard it is about, or -1 for the whole task.
	Shard int
	// Where names where the work runs: a pod, a process.
	Where string
	// Reason says why a task waits, retries or failed, in words.
	Reason string
	// Line is a line of log (Type Log).
	Line string
}

// Local runs steps in the apply's own process: today's behaviour, and the
// default. It calls Task.InProcess.
type Local struct{}

var _ Executor = Local{}

// Name returns "local".
func (Local) Name() string { return LocalName }

// Run runs task.InProcess.
func (Local) Run(ctx context.Context, task *Task) error {
	if task.InProcess == nil {
		return errors.New("executor: the local executor needs Task.InProcess (a bug in pipe)")
	}
	return task.InProcess(ctx)
}
