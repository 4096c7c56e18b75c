package publish

import (
	"path"
	"regexp"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// Kind is the publish step kind.
type Kind struct{}

var (
	_ steps.Kind      = Kind{}
	_ steps.Validator = Kind{}
)

// Name is "publish".
func (Kind) Name() string { return "publish" }

// Version changes whenever publish's behaviour does.
func (Kind) Version() string { return "publish/1" }

// promoteIfFields are promote_if's fields: metric is required.
var promoteIfFields = []steps.Attribute{
	{Name: "metric", Type: cty.String, Required: true,
		Description: `The metric to compare, e.g. "f1": one of the report's metrics.`},
	{Name: "min_delta", Type: cty.Number, Number: &steps.Number{Min: cty.Zero},
		Description: "How much better the new version must be; default 0, any improvement."},
	{Name: "lower_is_better", Type: cty.Bool,
		Description: "Whether lower values are better; by default true for metrics named like losses and errors (log_loss, mse)."},
}

var schema = &steps.Schema{
	Description: "Copies a model and its report to a new version folder, records the version in the registry and moves an alias.",
	Attributes: []steps.Attribute{
		{Name: "model", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{media.Model},
			Description: "The model to publish: a train step's model output."},
		{Name: "report", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{media.Report},
			Description: "The model's evaluation report: an evaluate step's report output."},
		{Name: "to", Type: cty.String, Required: true, Path: steps.PathWrite, Description: "Folder the versions go in: gs://BUCKET/PREFIX, s3://..., file://... or a path relative to the pipeline."},
		{Name: "name", Type: cty.String, Description: "Model name in the registry; default the last path element of to."},
		{Name: "require", Type: cty.Bool, Explain: true, Description: "A condition that must hold to publish, e.g. evaluate.holdout.f1 >= 0.85."},
		{Name: "alias", Type: cty.String, Description: "Alias to point at the new version, e.g. champion."},
		{Name: "promote_if", Type: steps.ObjectType(promoteIfFields), Fields: promoteIfFields, Description: "Move alias only when the version beats the alias's on this metric: { metric = \"f1\", min_delta = 0 }."},
	},
	Outputs: []steps.Output{
		{Name: "name", Type: cty.String, Description: "The model's name."},
		{Name: "version", Type: cty.Number, Description: "The version number, new or existing."},
		{Name: "uri", Type: cty.String, Description: "The version's folder, TO/vN/."},
		{Name: "created", Type: cty.Bool, Description: "False when this model had been published before."},
		{Name: "promoted", Type: cty.Bool, Description: "Whether alias points at this version after the step."},
		{Name: "alias_version", Type: cty.Number, Description: "The version alias points at after the step; null without alias."},
	},
}

// Schema declares the attributes and outputs.
func (Kind) Schema() *steps.Schema { return schema }

// The registry's rules for names, checked here too so that plan reports
// them at the attribute.
var (
	modelNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	aliasNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
	versionRE   = regexp.MustCompile(`^v?[0-9]+$`)
)

// Validate checks names, and promote_if's settings, where known.
func (Kind) Validate(cfg cty.Value) []*steps.AttrError {
	var errs []*steps.AttrError
	known := func(name string) (cty.Value, bool) {
		v := cfg.GetAttr(name)
		return v, v.IsWhollyKnown() && !v.IsNull()
	}
	to, toKnown := known("to")
	if toKnown && strings.TrimSpace(to.AsString()) == "" {
		errs = append(errs, steps.Errorf(steps.AttrPath("to"), "Empty destination", "to must name a folder: gs://BUCKET/PREFIX, or a path relative to the pipeline."))
		toKnown = false
	}
	if name, ok := known("name"); ok {
		if !modelNameRE.MatchString(name.AsString()) {
			errs = append(errs, steps.Errorf(steps.AttrPath("name"), "Invalid model name", "%q is not a model name: use letters, digits, '.', '_' and '-', starting with a letter or digit.", name.AsString()))
		}
	} else if n := cfg.GetAttr("name"); n.IsKnown() && n.IsNull() && toKnown {
		if d := defaultName(to.AsString()); !modelNameRE.MatchString(d) {
			errs = append(errs, steps.Errorf(steps.AttrPath("to"), "No model name", "The model's name defaults to the last element of to, %q, which is not a model name (letters, digits, '.', '_' and '-'). Set name = \"...\".", d))
		}
	}
	alias, aliasKnown := known("alias")
	if aliasKnown {
		a := alias.AsString()
		if !aliasNameRE.MatchString(a) || versionRE.MatchString(a) || a == "latest" {
			errs = append(errs, steps.Errorf(steps.AttrPath("alias"), "Invalid alias", "%q is not an alias: use letters, digits, '.', '_' and '-', starting with a letter; it may not look like a version (v3) or be \"latest\".", a))
		}
	}
	if p := cfg.GetAttr("promote_if"); p.IsKnown() && !p.IsNull() {
		if a := cfg.GetAttr("alias"); a.IsKnown() && a.IsNull() {
			errs = append(errs, steps.Errorf(steps.AttrPath("promote_if"), "promote_if without alias", "promote_if says when to move an alias; name it with alias = \"champion\"."))
		}
		if m := p.GetAttr("metric"); m.IsKnown() && !m.IsNull() && strings.TrimSpace(m.AsString()) == "" {
			errs = append(errs, steps.Errorf(steps.AttrPath("promote_if", "metric"), "Empty metric", "promote_if.metric names the metric to compare, e.g. \"f1\"."))
		}
		if d := p.GetAttr("min_delta"); d.IsKnown() && !d.IsNull() && d.AsBigFloat().IsInf() {
			errs = append(errs, steps.Errorf(steps.AttrPath("promote_if", "min_delta"), "Invalid min_delta", "min_delta is how much better the new version must be: a finite number >= 0, not %s.", d.AsBigFloat().Text('g', -1)))
		}
	}
	if r := cfg.GetAttr("require"); r.IsKnown() && !r.IsNull() && r.False() {
		errs = append(errs, &steps.AttrError{
			Path:    steps.AttrPath("require"),
			Summary: "Publishing will be blocked",
			Detail:  "require is false with the values known now, so this publish step will fail and publish nothing.",
			Warning: true,
		})
	}
	return errs
}

// defaultName is the last path element of to: gs://b/models/privacy-intent
// gives privacy-intent.
func defaultName(to string) string {
	if i := strings.IndexByte(to, '?'); i >= 0 {
		to = to[:i]
	}
	if _, rest, ok := strings.Cut(to, "://"); ok {
		to = rest
	}
	to = strings.TrimRight(strings.ReplaceAll(to, `\`, "/"), "/")
	return path.Base(to)
}

// lowerIsBetter guesses a metric's direction from its name: losses and
// errors are better lower.
func lowerIsBetter(metric string) bool {
	m := strings.ToLower(metric)
	return m == "loss" || m == "error" || strings.HasSuffix(m, "_loss") || strings.HasSuffix(m, "_error") || m == "mse" || m == "rmse" || m == "mae"
}

var _ steps.CoordinatorBound = Kind{}

// NeedsCoordinator keeps publish in the process running the apply,
// whatever the executor: it records model versions and aliases in the
// registry, which only that process writes.
func (Kind) NeedsCoordinator(cty.Value) string {
	return "records model versions in the registry"
}
