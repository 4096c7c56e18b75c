package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// config is the publish block, decoded.
type config struct {
	model, report steps.Artifact
	to, name      string
	// base is the canonical URL of to, ending in "/": versions are
	// base + "vN/".
	base  string
	alias string
	rule  *steps.PromoteRule
}

func decode(in *steps.Inputs) (*config, error) {
	c := &config{to: in.String("to"), name: in.String("name"), alias: in.String("alias")}
	var err error
	if c.model, err = in.Artifact("model"); err != nil {
		return nil, err
	}
	if c.report, err = in.Artifact("report"); err != nil {
		return nil, err
	}
	if c.name == "" {
		c.name = defaultName(c.to)
	}
	c.base = baseURL(c.to, in.Dir)
	if p := in.Attr("promote_if"); !p.IsNull() {
		metric := p.GetAttr("metric").AsString()
		rule := &steps.PromoteRule{Metric: metric, LowerIsBetter: lowerIsBetter(metric)}
		if d := p.GetAttr("min_delta"); !d.IsNull() {
			rule.MinDelta, _ = d.AsBigFloat().Float64()
		}
		if l := p.GetAttr("lower_is_better"); !l.IsNull() {
			rule.LowerIsBetter = l.True()
		}
		c.rule = rule
	}
	return c, nil
}

// baseURL is the canonical URL of the folder to, ending in "/": local
// paths become file:///ABS/, the query of a cloud URL (credentials,
// options) is left out.
func baseURL(to, dir string) string {
	if i := strings.IndexByte(to, '?'); i >= 0 && strings.Contains(to, "://") {
		to = to[:i]
	}
	local := to
	if p, ok := strings.CutPrefix(to, "file://"); ok {
		local = p
	} else if strings.Contains(to, "://") {
		return strings.TrimRight(to, "/") + "/"
	}
	if !filepath.IsAbs(local) {
		local = filepath.Join(dir, local)
	}
	return "file://" + strings.TrimRight(filepath.ToSlash(filepath.Clean(local)), "/") + "/"
}

// Run publishes the model; see the package documentation for the order of
// things.
func (Kind) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	if r := in.Attr("require"); !r.IsNull() && r.False() {
		expr := in.Explanations["require"]
		if expr == "" {
			expr = "require"
		}
		return nil, errorf("require", "Publishing blocked by require",
			"%s is false, so the model %s was not published. Improve the model, or change the condition if it is too strict.", expr, short(in.Attr("model").GetAttr("digest").AsString()))
	}
	c, err := decode(in)
	if err != nil {
		return nil, err
	}
	var models steps.ModelRegistry
	if me, ok := env.(steps.ModelRegistryEnv); ok {
		models = me.Models()
	}
	if models == nil {
		return nil, fmt.Errorf("publish: no model registry to record the version in; publish runs under pipe apply, which opens the registry (.pipe/registry.db, or -registry)")
	}

	reportBytes, err := env.ReadArtifact(ctx, c.report)
	if err != nil {
		return nil, fmt.Errorf("publish: reading the report: %w", err)
	}
	rep, err := parseReport(reportBytes)
	if err != nil {
		return nil, err
	}
	if rep.ModelDigest != c.model.Digest {
		return nil, errorf("report", "Report of another model",
			"The report evaluates model %s, but the model published is %s: a report must be of the model it is published with. Give the report of an evaluate step whose model is the one published here.",
			short(rep.ModelDigest), short(c.model.Digest))
	}
	if c.rule != nil {
		if _, ok := rep.Metrics[c.rule.Metric]; !ok {
			return nil, steps.Errorf(steps.AttrPath("promote_if", "metric"), "Unknown metric",
				"The report has no metric %q to compare; %s.", c.rule.Metric, rep.metricNames())
		}
	}
	modelBytes, err := env.ReadArtifact(ctx, c.model)
	if err != nil {
		return nil, fmt.Errorf("publish: reading the model: %w", err)
	}

	p := &publisher{env: env, models: models, cfg: c, rep: rep, files: map[string][]byte{
		modelFile:  modelBytes,
		reportFile: reportBytes,
	}}
	version, created, err := p.publish(ctx)
	if err != nil {
		return nil, err
	}

	out := steps.Outputs{
		"name":          cty.StringVal(c.name),
		"version":       cty.NumberIntVal(int64(version)),
		"uri":           cty.StringVal(p.versionURI(version)),
		"created":       cty.BoolVal(created),
		"promoted":      cty.False,
		"alias_version": cty.NullVal(cty.Number),
	}
	if c.alias == "" {
		return out, nil
	}
	if err := p.moveAlias(ctx, version); err != nil {
		return nil, err
	}
	at, err := models.AliasVersion(ctx, c.name, c.alias)
	if err != nil {
		return nil, fmt.Errorf("publish: reading alias %s: %w", c.alias, err)
	}
	if at != 0 {
		out["alias_version"] = cty.NumberIntVal(int64(at))
	}
	out["promoted"] = cty.BoolVal(at == version)
	return out, nil
}

// moveAlias points the alias at version, unconditionally or by the rule.
func (p *publisher) moveAlias(ctx context.Context, version int) error {
	c := p.cfg
	if c.rule == nil {
		moved, err := p.models.SetAlias(ctx, c.name, c.alias, version)
		if err != nil {
			return fmt.Errorf("publish: moving %s@%s: %w", c.name, c.alias, err)
		}
		if moved {
			p.env.Logger().Info("alias moved", "model", p.models.RecordedName(c.name), "alias", p.models.RecordedName(c.alias), "version", version)
		}
		return nil
	}
	d, err := p.models.PromoteIf(ctx, c.name, c.alias, version, *c.rule)
	if err != nil {
		return fmt.Errorf("publish: promote_if: %w", err)
	}
	if d.Moved {
		p.env.Logger().Info("alias moved", "model", p.models.RecordedName(c.name), "alias", p.models.RecordedName(c.alias), "version", version, "why", d.Why)
	} else if d.Incumbent != version {
		p.env.Warn("Not promoted", d.Why)
	}
	return nil
}

// lineageFile builds lineage.json: the registry's lineage of the model
// with the version's identity in front.
func (p *publisher) lineageFile(ctx context.Context, version int) ([]byte, error) {
	raw, err := p.models.Lineage(ctx, p.cfg.model.Digest)
	if err != nil {
		return nil, fmt.Errorf("publish: reading the model's lineage: %w", err)
	}
	doc := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("publish: the registry's lineage is not a JSON object: %w", err)
	}
	put := func(key string, v any) {
		b, _ := json.Marshal(v)
		doc[key] = b
	}
	put("format", "pipe.lineage/v1")
	put("model", map[string]any{
		"name": p.models.RecordedName(p.cfg.name), "version": version, "digest": p.cfg.model.Digest,
		"media_type": p.cfg.model.MediaType, "size": p.cfg.model.Size, "uri": p.versionURI(version),
	})
	put("report", map[string]any{
		"digest": p.cfg.report.Digest, "size": p.cfg.report.Size,
		"eval_data_digest": p.rep.DataDigest, "metrics": p.rep.Metrics,
	})
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("publish: encoding lineage.json: %w", err)
	}
	return append(b, '\n'), nil
}
