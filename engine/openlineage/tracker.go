package openlineage

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/registry"
)

// DefaultNamespace is the job namespace when none is given.
const DefaultNamespace = "pipe"

// DefaultProducer is the producer URI of the events.
const DefaultProducer = "https://github.com/pipe-ml/pipe"

// TrackerOptions describe the apply a Tracker reports.
type TrackerOptions struct {
	// Pipeline is the pipeline's name. Required.
	Pipeline string
	// Namespace is the job namespace; "" means DefaultNamespace.
	Namespace string
	// Dir is the pipeline's folder, absolute: input file paths are
	// relative to it.
	Dir string
	// Producer is the producer URI; "" means DefaultProducer.
	Producer string
	// Logger receives the warnings; nil discards them.
	Logger *slog.Logger
}

// Tracker turns the events of one apply into OpenLineage RunEvents and
// sends them, in order, from a goroutine of its own. Its methods never
// block on the network and never fail: problems are logged as warnings.
// Call Close when the apply is over.
type Tracker struct {
	client *Client
	opts   TrackerOptions
	// runID is the apply's OpenLineage run.
	runID string

	mu       sync.Mutex
	queue    []*RunEvent
	started  map[string]bool
	regRunID int64
	closed   bool
	wake     chan struct{}
	done     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	sent     int
	dropped  int
	failed   int
	down     error
}

