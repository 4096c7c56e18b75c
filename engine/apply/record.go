package apply

import (
	"context"
	"encoding/json"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/steps"
)

// startExecution records a step that starts (to run, or one that failed
// before it could) in the registry, with what it uses, and returns its id
// (0 without a registry). A registry failure is a warning: the run's
// results matter more than their record.
func (a *applier) startExecution(ctx context.Context, ps *plan.Step, step *config.Step, cfg cty.Value, pre *cachekey.Preimage, used []registry.ArtifactRef, started time.Time) int64 {
	if a.opts.Registry == nil {
		return 0
	}
	id, err := a.opts.Registry.StartExecution(ctx, a.execution(ps, step, cfg, pre, used, started))
	return a.recorded(ps, step, id, err)
}

// recordCached records a step served from the cache, r, in the registry
// in one entry, started and ended (finishExecution then leaves it
// alone), and returns its id (0 without a registry).
func (a *applier) recordCached(ctx context.Context, ps *plan.Step, step *config.Step, cfg cty.Value, pre *cachekey.Preimage, r *StepResult, started time.Time) int64 {
	if a.opts.Registry == nil {
		return 0
	}
	e := a.execution(ps, step, cfg, pre, r.used, started)
	res := a.executionResult(r)
	e.Status, e.Ended, e.Outputs, e.Warnings, e.Produced = res.Status, res.Ended, res.Outputs, res.Warnings, res.Produced
	id, err := a.opts.Registry.RecordExecution(ctx, e)
	r.recorded = err == nil
	return a.recorded(ps, step, id, err)
}

// execution is the record of a step that starts.
func (a *applier) execution(ps *plan.Step, step *config.Step, cfg cty.Value, pre *cachekey.Preimage, used []registry.ArtifactRef, started time.Time) registry.Execution {
	e := registry.Execution{
		RunID:       a.opts.RunID,
		Step:        ps.Addr.String(),
		Kind:        ps.Kind.Name(),
		KindVersion: ps.Kind.Version(),
		CacheKey:    pre.Key(),
		Started:     started,
		Config:      configJSON(cfg),
		Used:        used,
		DependsOn:   a.dependencies(step),
	}
	for i := range e.Used {
		if e.Used[i].Path == "" {
			e.Used[i].URI = a.opts.Store.URI(e.Used[i].Digest)
		}
	}
	return e
}

// recorded keeps the id of a step's execution, or warns that it could
// not be recorded (err) and returns 0.
func (a *applier) recorded(ps *plan.Step, step *config.Step, id int64, err error) int64 {
	if err != nil {
		a.warnDiag(step, "Cannot record the execution in the registry", err.Error())
		return 0
	}
	a.mu.Lock()
	a.execIDs[ps.Addr] = id
	a.mu.Unlock()
	return id
}

// finishExecution records how a visited step ended, unless it was
// recorded whole (recordCached).
func (a *applier) finishExecution(ctx context.Context, ps *plan.Step, r *StepResult) {
	a.mu.Lock()
	id := a.execIDs[ps.Addr]
	a.mu.Unlock()
	if a.opts.Registry == nil || id == 0 {
		return
	}
	r.ExecutionID = id
	if r.recorded {
		return
	}
	if err := a.opts.Registry.FinishExecution(context.WithoutCancel(ctx), id, a.executionResult(r)); err != nil {
		a.warnDiag(a.opts.Plan.Pipeline.Config.Steps[ps.Addr], "Cannot record the execution in the registry", err.Error())
	}
}

// executionResult is how r ended, for the registry.
func (a *applier) executionResult(r *StepResult) registry.ExecutionResult {
	res := registry.ExecutionResult{Status: r.Status, Ended: a.now(), Error: errString(r.Err), Warnings: r.Warnings, Executor: r.Executor}
	if r.Outputs != cty.NilVal {
		res.Outputs = outputsJSON(r.Outputs)
		res.Produced = labelled(a.opts.Plan.Pipeline.Kinds, producedArtifacts(r.Outputs))
		for i := range res.Produced {
			res.Produced[i].URI = a.opts.Store.URI(res.Produced[i].Digest)
		}
	}
	return res
}

