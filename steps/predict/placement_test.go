package predict

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// A predict step that writes to a bucket may run anywhere; one writing
// to this machine's files or memory stays where they are.
func TestNeedsCoordinator(t *testing.T) {
	for to, stays := range map[string]bool{
		"gs://b/p/predictions.parquet":  false,
		"s3://b/p/predictions.csv":      false,
		"out/predictions.parquet":       true,
		"file:///tmp/predictions.csv":   true,
		"mem://out/predictions.parquet": true,
	} {
		cfg := cty.ObjectVal(map[string]cty.Value{"to": cty.StringVal(to)})
		reason := Kind{}.NeedsCoordinator(cfg)
		if (reason != "") != stays || stays && !strings.Contains(reason, to) {
			t.Errorf("NeedsCoordinator(to = %q) = %q", to, reason)
		}
	}
	unknown := cty.ObjectVal(map[string]cty.Value{"to": cty.UnknownVal(cty.String)})
	if r := (Kind{}).NeedsCoordinator(unknown); r != "" {
		t.Errorf("NeedsCoordinator(unknown) = %q, want \"\" until it is known", r)
	}
}
