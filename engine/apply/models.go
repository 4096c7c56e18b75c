package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/steps"
)

// Models is the engine's steps.ModelRegistry: the registry, seen from one
// step execution. Versions it creates name RunID and ExecutionID, so that
// lineage leads from a version to the publish that made it; alias moves
// are recorded as made by a publish (registry.MoveByPublish) in RunID,
// with Step as the note.
//
// Apply hands one to every step it runs when it has a registry; tests of
// step kinds build one over a registry of their own.
type Models struct {
	DB *registry.DB
	// RunID and ExecutionID are the run and the execution of the step;
	// 0 when not recorded.
	RunID, ExecutionID int64
	// Step is the step's address, e.g. "publish.release".
	Step string
	// Names maps a model's or an alias's name as the step gives it to the
	// name the registry records: a sensitive name to its keyed hash
	// (registry.SensitiveName). Nil records names as given.
	Names func(string) string
}

var _ steps.ModelRegistry = (*Models)(nil)

// RecordedName returns the name the registry records name under.
func (m *Models) RecordedName(name string) string {
	if m.Names == nil {
		return name
	}
	return m.Names(name)
}

// hasModel reports whether the registry knows the model.
func (m *Models) hasModel(ctx context.Context, model string) (bool, error) {
	all, err := m.DB.Models(ctx)
	if err != nil {
		return false, err
	}
	for _, s := range all {
		if s.Name == model {
			return true, nil
		}
	}
	return false, nil
}

// FindVersion returns the version of model made from modelDigest, or 0.
func (m *Models) FindVersion(ctx context.Context, model, modelDigest string) (int, error) {
	model = m.RecordedName(model)
	ok, err := m.hasModel(ctx, model)
	if err != nil || !ok {
		return 0, err
	}
	d, err := m.DB.Model(ctx, model)
	if err != nil {
		return 0, err
	}
	for _, v := range d.Versions {
		if v.ModelDigest == modelDigest {
			return v.Version, nil
		}
	}
	return 0, nil
}

// LatestVersion returns model's newest version, or 0.
func (m *Models) LatestVersion(ctx context.Context, model string) (int, error) {
	model = m.RecordedName(model)
	all, err := m.DB.Models(ctx)
	if err != nil {
		return 0, err
	}
	for _, s := range all {
		if s.Name == model {
			return s.Latest, nil
		}
	}
	return 0, nil
}

// ReserveVersion takes the number of the version of model made from
// modelDigest, against the run and execution; see
// registry.DB.ReserveVersion.
func (m *Models) ReserveVersion(ctx context.Context, model, modelDigest string) (int, error) {
	model = m.RecordedName(model)
	v, _, err := m.DB.ReserveVersion(ctx, model, modelDigest, m.RunID, m.ExecutionID)
	return v, err
}

// CreateVersion records v against the run and execution; see
// registry.DB.CreateModelVersion.
func (m *Models) CreateVersion(ctx context.Context, v steps.ModelVersion) (int, bool, error) {
	return m.DB.CreateModelVersion(ctx, registry.ModelVersion{
		Model:          m.RecordedName(v.Model),
		ModelDigest:    v.ModelDigest,
		ReportDigest:   v.ReportDigest,
		URI:            v.URI,
		Metrics:        v.Metrics,
		EvalDataDigest: v.EvalDataDigest,
		RunID:          m.RunID,
		ExecutionID:    m.ExecutionID,
	})
}

func (m *Models) reason() registry.Reason {
	return registry.Reason{Trigger: registry.MoveByPublish, RunID: m.RunID, Note: m.Step}
}

// SetAlias moves the alias, recorded as a publish's move.
func (m *Models) SetAlias(ctx context.Context, model, alias string, version int) (bool, error) {
	model = m.RecordedName(model)
	alias = m.RecordedName(alias)
	return m.DB.SetAlias(ctx, model, alias, version, m.reason())
}

