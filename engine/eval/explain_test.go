package eval

import (
	"context"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

func TestExplain(t *testing.T) {
	src := []byte("gate \"g\" {\n  require = (var.f1 >= 0.85 &&\n    var.secret != \"\")\n  other = true\n}\n")
	kinds := steps.NewCatalog(gateKind{})
	cfg, diags := config.Parse("/p", []config.Source{{Name: "p.pipe.hcl", Bytes: src}}, kinds)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	scope := &lang.Scope{Dir: "/p", Vars: map[string]cty.Value{
		"f1":     cty.NumberFloatVal(0.81),
		"secret": cty.StringVal("s3cret").Mark(lang.Sensitive),
	}}
	step := cfg.Steps[config.StepAddr{Kind: "gate", Name: "g"}]
	got := Explain(step, scope, map[string][]byte{"p.pipe.hcl": src})
	want := `(var.f1 >= 0.85 && var.secret != "") (var.f1 = 0.81, var.secret = (sensitive value))`
	if got["require"] != want {
		t.Errorf("got  %q\nwant %q", got["require"], want)
	}
	if _, ok := got["other"]; ok {
		t.Error("an attribute without Explain was explained")
	}
}

type gateKind struct{}

func (gateKind) Name() string    { return "gate" }
func (gateKind) Version() string { return "1" }
func (gateKind) Schema() *steps.Schema {
	return &steps.Schema{Attributes: []steps.Attribute{{Name: "require", Type: cty.Bool, Explain: true}, {Name: "other", Type: cty.Bool}}}
}
func (gateKind) Run(context.Context, steps.Env, *steps.Inputs) (steps.Outputs, error) {
	return nil, nil
}