// NewTracker starts a tracker that sends through c.
func NewTracker(c *Client, opts TrackerOptions) *Tracker {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Producer == "" {
		opts.Producer = DefaultProducer
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Tracker{
		client: c, opts: opts, runID: newUUID(),
		started: map[string]bool{},
		wake:    make(chan struct{}, 1), done: make(chan struct{}),
		ctx: ctx, cancel: cancel,
	}
	go t.loop()
	return t
}

// RunID is the apply's OpenLineage run ID, the parent of every step's.
func (t *Tracker) RunID() string { return t.runID }

// StepRunID is the OpenLineage run ID of a step's execution in this
// apply.
func (t *Tracker) StepRunID(step string) string { return nameUUID(t.runID, step) }

func (t *Tracker) base(schemaURL string) BaseFacet {
	return BaseFacet{Producer: t.opts.Producer, SchemaURL: schemaURL}
}

func (t *Tracker) event(typ string, at time.Time, runID, job, jobType string) *RunEvent {
	return &RunEvent{
		EventType: typ,
		EventTime: formatTime(at),
		Run:       Run{RunID: runID, Facets: map[string]any{}},
		Job: Job{Namespace: t.opts.Namespace, Name: job, Facets: map[string]any{
			"jobType": JobTypeJobFacet{BaseFacet: t.base(jobTypeSchemaURL), ProcessingType: "BATCH", Integration: "PIPE", JobType: jobType},
		}},
		Inputs:    []Dataset{},
		Outputs:   []Dataset{},
		Producer:  t.opts.Producer,
		SchemaURL: RunEventSchemaURL,
	}
}

// Begin reports the start of the apply's run, as the registry recorded
// it.
func (t *Tracker) Begin(run registry.Run) {
	t.mu.Lock()
	t.regRunID = run.ID
	t.mu.Unlock()
	at := run.Started
	if at.IsZero() {
		at = time.Now()
	}
	ev := t.event(Start, at, t.runID, t.opts.Pipeline, "PIPELINE")
	ev.Run.Facets["pipe_run"] = PipeRunFacet{
		BaseFacet: t.base(pipeSchemaURL("PipeRunFacet.json", "PipeRunFacet")),
		RunID:     run.ID, Pipeline: t.opts.Pipeline, Trigger: run.Trigger,
		GitCommit: run.GitCommit, GitBranch: run.GitBranch, GitDirty: run.GitDirty,
		ConfigDigest: run.ConfigDigest, PipeVersion: run.PipeVersion, StoreURL: run.StoreURL,
	}
	t.enqueue(ev)
}

// End reports the end of the apply: status is a registry run status
// (succeeded, failed, cancelled); errMsg says why it did not succeed.
func (t *Tracker) End(status, errMsg string, at time.Time) {
	typ := Complete
	switch status {
	case registry.RunSucceeded:
	case registry.RunCancelled, registry.RunInterrupted:
		typ = Abort
	default:
		typ = Fail
	}
	ev := t.event(typ, at, t.runID, t.opts.Pipeline, "PIPELINE")
	t.mu.Lock()
	ev.Run.Facets["pipe_run"] = PipeRunFacet{
		BaseFacet: t.base(pipeSchemaURL("PipeRunFacet.json", "PipeRunFacet")),
		RunID:     t.regRunID, Pipeline: t.opts.Pipeline,
	}
	t.mu.Unlock()
	if typ == Fail && errMsg != "" {
		ev.Run.Facets["errorMessage"] = ErrorMessageRunFacet{BaseFacet: t.base(errorSchemaURL), Message: errMsg, ProgrammingLanguage: "go"}
	}
	t.enqueue(ev)
}

// Event reports one apply event; progress and warnings are not reported.
func (t *Tracker) Event(e apply.Event) {
	switch e.Type {
	case apply.StepStarted:
		t.mu.Lock()
		t.started[e.Step] = true
		t.mu.Unlock()
		t.enqueue(t.stepEvent(Start, e))
	case apply.StepFinished:
		t.mu.Lock()
		started := t.started[e.Step]
		t.started[e.Step] = true
		t.mu.Unlock()
		if !started {
			// A skipped step never started; OpenLineage wants a START
			// before its end.
			t.enqueue(t.stepEvent(Start, e))
		}
		typ := Complete
		switch e.Status {
		case apply.Ran, apply.Cached:
		case apply.Failed:
			typ = Fail
		default:
			typ = Abort
		}
		t.enqueue(t.stepEvent(typ, e))
	}
}

func (t *Tracker) stepEvent(typ string, e apply.Event) *RunEvent {
	ev := t.event(typ, e.Time, t.StepRunID(e.Step), t.opts.Pipeline+"."+e.Step, "STEP")
	parent := ParentRunFacet{BaseFacet: t.base(parentSchemaURL)}
	parent.Run.RunID = t.runID
	parent.Job.Namespace, parent.Job.Name = t.opts.Namespace, t.opts.Pipeline
	ev.Run.Facets["parent"] = parent
	if typ == Start {
		return ev
	}
	t.mu.Lock()
	regRun := t.regRunID
	t.mu.Unlock()
	ev.Run.Facets["pipe_execution"] = ExecutionFacet{
		BaseFacet:   t.base(pipeSchemaURL("PipeExecutionRunFacet.json", "PipeExecutionRunFacet")),
		ExecutionID: e.ExecutionID, RunID: regRun, Step: e.Step, Kind: e.Kind, Status: e.Status, CacheKey: e.Key,
	}
	if len(e.Config) > 0 {
		ev.Run.Facets["pipe_parameters"] = ParametersFacet{
			BaseFacet:  t.base(pipeSchemaURL("PipeParametersRunFacet.json", "PipeParametersRunFacet")),
			Parameters: e.Config,
		}
	}
	if m := numbers(e.Outputs); len(m) > 0 {
		ev.Run.Facets["pipe_metrics"] = MetricsFacet{
			BaseFacet: t.base(pipeSchemaURL("PipeMetricsRunFacet.json", "PipeMetricsRunFacet")),
			Metrics:   m,
		}
	}
	if typ == Fail && e.Error != "" {
		ev.Run.Facets["errorMessage"] = ErrorMessageRunFacet{BaseFacet: t.base(errorSchemaURL), Message: e.Error, ProgrammingLanguage: "go"}
	}
	for _, ref := range e.Used {
		ev.Inputs = append(ev.Inputs, t.dataset(ref))
	}
	for _, ref := range e.Produced {
		ev.Outputs = append(ev.Outputs, t.dataset(ref))
	}
	sortDatasets(ev.Inputs)
	sortDatasets(ev.Outputs)
	return ev
}

// numbers returns the top-level numbers of a JSON object.
func numbers(raw json.RawMessage) map[string]float64 {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := map[string]float64{}
	for k, v := range m {
		var f float64
		if json.Unmarshal(v, &f) == nil {
			out[k] = f
		}
	}
	return out
}

func sortDatasets(ds []Dataset) {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Namespace != ds[j].Namespace {
			return ds[i].Namespace < ds[j].Namespace
		}
		return ds[i].Name < ds[j].Name
	})
}

