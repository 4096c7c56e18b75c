package evaluate

import (
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// The benchmark scores a model trained on 100k rows of 584 features on
// another 100k rows of the same distribution.
var bench struct {
	once  sync.Once
	model *logreg.Model
	test  *dataset.Dataset
}

func benchData(b *testing.B) (*logreg.Model, *dataset.Dataset) {
	bench.once.Do(func() {
		train, test := synthSplit(100_000, 100_000, 584, 1)
		bench.model, bench.test = trainModel(b, train, logreg.DefaultParams()), test
	})
	return bench.model, bench.test
}

// BenchmarkRun measures a whole evaluate step: reading the model and the
// 234 MB dataset, predicting, every metric, the plot and the report.
func BenchmarkRun(b *testing.B) {
	m, test := benchData(b)
	env := steptest.NewEnv(b, steptest.Parallelism(0))
	model, data := putModel(b, env, m), putDataset(b, env, test)
	b.SetBytes(int64(len(test.X)) * 4)
	for b.Loop() {
		if _, err := env.Run(Kind{}, map[string]cty.Value{"model": model, "data": data}); err != nil {
			b.Fatal(err)
		}
	}
}
