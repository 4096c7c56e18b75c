package executor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps"
)

func TestTerminationRoundTrip(t *testing.T) {
	path := cty.GetAttrPath("space").GetAttr("C").Index(cty.NumberIntVal(2))
	path = path.Index(cty.StringVal("pos"))
	ae := steps.Errorf(path, "Only one class", "All %d rows are of class 0.", 12)
	for _, tc := range []struct {
		name    string
		err     error
		refused bool
		check   func(t *testing.T, got error)
	}{
		{"attribute error", ae, false, func(t *testing.T, got error) {
			var se *StepError
			var back *steps.AttrError
			if !errors.As(got, &se) || se.Step != "search.lr" || !errors.As(got, &back) {
				t.Fatalf("got %T %v, want a *StepError holding a *steps.AttrError", got, got)
			}
			if !back.Path.Equals(path) || back.Summary != ae.Summary || back.Detail != ae.Detail || got.Error() != ae.Error() {
				t.Errorf("got %#v (%q), want %#v (%q)", back, got, ae, ae.Error())
			}
		}},
		{"plain error", errors.New("search: reading the data: truncated"), false, func(t *testing.T, got error) {
			var se *StepError
			var back *steps.AttrError
			if !errors.As(got, &se) || errors.As(got, &back) || got.Error() != "search: reading the data: truncated" {
				t.Errorf("got %T %q", got, got)
			}
		}},
		{"refused", errors.New("built by pipe v1, this worker is pipe v2"), true, func(t *testing.T, got error) {
			var re *RefusedError
			if !errors.As(got, &re) || !strings.Contains(got.Error(), "refused the step-input document of search.lr: built by pipe v1") {
				t.Errorf("got %T %q", got, got)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewTermination("search.lr", tc.err, tc.refused).Encode()
			term, err := ParseTermination(b)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, term.Err())
		})
	}
}

func TestTerminationFitsKubernetes(t *testing.T) {
	long := strings.Repeat("é", 5000) // two bytes a rune: cut on a rune boundary
	b := NewTermination("train.model", steps.Errorf(steps.AttrPath("data"), "Bad data", "%s", long), false).Encode()
	if len(b) > MaxTermination {
		t.Fatalf("termination message is %d bytes, more than %d", len(b), MaxTermination)
	}
	term, err := ParseTermination(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(term.Detail, "…") || !strings.HasPrefix(term.Detail, "éé") || term.Summary != "Bad data" {
		t.Errorf("shortened to %q: %.10q", term.Summary, term.Detail)
	}
	long = strings.Repeat("x", 5000)
	b = NewTermination("train.model", errors.New(long), false).Encode()
	if term, err = ParseTermination(b); err != nil || len(b) > MaxTermination || !strings.HasSuffix(term.Message, "x…") {
		t.Errorf("a long plain error is %d bytes: %v", len(b), err)
	}
}

func TestParseTerminationRefusesOtherText(t *testing.T) {
	for _, msg := range []string{"", "panic: runtime error", `{"format":"other"}`} {
		if _, err := ParseTermination([]byte(msg)); err == nil || !strings.Contains(err.Error(), "not a pipe termination message") {
			t.Errorf("ParseTermination(%q) = %v", msg, err)
		}
	}
}

// publishLike is a kind that needs the coordinator.
type publishLike struct{ steps.Kind }

func (publishLike) NeedsCoordinator(cty.Value) string {
	return "records model versions in the registry"
}

func TestPlace(t *testing.T) {
	kinds := testkinds.Catalog(nil)
	source, _ := kinds.Lookup("source")       // a steps.FileReader
	transform, _ := kinds.Lookup("transform") // anywhere
	bound := publishLike{transform}
	plain := cty.ObjectVal(map[string]cty.Value{"mode": cty.StringVal("upper")})
	secret := cty.ObjectVal(map[string]cty.Value{"mode": cty.StringVal("upper").Mark(lang.Sensitive)})
	k8s := Resources{Executor: KubernetesName}
	local := Resources{Executor: LocalName}
	for _, tc := range []struct {
		name string
		kind steps.Kind
		cfg  cty.Value
		res  Resources
		def  string
		want string // Placement.String(), or the error's start
	}{
		{"default is local", transform, plain, Resources{}, "", "local"},
		{"pipeline default", transform, plain, Resources{}, KubernetesName, "kubernetes"},
		{"step's own", transform, plain, k8s, "", "kubernetes"},
		{"step's own beats the default", transform, plain, local, KubernetesName, "local"},
		{"files stay", source, plain, Resources{}, KubernetesName, "local (reads local files)"},
		{"files go when told", source, plain, k8s, "", "kubernetes"},
		{"secrets stay", transform, secret, Resources{}, KubernetesName, "local (holds a sensitive value)"},
		{"secrets never go", transform, secret, k8s, "", "error: the step cannot run on the kubernetes executor: it holds a sensitive value"},
		{"bound kinds stay", bound, plain, Resources{}, KubernetesName, "local (records model versions in the registry)"},
		{"bound kinds never go", bound, plain, k8s, "", "error: the step cannot run on the kubernetes executor: it records model versions"},
		{"local needs no reason", bound, secret, local, KubernetesName, "local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Place(tc.kind, tc.cfg, tc.res, tc.def)
			got := p.String()
			if err != nil {
				var pe *PlacementError
				if !errors.As(err, &pe) {
					t.Fatalf("error %T, want *PlacementError", err)
				}
				got = "error: " + err.Error()
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("Place = %q, want %q", got, tc.want)
			}
			if err == nil && p.Remote() != (p.Executor != LocalName) {
				t.Errorf("Remote() = %v for %s", p.Remote(), p)
			}
		})
	}
}

func TestLocalRunsInProcess(t *testing.T) {
	ran := 0
	err := Local{}.Run(context.Background(), &Task{Step: "transform.a", InProcess: func(context.Context) error { ran++; return nil }})
	if err != nil || ran != 1 {
		t.Errorf("Run = %v, ran %d times", err, ran)
	}
	if err := (Local{}).Run(context.Background(), &Task{Step: "transform.a"}); err == nil {
		t.Error("Run without InProcess succeeded")
	}
	if !Known("local") || !Known("kubernetes") || Known("kubernets") {
		t.Error("Known is wrong")
	}
}

func TestResourcesString(t *testing.T) {
	two := 2
	r := Resources{CPU: "2", Memory: "4Gi", Retries: &two, Shards: 8}
	if got := r.String(); got != "cpu=2, memory=4Gi, retries=2, shards=8" {
		t.Errorf("String = %q", got)
	}
	if got := (Resources{}).String(); got != "" {
		t.Errorf("zero String = %q", got)
	}
}
