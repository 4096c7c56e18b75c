package registry

import (
	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/lineage"
	"github.com/pipe-ml/pipe/engine/registry/models"
	"github.com/pipe-ml/pipe/steps"
)

// The registry's records, as the local index holds them
// (engine/registry/index).
type (
	Run          = index.Run
	RunDetail    = index.RunDetail
	RunFilter    = index.RunFilter
	Execution    = index.Execution
	Dependency   = index.Dependency
	ArtifactRef  = index.ArtifactRef
	ArtifactInfo = index.ArtifactInfo
)

// Triggers: what started a run.
const (
	TriggerManual   = index.TriggerManual
	TriggerCI       = index.TriggerCI
	TriggerSchedule = index.TriggerSchedule
	TriggerWatch    = index.TriggerWatch
)

// Run statuses.
const (
	RunRunning     = index.RunRunning
	RunSucceeded   = index.RunSucceeded
	RunFailed      = index.RunFailed
	RunInterrupted = index.RunInterrupted
	RunCancelled   = index.RunCancelled
)

// Execution statuses.
const (
	ExecRunning     = index.ExecRunning
	ExecRan         = index.ExecRan
	ExecCached      = index.ExecCached
	ExecFailed      = index.ExecFailed
	ExecSkipped     = index.ExecSkipped
	ExecCancelled   = index.ExecCancelled
	ExecInterrupted = index.ExecInterrupted
)

// Artifact kinds of the registry's own; every other kind is the label the
// step kinds declare for the artifact's media type.
const (
	KindFile  = index.KindFile
	KindOther = index.KindOther
)

// The model registry (engine/registry/models).
type (
	ModelVersion = models.ModelVersion
	ModelSummary = models.ModelSummary
	ModelDetail  = models.ModelDetail
	Alias        = models.Alias
	AliasMove    = models.AliasMove
	Comparison   = models.Comparison
	Reason       = models.Reason
	PromoteRule  = models.PromoteRule
	Decision     = models.Decision
)

// What moved an alias.
const (
	MoveByPublish  = models.MoveByPublish
	MoveByPromote  = models.MoveByPromote
	MoveByRollback = models.MoveByRollback
)

// VersionPlaceholder in a ModelVersion's URI is replaced by its number;
// Latest selects a model's newest version (NAME@latest).
const (
	VersionPlaceholder = models.VersionPlaceholder
	Latest             = models.Latest
)

// ParseModelRef splits "NAME@SELECTOR" into the model name and the
// selector: a version ("3" or "v3"), "latest", or an alias name.
func ParseModelRef(ref string) (name, selector string, err error) { return models.ParseModelRef(ref) }

// Lineage graphs (engine/registry/lineage).
type (
	Graph          = lineage.Graph
	Node           = lineage.Node
	Edge           = lineage.Edge
	ExecutionNode  = lineage.ExecutionNode
	Direction      = lineage.Direction
	NodeType       = lineage.NodeType
	EdgeType       = lineage.EdgeType
	LineageOptions = lineage.Options
)

// Directions, node types and edge types of lineage graphs.
const (
	Upstream         = lineage.Upstream
	Downstream       = lineage.Downstream
	NodeModelVersion = lineage.NodeModelVersion
	NodeExecution    = lineage.NodeExecution
	NodeArtifact     = lineage.NodeArtifact
	NodeRun          = lineage.NodeRun
	EdgeUsed         = lineage.EdgeUsed
	EdgeProduced     = lineage.EdgeProduced
	EdgeInput        = lineage.EdgeInput
	EdgePublished    = lineage.EdgePublished
	EdgeVersion      = lineage.EdgeVersion
	EdgeArtifact     = lineage.EdgeArtifact
)

// ArtifactFromStep converts an artifact value from a step into a ref.
func ArtifactFromStep(a steps.Artifact, name string) ArtifactRef {
	return ArtifactRef{Digest: a.Digest, MediaType: a.MediaType, Size: a.Size, Name: name}
}

// FileArtifact converts a hashed input file into a ref of KindFile. An
// empty mediaType is guessed from the file's extension (.csv, .parquet).
func FileArtifact(f steps.File, mediaType, name string) ArtifactRef {
	return ArtifactRef{Digest: f.Digest, MediaType: mediaType, Size: f.Size, Kind: KindFile, Name: name, Path: f.Path}
}
