package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/plan"
)

// A plan says where each step that runs will run as soon as one leaves
// the coordinator (or stays for a reason); a plan that runs everything in
// the process reads as it always did.
func TestPlanSaysWhere(t *testing.T) {
	doc := func(search plan.RunsOn) *plan.Document {
		return &plan.Document{Pipeline: "p", Summary: plan.Summary{Run: 2, Cached: 1}, Steps: []plan.DocumentStep{
			{Address: "load.corpus", Action: plan.Cached},
			{Address: "search.lr", Action: plan.Run, RunsOn: &search},
			{Address: "train.model", Action: plan.Run, KnownAfterApply: true, RunsOn: &plan.RunsOn{Executor: "local"}},
		}}
	}
	human := func(d *plan.Document) string {
		var b bytes.Buffer
		writePlan(&b, d, false)
		return b.String()
	}
	markdown := func(d *plan.Document) string {
		var b bytes.Buffer
		planMarkdown{&View{Stdout: &b}}.Plan(d)
		return b.String()
	}

	local := doc(plan.RunsOn{Executor: "local", Resources: "cpu=2"})
	if got := human(local); strings.Contains(got, " on ") || !strings.Contains(got, "+ search.lr    run\n") {
		t.Errorf("an all-local plan says where:\n%s", got)
	}
	remote := doc(plan.RunsOn{Executor: "kubernetes", Resources: "cpu=2, memory=4Gi"})
	got := human(remote)
	for _, want := range []string{
		"  load.corpus  cached\n",
		"+ search.lr    run on kubernetes [cpu=2, memory=4Gi]\n",
		"+ train.model  run (known after apply) on local\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	kept := doc(plan.RunsOn{Executor: "local", Reason: "reads local files"})
	if got := human(kept); !strings.Contains(got, "run on local (reads local files)") {
		t.Errorf("plan does not say why a step stays:\n%s", got)
	}
	if got := markdown(remote); !strings.Contains(got, "| `search.lr` | run on kubernetes \\[cpu=2, memory=4Gi\\] |") {
		t.Errorf("Markdown plan:\n%s", got)
	}
}