// dataset names an artifact or input file as OpenLineage names storage;
// see the package documentation.
func (t *Tracker) dataset(ref registry.ArtifactRef) Dataset {
	ns, name := DatasetName(ref, t.opts.Dir)
	return Dataset{Namespace: ns, Name: name, Facets: map[string]any{
		"version": DatasetVersionFacet{BaseFacet: t.base(versionSchemaURL), DatasetVersion: ref.Digest},
		"pipe_artifact": ArtifactFacet{
			BaseFacet: t.base(pipeSchemaURL("PipeArtifactDatasetFacet.json", "PipeArtifactDatasetFacet")),
			Digest:    ref.Digest, MediaType: ref.MediaType, Size: ref.Size, Name: ref.Name, Path: ref.Path,
		},
	}}
}

// DatasetName returns the OpenLineage namespace and name of an artifact
// or input file: a file (ref.Path, relative to dir) is ("file", its
// absolute path); an object with a URI is (scheme://bucket, key) for
// cloud storage and ("file", path) for a local store; anything else is
// ("pipe", digest).
func DatasetName(ref registry.ArtifactRef, dir string) (namespace, name string) {
	if ref.Path != "" {
		p := filepath.FromSlash(ref.Path)
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return "file", filepath.ToSlash(p)
	}
	if ref.URI != "" {
		if u, err := url.Parse(ref.URI); err == nil && u.Scheme != "" {
			if u.Scheme == "file" {
				return "file", u.Path
			}
			return u.Scheme + "://" + u.Host, strings.TrimPrefix(u.Path, "/")
		}
	}
	return "pipe", ref.Digest
}

func (t *Tracker) enqueue(ev *RunEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		t.dropped++
		return
	}
	t.queue = append(t.queue, ev)
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// loop sends the queued events in order until Close.
func (t *Tracker) loop() {
	defer close(t.done)
	for {
		t.mu.Lock()
		if len(t.queue) == 0 {
			closed := t.closed
			t.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-t.wake:
			case <-t.ctx.Done():
				return
			}
			continue
		}
		ev := t.queue[0]
		t.queue = t.queue[1:]
		down := t.down != nil || t.ctx.Err() != nil
		t.mu.Unlock()
		if down {
			t.mu.Lock()
			t.dropped++
			t.mu.Unlock()
			continue
		}
		err := t.client.Send(t.ctx, ev)
		t.mu.Lock()
		var se *StatusError
		switch {
		case err == nil:
			t.sent++
		case errors.As(err, &se) && !se.Transient():
			// This event was refused; the next ones may not be.
			t.failed++
			t.opts.Logger.Warn("OpenLineage refused an event", "job", ev.Job.Name, "eventType", ev.EventType, "error", err)
		default:
			t.failed++
			t.down = err
			t.opts.Logger.Warn("cannot send OpenLineage events; the rest of this apply's are dropped", "target", t.client.String(), "error", err)
		}
		t.mu.Unlock()
	}
}

// Stats says what happened to the events so far.
type Stats struct {
	// Sent were accepted; Failed were tried and not accepted; Dropped
	// were never tried (the target was down, or Close gave up).
	Sent, Failed, Dropped int
}

// Close waits until every event is sent, or ctx ends (then the rest are
// dropped), and returns what happened to them. It does not close the
// Client.
func (t *Tracker) Close(ctx context.Context) Stats {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	select {
	case <-t.done:
	case <-ctx.Done():
		t.cancel()
		<-t.done
	}
	t.cancel()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropped += len(t.queue)
	t.queue = nil
	if t.dropped > 0 {
		t.opts.Logger.Warn("OpenLineage events were not sent", "target", t.client.String(), "dropped", t.dropped)
	}
	return Stats{Sent: t.sent, Failed: t.failed, Dropped: t.dropped}
}
