package load

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// The cache key of a load step is pinned: a change to the schema's
// declaration (its types, defaults, attribute order) that would move it
// re-runs every load of every pipeline, and must come with a new Version.
func TestCacheKeyIsPinned(t *testing.T) {
	cfg := steptest.Config(t, Kind{}, map[string]cty.Value{
		"path":     cty.StringVal("data/*.parquet"),
		"positive": cty.StringVal("private"),
		"features": cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("emb_"), "dim": cty.NumberIntVal(584)}),
		"split":    cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.2), "seed": cty.NumberIntVal(7), "stratify": cty.True}),
	})
	files := []steps.File{{Path: "data/a.parquet", Digest: "sha256:" + "ab" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", Size: 10}}
	p, err := cachekey.New(Kind{}, cfg, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	const want = "5bcd776839c390c4103ffe547cfb87151641f8b72859531995701142be4e4d2e"
	if got := p.Key(); got != want {
		t.Errorf("load's cache key moved:\n got %s\nwant %s\npreimage %s", got, want, p.Canonical())
	}
}
