package builtin

import (
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/evaluate"
	"github.com/pipe-ml/pipe/steps/load"
	"github.com/pipe-ml/pipe/steps/predict"
	"github.com/pipe-ml/pipe/steps/publish"
	"github.com/pipe-ml/pipe/steps/search"
	"github.com/pipe-ml/pipe/steps/train"
)

// Catalog returns a registry holding every built-in step kind.
func Catalog() *steps.Catalog {
	return steps.NewCatalog(
		evaluate.Kind{},
		load.Kind{},
		predict.Kind{},
		publish.Kind{},
		search.Kind{},
		train.Kind{},
	)
}
