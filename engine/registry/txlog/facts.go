package txlog

import (
	"encoding/json"
	"fmt"
	"time"
)

// Fact is one registry fact. Exactly one of its fields is set; on disk it
// is a JSON object with that one member, named after the fact:
//
//	{"run_begun": {"run": "4f1c…", "pipeline": "privacy-intent", …}}
//
// Facts name the runs, executions and alias moves they are about by keys
// their writer chose (random, 32 hex digits), never by the numbers an
// index gives them: those follow from the log's order, and each index
// computes them alike.
type Fact struct {
	RunBegun         *RunBegun         `json:"run_begun,omitempty"`
	RunEnded         *RunEnded         `json:"run_ended,omitempty"`
	ExecutionStarted *ExecutionStarted `json:"execution_started,omitempty"`
	ExecutionEnded   *ExecutionEnded   `json:"execution_ended,omitempty"`
	ArtifactSeen     *ArtifactSeen     `json:"artifact_seen,omitempty"`
	VersionReserved  *VersionReserved  `json:"version_reserved,omitempty"`
	VersionCreated   *VersionCreated   `json:"version_created,omitempty"`
	AliasMoved       *AliasMoved       `json:"alias_moved,omitempty"`
}

// RunBegun: a pipe apply started.
type RunBegun struct {
	Run          string    `json:"run"`
	Pipeline     string    `json:"pipeline"`
	Trigger      string    `json:"trigger"`
	ConfigDigest string    `json:"config_digest,omitempty"`
	GitCommit    string    `json:"git_commit,omitempty"`
	GitDirty     *bool     `json:"git_dirty,omitempty"`
	GitBranch    string    `json:"git_branch,omitempty"`
	PullRequest  string    `json:"pull_request,omitempty"`
	PipeVersion  string    `json:"pipe_version"`
	Host         string    `json:"host,omitempty"`
	User         string    `json:"user,omitempty"`
	StoreURL     string    `json:"store_url,omitempty"`
	Origin       string    `json:"origin,omitempty"`
	Started      time.Time `json:"started"`
}

// RunEnded: a run ended (succeeded, failed, cancelled, or interrupted:
// found running after its process died).
type RunEnded struct {
	Run    string    `json:"run"`
	Status string    `json:"status"`
	Error  string    `json:"error,omitempty"`
	Ended  time.Time `json:"ended"`
}

// Artifact is an artifact as an execution used or produced it.
type Artifact struct {
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	URI       string `json:"uri,omitempty"`
	Kind      string `json:"kind"`
	Name      string `json:"name,omitempty"`
	Path      string `json:"path,omitempty"`
}

// Dependency: an execution used a value that is not an artifact from
// another execution (train's params = search.lr.best).
type Dependency struct {
	Execution string `json:"execution"`
	Name      string `json:"name,omitempty"`
}

// ExecutionStarted: a step started in a run (to run, or to be taken from
// the cache), with what it uses.
type ExecutionStarted struct {
	Execution   string          `json:"execution"`
	Run         string          `json:"run"`
	Step        string          `json:"step"`
	Kind        string          `json:"kind"`
	KindVersion string          `json:"kind_version"`
	CacheKey    string          `json:"cache_key,omitempty"`
	Started     time.Time       `json:"started"`
	Config      json.RawMessage `json:"config,omitempty"`
	Used        []Artifact      `json:"used,omitempty"`
	DependsOn   []Dependency    `json:"depends_on,omitempty"`
}

// ExecutionEnded: a started execution ended.
type ExecutionEnded struct {
	Execution string          `json:"execution"`
	Status    string          `json:"status"`
	Ended     time.Time       `json:"ended"`
	Error     string          `json:"error,omitempty"`
	Outputs   json.RawMessage `json:"outputs,omitempty"`
	Warnings  []string        `json:"warnings,omitempty"`
	Produced  []Artifact      `json:"produced,omitempty"`
	// Executor is where an execution that ran ran: "local", "process",
	// "kubernetes" (engine/executor); absent before pipe recorded it.
	Executor string `json:"executor,omitempty"`
}

// ArtifactSeen: an artifact was recorded at a location, apart from any
// execution (a registry imported from before the log).
type ArtifactSeen struct {
	Artifact
	At time.Time `json:"at"`
}

// VersionReserved: a publish took the next version number of a model for
// a model digest, before writing the version's files. VersionCreated with
// the same number completes it.
type VersionReserved struct {
	Model       string    `json:"model"`
	Version     int       `json:"version"`
	ModelDigest string    `json:"model_digest"`
	Run         string    `json:"run,omitempty"`
	Execution   string    `json:"execution,omitempty"`
	At          time.Time `json:"at"`
}

