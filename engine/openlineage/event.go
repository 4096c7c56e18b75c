package openlineage

import (
	"encoding/json"
	"time"
)

// Event types (RunEvent.eventType).
const (
	Start    = "START"
	Complete = "COMPLETE"
	Fail     = "FAIL"
	Abort    = "ABORT"
)

// The schemas the events and facets follow.
const (
	// RunEventSchemaURL is the OpenLineage spec version of RunEvent.
	RunEventSchemaURL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

	parentSchemaURL   = "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet"
	errorSchemaURL    = "https://openlineage.io/spec/facets/1-0-0/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
	jobTypeSchemaURL  = "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
	versionSchemaURL  = "https://openlineage.io/spec/facets/1-0-0/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
	pipeSchemaURLBase = "https://github.com/pipe-ml/pipe/blob/main/engine/openlineage/schemas/"
)

// pipeSchemaURL is the _schemaURL of one of pipe's own facets.
func pipeSchemaURL(file, def string) string {
	return pipeSchemaURLBase + file + "#/$defs/" + def
}

// RunEvent is an OpenLineage RunEvent.
type RunEvent struct {
	EventType string    `json:"eventType"`
	EventTime string    `json:"eventTime"`
	Run       Run       `json:"run"`
	Job       Job       `json:"job"`
	Inputs    []Dataset `json:"inputs"`
	Outputs   []Dataset `json:"outputs"`
	Producer  string    `json:"producer"`
	SchemaURL string    `json:"schemaURL"`
}

// Run identifies a run, with its facets.
type Run struct {
	RunID  string         `json:"runId"`
	Facets map[string]any `json:"facets,omitempty"`
}

// Job identifies a job, with its facets.
type Job struct {
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Facets    map[string]any `json:"facets,omitempty"`
}

// Dataset is an input or output dataset.
type Dataset struct {
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Facets    map[string]any `json:"facets,omitempty"`
}

// BaseFacet holds the fields every facet has.
type BaseFacet struct {
	Producer  string `json:"_producer"`
	SchemaURL string `json:"_schemaURL"`
}

// ParentRunFacet points at the run that started this one.
type ParentRunFacet struct {
	BaseFacet
	Run struct {
		RunID string `json:"runId"`
	} `json:"run"`
	Job struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"job"`
}

// ErrorMessageRunFacet says why a run failed.
type ErrorMessageRunFacet struct {
	BaseFacet
	Message             string `json:"message"`
	ProgrammingLanguage string `json:"programmingLanguage"`
}

// JobTypeJobFacet says what kind of job this is.
type JobTypeJobFacet struct {
	BaseFacet
	ProcessingType string `json:"processingType"`
	Integration    string `json:"integration"`
	JobType        string `json:"jobType"`
}

// DatasetVersionFacet is a dataset's version: its digest.
type DatasetVersionFacet struct {
	BaseFacet
	DatasetVersion string `json:"datasetVersion"`
}

// ParametersFacet (pipe_parameters) is a step's evaluated configuration.
type ParametersFacet struct {
	BaseFacet
	Parameters json.RawMessage `json:"parameters"`
}

// MetricsFacet (pipe_metrics) holds a step's numeric outputs.
type MetricsFacet struct {
	BaseFacet
	Metrics map[string]float64 `json:"metrics"`
}

// ExecutionFacet (pipe_execution) ties a step's run to the registry.
type ExecutionFacet struct {
	BaseFacet
	ExecutionID int64  `json:"executionId,omitempty"`
	RunID       int64  `json:"registryRunId,omitempty"`
	Step        string `json:"step"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	CacheKey    string `json:"cacheKey,omitempty"`
}

// PipeRunFacet (pipe_run) describes an apply: what started it and which
// code it ran.
type PipeRunFacet struct {
	BaseFacet
	RunID        int64  `json:"registryRunId,omitempty"`
	Pipeline     string `json:"pipeline"`
	Trigger      string `json:"trigger,omitempty"`
	GitCommit    string `json:"gitCommit,omitempty"`
	GitBranch    string `json:"gitBranch,omitempty"`
	GitDirty     *bool  `json:"gitDirty,omitempty"`
	ConfigDigest string `json:"configDigest,omitempty"`
	PipeVersion  string `json:"pipeVersion,omitempty"`
	StoreURL     string `json:"storeUrl,omitempty"`
}

// ArtifactFacet (pipe_artifact) describes a dataset as pipe knows it.
type ArtifactFacet struct {
	BaseFacet
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType,omitempty"`
	Size      int64  `json:"size"`
	// Name is the input or output name: train, model, or for a file the
	// attribute that named it.
	Name string `json:"name,omitempty"`
	// Path is a file's path relative to the pipeline folder.
	Path string `json:"path,omitempty"`
}

// formatTime is an eventTime: RFC 3339 in UTC, to the millisecond.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
