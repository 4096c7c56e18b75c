package train

import (
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// The benchmarks run on the shape of the privacy-intent data: 100k rows
// of 584 float32 features, about 30% positive.
var benchData = sync.OnceValue(func() *dataset.Dataset { return synthData(100_000, 584, 1) })

// BenchmarkRun measures a whole train step: reading the 234 MB dataset
// artifact from the store, the fit, and storing the model.
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name   string
		params cty.Value
	}{
		{"l2", cty.NullVal(cty.DynamicPseudoType)},
		{"l1", cty.ObjectVal(map[string]cty.Value{"penalty": cty.StringVal("l1"), "C": cty.NumberFloatVal(0.1)})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env := steptest.NewEnv(b, steptest.Parallelism(0))
			ds := benchData()
			data := putDataset(b, env, ds)
			b.SetBytes(int64(len(ds.X)) * 4)
			var iters float64
			for b.Loop() {
				out, err := env.Run(Kind{}, map[string]cty.Value{"data": data, "params": bc.params})
				if err != nil {
					b.Fatal(err)
				}
				iters, _ = out["iterations"].AsBigFloat().Float64()
			}
			b.ReportMetric(iters, "iterations")
		})
	}
}