// PromoteIf moves the alias when the rule says so; see
// registry.DB.PromoteIf.
func (m *Models) PromoteIf(ctx context.Context, model, alias string, version int, rule steps.PromoteRule) (steps.PromoteDecision, error) {
	model = m.RecordedName(model)
	alias = m.RecordedName(alias)
	d, err := m.DB.PromoteIf(ctx, model, alias, version, registry.PromoteRule{
		Metric: rule.Metric, MinDelta: rule.MinDelta, LowerIsBetter: rule.LowerIsBetter,
	}, m.reason())
	if err != nil {
		return steps.PromoteDecision{}, err
	}
	return steps.PromoteDecision{
		Moved: d.Moved, Incumbent: d.Incumbent, Compared: d.Compared,
		CandidateValue: d.CandidateValue, IncumbentValue: d.IncumbentValue, Why: d.Why,
	}, nil
}

// AliasVersion returns where the alias points, or 0.
func (m *Models) AliasVersion(ctx context.Context, model, alias string) (int, error) {
	model = m.RecordedName(model)
	alias = m.RecordedName(alias)
	ok, err := m.hasModel(ctx, model)
	if err != nil || !ok {
		return 0, err
	}
	aliases, err := m.DB.Aliases(ctx, model)
	if err != nil {
		return 0, err
	}
	for _, a := range aliases {
		if a.Name == alias {
			return a.Version, nil
		}
	}
	return 0, nil
}

// LineageDocument is what Models.Lineage returns, as JSON.
type LineageDocument struct {
	// Run is the run the step runs in (with its Git commit), nil when
	// unknown.
	Run *registry.Run `json:"run"`
	// ExecutionID is the step's execution.
	ExecutionID int64 `json:"execution_id,omitempty"`
	// Lineage is the upstream graph of the artifact.
	Lineage *registry.Graph `json:"lineage"`
}

// Lineage returns the upstream lineage of the artifact with the given
// digest, with the run, as a LineageDocument.
func (m *Models) Lineage(ctx context.Context, digest string) ([]byte, error) {
	doc := LineageDocument{ExecutionID: m.ExecutionID}
	if m.RunID != 0 {
		d, err := m.DB.Run(ctx, m.RunID)
		if err != nil {
			return nil, err
		}
		doc.Run = &d.Run
	}
	g, err := m.DB.Upstream(ctx, digest, nil)
	if err != nil {
		return nil, err
	}
	doc.Lineage = g
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("apply: encoding the lineage of %s: %w", digest, err)
	}
	return b, nil
}

// stepModels returns the model registry for one step execution, or nil
// without a registry. A name the step gives that is, holds or is part of
// a sensitive string of its configuration cfg is recorded as its keyed
// hash (registry.SensitiveName).
func (a *applier) stepModels(step string, execID int64, cfg cty.Value) steps.ModelRegistry {
	if a.opts.Registry == nil {
		return nil
	}
	m := &Models{DB: a.opts.Registry, RunID: a.opts.RunID, ExecutionID: execID, Step: step}
	secrets := map[string]bool{}
	sensitiveStrings(cfg, false, secrets)
	if len(secrets) > 0 {
		m.Names = func(name string) string {
			for s := range secrets {
				if strings.Contains(name, s) || strings.Contains(s, name) {
					key, err := a.opts.Plan.Keys()
					if err != nil {
						// The step's cache key took the same key; a name
						// is never recorded in clear.
						return lang.Redacted
					}
					return registry.SensitiveName(key, name)
				}
			}
			return name
		}
	}
	return m
}

// sensitiveStrings collects the strings in v that are sensitive (marked,
// or inside a marked value).
func sensitiveStrings(v cty.Value, marked bool, into map[string]bool) {
	v, marks := v.Unmark()
	marked = marked || marks.Has(lang.Sensitive)
	if !v.IsKnown() || v.IsNull() {
		return
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		if marked && v.AsString() != "" {
			into[v.AsString()] = true
		}
	case ty.IsObjectType() || ty.IsMapType() || ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			sensitiveStrings(e, marked, into)
		}
	}
}
