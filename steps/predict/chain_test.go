package predict_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/evaluate"
	"github.com/pipe-ml/pipe/steps/load"
	"github.com/pipe-ml/pipe/steps/predict"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/steptest"
	"github.com/pipe-ml/pipe/steps/train"
)

// TestChain runs load → train → evaluate → predict on one CSV file, each
// step fed the previous one's outputs as the engine would feed them.
func TestChain(t *testing.T) {
	env := steptest.NewEnv(t)
	g := synth.Generate(synth.Config{N: 3000, Dim: 32, Seed: 11})
	if err := os.MkdirAll(filepath.Join(env.Dir(), "data"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFile(filepath.Join(env.Dir(), "data", "corpus.csv"), g.Dataset, synth.FileOptions{}); err != nil {
		t.Fatal(err)
	}
	loaded, err := env.Run(load.Kind{}, map[string]cty.Value{
		"path":     cty.StringVal("data/corpus.csv"),
		"positive": cty.StringVal(synth.PositiveLabel),
		"features": cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("emb_"), "dim": cty.NumberIntVal(32)}),
		"id":       cty.StringVal("id"),
		"split":    cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.25), "seed": cty.NumberIntVal(7), "stratify": cty.True}),
	})
	if err != nil {
		t.Fatal(err)
	}
	trained, err := env.Run(train.Kind{}, map[string]cty.Value{
		"data":   loaded["train"],
		"params": cty.ObjectVal(map[string]cty.Value{"C": cty.NumberFloatVal(10), "class_weight": cty.StringVal("balanced")}),
	})
	if err != nil {
		t.Fatal(err)
	}
	evaluated, err := env.Run(evaluate.Kind{}, map[string]cty.Value{
		"model": trained["model"], "data": loaded["test"], "threshold": cty.StringVal("max_f1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if f1, _ := evaluated["f1"].AsBigFloat().Float64(); f1 < 0.8 {
		t.Errorf("held-out F1 %v", f1)
	}
	predicted, err := env.Run(predict.Kind{}, map[string]cty.Value{
		"model": trained["model"], "data": loaded["test"], "to": cty.StringVal("out/test.csv"),
		"threshold": evaluated["threshold"],
	})
	if err != nil {
		t.Fatal(err)
	}
	if !predicted["rows"].RawEquals(loaded["test_rows"]) {
		t.Errorf("predicted %#v rows of %#v", predicted["rows"], loaded["test_rows"])
	}
	// predict's labels at evaluate's threshold are evaluate's confusion.
	c := evaluated["confusion"]
	if tp, fp := c.GetAttr("tp"), c.GetAttr("fp"); !predicted["positives"].Equals(tp.Add(fp)).True() {
		t.Errorf("predict labelled %#v rows 1, evaluate %#v + %#v", predicted["positives"], tp, fp)
	}
	recs, err := csv.NewReader(bytes.NewReader(env.Read(predicted["predictions"]))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 || len(recs[1][0]) != len("r0000000") || recs[1][0][0] != 'r' {
		t.Errorf("first rows %v", recs[:min(3, len(recs))])
	}
	if w := env.Warnings(); len(w) > 0 {
		t.Errorf("warnings %v", w)
	}
}
