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

// Catalog returns a catalog holding every built-in step kind, in the order
// a pipeline uses them (the order pipe kinds documents them in).
func Catalog() *steps.Catalog {
	return steps.NewCatalog(
		load.Kind{},
		search.Kind{},
		train.Kind{},
		evaluate.Kind{},
		predict.Kind{},
		publish.Kind{},
	)
}
