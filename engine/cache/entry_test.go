package cache

import (
	"testing"
)

func TestRefName(t *testing.T) {
	for _, c := range []struct{ pipeline, step, want string }{
		{"privacy-intent", "train.model", "steps/privacy-intent/train.model"},
		{"v1.2_final", "load.corpus_2", "steps/v1.2_final/load.corpus_2"},
		{"..", "a.b", "steps/_/a.b"},
	} {
		if got := refName(c.pipeline, c.step); got != c.want {
			t.Errorf("refName(%q, %q) = %q, want %q", c.pipeline, c.step, got, c.want)
		}
	}
	// Names that differ only in characters outside the ref alphabet get
	// refs of their own.
	seen := map[string]string{}
	for _, n := range []struct{ pipeline, step string }{
		{"p", "load.données"}, {"p", "load.donnèes"}, {"p", "load.donn_es"},
		{"my pipeline", "a.b"}, {"my_pipeline", "a.b"}, {"my/pipeline", "a.b"},
	} {
		r := refName(n.pipeline, n.step)
		if prev, dup := seen[r]; dup {
			t.Errorf("%s/%s and %s share the ref %s", n.pipeline, n.step, prev, r)
		}
		seen[r] = n.pipeline + "/" + n.step
	}
}
