package views

import (
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/registry"
)

// A model with one version says so in the singular.
func TestModelShowCountsVersions(t *testing.T) {
	for n, want := range map[int]string{1: "Model m: 1 version, ", 2: "Model m: 2 versions, "} {
		d := &registry.ModelDetail{Name: "m"}
		for v := 1; v <= n; v++ {
			d.Versions = append(d.Versions, registry.ModelVersion{Model: "m", Version: v})
		}
		var b strings.Builder
		if err := NewModels(arguments.ViewHuman, &View{Stdout: &b}).Show(d); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), want) {
			t.Errorf("%d versions: %q", n, b.String())
		}
	}
	if got := kindLabel("publish", "publish/1") + ", " + kindLabel("train", "1"); got != "publish/1, train 1" {
		t.Errorf("kindLabel: %s", got)
	}
}