// recordUnvisited records a step that never started: skipped after a
// failure upstream, or cancelled.
func (a *applier) recordUnvisited(ctx context.Context, ps *plan.Step, r *StepResult) {
	if a.opts.Registry == nil {
		return
	}
	now := a.now()
	id, err := a.opts.Registry.StartExecution(context.WithoutCancel(ctx), registry.Execution{
		RunID: a.opts.RunID, Step: ps.Addr.String(), Kind: ps.Kind.Name(), KindVersion: ps.Kind.Version(), Started: now,
	})
	if err != nil {
		return
	}
	a.opts.Registry.FinishExecution(context.WithoutCancel(ctx), id, registry.ExecutionResult{Status: r.Status, Ended: now, Error: errString(r.Err)})
	r.ExecutionID = id
}

// dependencies lists the executions of this run whose values that are not
// artifacts the step uses (train's params from search.lr.best), so the
// registry's lineage can follow them.
func (a *applier) dependencies(step *config.Step) []registry.Dependency {
	var deps []registry.Dependency
	seen := map[string]bool{}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ref := range a.opts.Plan.Pipeline.Graph.Refs[step.Addr] {
		id := a.execIDs[ref.Step]
		if id == 0 || seen[ref.String()] {
			continue
		}
		if ref.Output != "" {
			if o, ok := a.opts.Plan.Pipeline.Config.Steps[ref.Step].Kind.Schema().Output(ref.Output); ok && o.Type.Equals(steps.ArtifactType) {
				continue // artifacts are linked through the artifact itself
			}
		}
		seen[ref.String()] = true
		deps = append(deps, registry.Dependency{ExecutionID: id, Name: ref.String()})
	}
	return deps
}

// labelled gives each artifact in refs that has no kind the label the step
// kinds declare for its media type (registry.KindOther stays for a media
// type no kind declares).
func labelled(kinds *steps.Catalog, refs []registry.ArtifactRef) []registry.ArtifactRef {
	for i, ref := range refs {
		if m, ok := kinds.MediaOf(ref.MediaType); ok && ref.Kind == "" {
			refs[i].Kind = m.Label
		}
	}
	return refs
}

// usedArtifacts lists the artifacts a configuration refers to and the
// input files, for the registry.
func usedArtifacts(cfg cty.Value, files []steps.File) []registry.ArtifactRef {
	var refs []registry.ArtifactRef
	unmarked, _ := cfg.UnmarkDeep()
	for name, v := range unmarked.AsValueMap() {
		for _, art := range artifactsIn(v) {
			refs = append(refs, registry.ArtifactFromStep(art, name))
		}
	}
	for _, f := range files {
		refs = append(refs, registry.FileArtifact(f, "", "path"))
	}
	return refs
}

func producedArtifacts(outputs cty.Value) []registry.ArtifactRef {
	var refs []registry.ArtifactRef
	unmarked, _ := outputs.UnmarkDeep()
	for name, v := range unmarked.AsValueMap() {
		for _, art := range artifactsIn(v) {
			refs = append(refs, registry.ArtifactFromStep(art, name))
		}
	}
	return refs
}

// artifactsIn finds every artifact value inside v.
func artifactsIn(v cty.Value) []steps.Artifact {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	if steps.IsArtifact(v) {
		a, err := steps.ArtifactFromValue(v)
		if err != nil {
			return nil
		}
		return []steps.Artifact{a}
	}
	ty := v.Type()
	if !(ty.IsObjectType() || ty.IsMapType() || ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		return nil
	}
	var out []steps.Artifact
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, artifactsIn(e)...)
	}
	return out
}

// configJSON renders an evaluated configuration for the registry, with
// sensitive values replaced by "(sensitive value)".
func configJSON(cfg cty.Value) json.RawMessage {
	return valuesJSON(cfg, false)
}

// outputsJSON renders a step's outputs that are not artifacts.
func outputsJSON(outputs cty.Value) json.RawMessage {
	return valuesJSON(outputs, true)
}

func valuesJSON(obj cty.Value, skipArtifacts bool) json.RawMessage {
	m := map[string]json.RawMessage{}
	for name, v := range obj.AsValueMap() {
		if skipArtifacts && steps.IsArtifact(v) {
			continue
		}
		if lang.IsSensitive(v) {
			m[name] = json.RawMessage(`"` + lang.Redacted + `"`)
			continue
		}
		b, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			continue
		}
		m[name] = b
	}
	b, _ := json.Marshal(m)
	return b
}
