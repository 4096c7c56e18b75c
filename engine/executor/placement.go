package executor

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

// Placement is where a step runs, and why when the coordinator keeps it.
type Placement struct {
	// Executor is the executor's name.
	Executor string
	// Reason completes "runs on the coordinator: it ..." when the step
	// stays in the coordinator although the pipeline's default executor
	// is another ("reads local files"); "" otherwise.
	Reason string
}

// Remote reports whether the step leaves the coordinator's process.
func (p Placement) Remote() bool { return p.Executor != LocalName }

// String renders the placement for a plan: "kubernetes", "local", or
// "local (reads local files)".
func (p Placement) String() string {
	if p.Reason != "" {
		return p.Executor + " (" + p.Reason + ")"
	}
	return p.Executor
}

// PlacementError is a step whose resources block names a remote executor
// although the step cannot leave the coordinator. Attribute is the
// resources attribute at fault ("executor").
type PlacementError struct {
	Executor string
	Reason   string
}

func (e *PlacementError) Error() string {
	return fmt.Sprintf("the step cannot run on the %s executor: it %s, and only the coordinator may (no sensitive value is written to the store for a worker to read, and the registry and local folders are the coordinator's). Remove executor from its resources block, or set it to %q", e.Executor, e.Reason, LocalName)
}

// Place decides where a step of kind with configuration cfg runs: its
// resources block's executor, else def (the pipeline's default; "" means
// local). A step stays in the coordinator, with the reason, when its
// kind needs it (steps.CoordinatorBound) or it holds a sensitive value,
// which must never be written to the store for a worker to read; naming
// a remote executor for it in res is a *PlacementError. A step whose kind
// reads local files (steps.FileReader) stays in the coordinator unless
// res names an executor: the workers must then see the same files. cfg
// may hold unknown values (at plan time).
func Place(kind steps.Kind, cfg cty.Value, res Resources, def string) (Placement, error) {
	name, explicit := res.Executor, res.Executor != ""
	if !explicit {
		name = def
	}
	if name == "" || name == LocalName {
		return Placement{Executor: LocalName}, nil
	}
	var reason string
	if cb, ok := kind.(steps.CoordinatorBound); ok {
		reason = cb.NeedsCoordinator(cfg)
	}
	if reason == "" && lang.IsSensitive(cfg) {
		reason = "holds a sensitive value"
	}
	if reason != "" {
		if explicit {
			return Placement{}, &PlacementError{Executor: name, Reason: reason}
		}
		return Placement{Executor: LocalName, Reason: reason}, nil
	}
	if _, ok := kind.(steps.FileReader); ok && !explicit {
		return Placement{Executor: LocalName, Reason: "reads local files"}, nil
	}
	return Placement{Executor: name}, nil
}
