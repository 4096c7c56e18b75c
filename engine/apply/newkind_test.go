package apply

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/testkinds"
)

// A kind with a kind of artifact of its own (testkinds' tally and its
// counts), declared nowhere but in its package: apply refuses another
// artifact where counts are expected, once the artifact is known, and the
// registry records counts under the label the kind declares.
func TestANewKindOfArtifactIsCheckedAndLabelled(t *testing.T) {
	f := newFixture(t, `
source "corpus" {
  path = "data/*.txt"
}

tally "first" {
  input = source.corpus.data
}

tally "again" {
  input = source.corpus.data
  add   = tally.first.counts
}

tally "wrong" {
  input = source.corpus.data
  add   = source.corpus.data
}
`)
	ctx := context.Background()
	runID, err := f.reg.BeginRun(ctx, registry.Run{Pipeline: "t", Trigger: registry.TriggerManual, PipeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(ctx, Options{Plan: f.plan(nil, nil), Store: f.store, Files: f.files, Registry: f.reg, RunID: runID, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, s := range res.Steps {
		if s.Status == Ran {
			ran = append(ran, s.Addr.String())
		}
	}
	slices.Sort(ran)
	expectRan(t, ran, "source.corpus", "tally.first", "tally.again")
	if f.counter.Get("tally") != 2 {
		t.Errorf("%d tallies ran, want 2: tally.wrong must not run", f.counter.Get("tally"))
	}
	if len(res.Diagnostics) != 1 || res.Diagnostics[0].Summary != "Wrong kind of artifact" || res.Diagnostics[0].Subject.Start.Line != 17 {
		t.Fatalf("diagnostics: %v", res.Diagnostics)
	}
	const detail = "add is an artifact of type text/plain, not a counts artifact (" + "application/vnd.pipe.test.counts+json" + "). Give the counts output of a tally step, e.g. tally.NAME.counts."
	if d := res.Diagnostics[0].Detail; d != detail {
		t.Errorf("detail\n%s\nwant\n%s", d, detail)
	}

	detailRun, err := f.reg.Run(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, e := range detailRun.Executions {
		for _, a := range append(e.Used, e.Produced...) {
			if a.MediaType == testkinds.Counts.Type {
				labels = append(labels, e.Step+" "+a.Name+" "+a.Kind)
			}
		}
	}
	want := "tally.again add counts, tally.again counts counts, tally.first counts counts"
	if got := strings.Join(slices.Sorted(slices.Values(labels)), ", "); got != want {
		t.Errorf("recorded counts artifacts: %s\nwant %s", got, want)
	}
}
