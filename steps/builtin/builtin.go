package builtin

import (
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/load"
)

// Registry returns a registry holding every built-in step kind.
func Registry() *steps.Registry {
	return steps.NewRegistry(
		load.Kind{},
	)
}
