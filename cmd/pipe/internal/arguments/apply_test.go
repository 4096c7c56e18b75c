package arguments

import (
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/eval"
)

func TestParseApply(t *testing.T) {
	a, err := ParseApply([]string{"-json", "-parallelism=3", "dir", "-lock-timeout=30s", "-trigger=ci", "-openlineage=ol.ndjson",
		"-target=train.model", "-replace=load.corpus", "-var", "x=1", "-var-file=v.hcl", "-store=mem://", "-state-dir=s", "-registry=r.db"})
	if err != nil {
		t.Fatal(err)
	}
	want := Apply{
		Workspace: Workspace{Vars: Vars{Args: []eval.VarArg{{Assign: "x=1"}, {File: "v.hcl"}}}, Store: "mem://", StateDir: "s", Registry: "r.db"},
		Path:      "dir", Parallelism: 3, LockTimeout: 30 * time.Second, Trigger: "ci", OpenLineage: "ol.ndjson", ViewType: ViewJSON,
	}
	want.Targets = []config.StepAddr{{Kind: "train", Name: "model"}}
	want.Replace = []config.StepAddr{{Kind: "load", Name: "corpus"}}
	a.Steps.targets, a.Steps.replace = nil, nil
	if !reflect.DeepEqual(*a, want) {
		t.Errorf("got  %+v\nwant %+v", *a, want)
	}
	a, err = ParseApply(nil)
	if err != nil || a.Path != "." || a.Parallelism != runtime.NumCPU() || a.ViewType != ViewHuman {
		t.Errorf("defaults: %+v, %v", a, err)
	}
}

func TestParseApplyErrors(t *testing.T) {
	checkErrors(t, func(args []string) error { _, err := ParseApply(args); return err }, []errorCase{
		{[]string{"-parallelism=0"}, "-parallelism must be at least 1, not 0", "-parallelism=" + itoa(runtime.NumCPU()), false},
		{[]string{"-target=train"}, `-target=train: "train" is not a step address`, "name a step as KIND.NAME, e.g. -target=train.model; pipe graph lists them", false},
		{[]string{"-replace=a.b.c"}, `-replace=a.b.c: "a.b.c" is not a step address`, "name a step as KIND.NAME, e.g. -replace=train.model; pipe graph lists them", false},
		{[]string{"a", "b"}, "too many arguments: a b", "", true},
		{[]string{"-lock-timeout=soon"}, `invalid value "soon" for flag -lock-timeout: parse error`, "", true},
	})
}

func TestParsePlanAndShow(t *testing.T) {
	for args, want := range map[string]ViewType{"": ViewHuman, "-json": ViewJSON, "-markdown": ViewMarkdown, "-json -markdown": ViewJSON} {
		var list []string
		if args != "" {
			list = splitArgs(args)
		}
		p, err := ParsePlan(list)
		if err != nil || p.ViewType != want {
			t.Errorf("plan %s: %+v, %v", args, p, err)
		}
		s, err := ParseShow(append(list, "x.plan"))
		if err != nil || s.ViewType != want || s.PlanFile != "x.plan" {
			t.Errorf("show %s: %+v, %v", args, s, err)
		}
	}
	p, err := ParsePlan([]string{"-out=p.plan", "-detailed-exitcode", "pipelines/"})
	if err != nil || p.Out != "p.plan" || !p.DetailedExitCode || p.Path != "pipelines/" {
		t.Errorf("plan: %+v, %v", p, err)
	}
	checkErrors(t, func(args []string) error { _, err := ParseShow(args); return err }, []errorCase{
		{[]string{}, "show needs one PLANFILE", "", true},
		{[]string{"a", "b"}, "show needs one PLANFILE", "", true},
	})
}
