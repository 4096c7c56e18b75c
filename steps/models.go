package steps

import "context"

// ModelRegistryEnv is implemented by an [Env] that can reach the model
// registry. It is optional: a kind that publishes models (publish)
// type-asserts its Env and fails with a clear message when the assertion
// fails or Models returns nil (an apply without a registry, a unit test
// that gave none).
type ModelRegistryEnv interface {
	// Models returns the model registry, or nil when there is none.
	Models() ModelRegistry
}

// ModelRegistry is the model registry as a running step sees it: model
// versions, their metrics and aliases, and the lineage of an artifact.
// The engine's implementation records every change against the run and
// the execution of the step it was handed to, so a version links back to
// the publish that made it. It is safe for concurrent use.
//
// Every error names what went wrong for a person; none is specific to a
// storage engine.
type ModelRegistry interface {
	// FindVersion returns the version of model whose model artifact has
	// the digest modelDigest, or 0 when there is none (or no such
	// model).
	FindVersion(ctx context.Context, model, modelDigest string) (int, error)

	// LatestVersion returns the newest version number of model, 0 when it
	// has none.
	LatestVersion(ctx context.Context, model string) (int, error)

	// ReserveVersion returns the number of the version of model made from
	// modelDigest: the number it has or was given before, or the next
	// number, taken for it now so that no other publish, on any machine
	// sharing the registry, gets it. A publish writes the version's files
	// under that number and then records it with CreateVersion.
	ReserveVersion(ctx context.Context, model, modelDigest string) (int, error)

	// CreateVersion records a new version of v.Model (creating the model
	// on its first version) and returns its number with created true.
	// When the model already has a version with the same model digest,
	// it returns that version's number with created false and changes
	// nothing. The model and report artifacts must be ones the step was
	// given (the engine has recorded them). The number is the one
	// ReserveVersion gave the digest, else the next; "{version}" in v.URI
	// is replaced with it; v.Version is ignored.
	CreateVersion(ctx context.Context, v ModelVersion) (version int, created bool, err error)

	// SetAlias points model's alias at version unconditionally and
	// returns whether it moved (false when it already pointed there).
	SetAlias(ctx context.Context, model, alias string, version int) (moved bool, err error)

	// PromoteIf moves model's alias to version only when version beats
	// the version the alias points at now on rule.Metric, measured on
	// the same evaluation data; an alias that does not exist yet is set.
	// The comparison and the move are one transaction.
	PromoteIf(ctx context.Context, model, alias string, version int, rule PromoteRule) (PromoteDecision, error)

	// AliasVersion returns the version model's alias points at, 0 when
	// the alias (or the model) does not exist.
	AliasVersion(ctx context.Context, model, alias string) (int, error)

	// RecordedName returns the name the registry records a model's or an
	// alias's name under, for what the step writes about it (lineage.json,
	// its log): the name itself, or a keyed hash that stands for a name
	// the pipeline gave as a sensitive value. The methods above take the
	// name as the step has it.
	RecordedName(name string) string

	// Lineage returns, as a JSON object, what produced the artifact with
	// the given digest (the executions, their configurations, data and
	// input files) and the run the step runs in, with its Git commit.
	Lineage(ctx context.Context, digest string) ([]byte, error)
}

// ModelVersion is one version of a model, as a step records it.
type ModelVersion struct {
	// Model is the model's name: letters, digits, '.', '_' and '-',
	// starting with a letter or digit.
	Model string
	// Version is the number, 1, 2, ...; set by the registry.
	Version int
	// ModelDigest and ReportDigest are the model and its evaluation
	// report (optional), as artifacts.
	ModelDigest, ReportDigest string
	// URI is where the version's files are, e.g. gs://bucket/name/v3/.
	URI string
	// Metrics are the evaluation metrics, by name; values are finite.
	Metrics map[string]float64
	// EvalDataDigest is the digest of the data the metrics were measured
	// on. Two versions' metrics are compared only when it is the same.
	EvalDataDigest string
}

// PromoteRule says when a candidate version takes an alias: when it beats
// the incumbent on Metric by more than MinDelta.
type PromoteRule struct {
	Metric string
	// MinDelta is how much better the candidate must be; 0 means any
	// improvement.
	MinDelta float64
	// LowerIsBetter is true for losses (log_loss).
	LowerIsBetter bool
}

// PromoteDecision is what PromoteIf did, and why.
type PromoteDecision struct {
	// Moved is true when the alias moved to the candidate now.
	Moved bool
	// Incumbent is the version the alias pointed at before, 0 if none.
	Incumbent int
	// Compared is true when the two versions' metrics were compared;
	// CandidateValue and IncumbentValue are then the values.
	Compared                       bool
	CandidateValue, IncumbentValue float64
	// Why explains the decision in one sentence.
	Why string
}
