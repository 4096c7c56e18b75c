package predict

import (
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/media"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// The benchmark predicts 100k rows of 584 features with a model trained
// on them.
var bench struct {
	once  sync.Once
	model *logreg.Model
	test  *dataset.Dataset
}

func benchData(b *testing.B) (*logreg.Model, *dataset.Dataset) {
	bench.once.Do(func() {
		ds := synthData(100_000, 584, 1)
		bench.model, bench.test = trainModel(b, ds), ds
	})
	return bench.model, bench.test
}

// BenchmarkRun measures a whole predict step: reading the model and the
// 234 MB dataset, predicting, and writing the file to a local folder and
// the store.
func BenchmarkRun(b *testing.B) {
	m, ds := benchData(b)
	for _, to := range []string{"out/p.parquet", "out/p.csv"} {
		b.Run(to[len("out/p."):], func(b *testing.B) {
			env := steptest.NewEnv(b, steptest.Parallelism(0))
			model, data := env.PutWith(media.Model.Type, m.Encode).Value(), putDataset(b, env, ds)
			b.SetBytes(int64(len(ds.X)) * 4)
			for b.Loop() {
				if _, err := env.Run(Kind{}, map[string]cty.Value{"model": model, "data": data, "to": cty.StringVal(to)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
