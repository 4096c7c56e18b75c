package steps

import "github.com/zclconf/go-cty/cty"

// CoordinatorBound is implemented by kinds whose steps, with some
// configurations or all, need what only the process running the apply
// has: the model registry (publish), or a local folder to write to. Such
// a step runs in that process whatever executor the pipeline picks
// (engine/executor), and naming a remote executor for it is an error.
type CoordinatorBound interface {
	// NeedsCoordinator returns why a step configured with cfg must run
	// in the coordinator, as a phrase that completes "runs on the
	// coordinator: it ..." ("records model versions in the registry"),
	// or "" when it may run anywhere. cfg may hold unknown values (at
	// plan time); a kind that cannot tell yet returns "".
	NeedsCoordinator(cfg cty.Value) string
}