// VersionCreated: a model version was published.
type VersionCreated struct {
	Model          string             `json:"model"`
	Version        int                `json:"version"`
	ModelDigest    string             `json:"model_digest"`
	ReportDigest   string             `json:"report_digest,omitempty"`
	EvalDataDigest string             `json:"eval_data_digest,omitempty"`
	URI            string             `json:"uri,omitempty"`
	Metrics        map[string]float64 `json:"metrics,omitempty"`
	Run            string             `json:"run,omitempty"`
	Execution      string             `json:"execution,omitempty"`
	Created        time.Time          `json:"created"`
}

// Comparison is one metric compared before an alias move.
type Comparison struct {
	Candidate float64 `json:"candidate"`
	Incumbent float64 `json:"incumbent"`
}

// AliasMoved: an alias of a model moved from version From (0: it was
// new) to version To. The move holds only if the alias pointed at From
// when the entry was applied: it is a compare-and-swap in the log.
type AliasMoved struct {
	Move     string                `json:"move"`
	Model    string                `json:"model"`
	Alias    string                `json:"alias"`
	From     int                   `json:"from,omitempty"`
	To       int                   `json:"to"`
	At       time.Time             `json:"at"`
	Trigger  string                `json:"trigger"`
	Run      string                `json:"run,omitempty"`
	Note     string                `json:"note,omitempty"`
	Compared map[string]Comparison `json:"compared,omitempty"`
	Undoes   string                `json:"undoes,omitempty"`
}

// Name is the fact's name on disk, e.g. "run_begun".
func (f Fact) Name() string {
	switch {
	case f.RunBegun != nil:
		return "run_begun"
	case f.RunEnded != nil:
		return "run_ended"
	case f.ExecutionStarted != nil:
		return "execution_started"
	case f.ExecutionEnded != nil:
		return "execution_ended"
	case f.ArtifactSeen != nil:
		return "artifact_seen"
	case f.VersionReserved != nil:
		return "version_reserved"
	case f.VersionCreated != nil:
		return "version_created"
	case f.AliasMoved != nil:
		return "alias_moved"
	}
	return ""
}

// count is how many of the fact's fields are set.
func (f Fact) count() int {
	n := 0
	for _, set := range []bool{f.RunBegun != nil, f.RunEnded != nil, f.ExecutionStarted != nil,
		f.ExecutionEnded != nil, f.ArtifactSeen != nil, f.VersionReserved != nil,
		f.VersionCreated != nil, f.AliasMoved != nil} {
		if set {
			n++
		}
	}
	return n
}

// check says what is wrong with a fact's shape, or nil. It checks only
// what any reader needs (one kind, keys present); what a fact means for
// the registry (does its run exist?) is the index's to decide.
func (f Fact) check() error {
	if n := f.count(); n != 1 {
		return fmt.Errorf("a fact must be exactly one of run_begun, run_ended, execution_started, execution_ended, artifact_seen, version_reserved, version_created, alias_moved; this one is %d", n)
	}
	var missing string
	switch {
	case f.RunBegun != nil && f.RunBegun.Run == "":
		missing = "run_begun.run"
	case f.RunEnded != nil && f.RunEnded.Run == "":
		missing = "run_ended.run"
	case f.ExecutionStarted != nil && (f.ExecutionStarted.Execution == "" || f.ExecutionStarted.Run == ""):
		missing = "execution_started.execution or .run"
	case f.ExecutionEnded != nil && f.ExecutionEnded.Execution == "":
		missing = "execution_ended.execution"
	case f.ArtifactSeen != nil && f.ArtifactSeen.Digest == "":
		missing = "artifact_seen.digest"
	case f.VersionReserved != nil && (f.VersionReserved.Model == "" || f.VersionReserved.Version <= 0):
		missing = "version_reserved.model or .version"
	case f.VersionCreated != nil && (f.VersionCreated.Model == "" || f.VersionCreated.Version <= 0):
		missing = "version_created.model or .version"
	case f.AliasMoved != nil && (f.AliasMoved.Move == "" || f.AliasMoved.Model == "" || f.AliasMoved.Alias == ""):
		missing = "alias_moved.move, .model or .alias"
	}
	if missing != "" {
		return fmt.Errorf("%s fact lacks %s", f.Name(), missing)
	}
	return nil
}
