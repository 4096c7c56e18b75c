package apply

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/registry"
)

// describe adds to a step_finished event what the registry records about
// the execution: its ID, what it used and produced, its configuration and
// its plain outputs.
func (a *applier) describe(e Event, r *StepResult) Event {
	e.ExecutionID = r.ExecutionID
	e.Config = r.config
	e.Used = a.withURIs(r.used)
	if r.Outputs != cty.NilVal && !r.Outputs.IsNull() {
		e.Outputs = outputsJSON(r.Outputs)
		e.Produced = a.withURIs(labelled(a.opts.Plan.Pipeline.Kinds, producedArtifacts(r.Outputs)))
	}
	return e
}

// withURIs returns a copy of refs in which every artifact in the store has
// its store URI.
func (a *applier) withURIs(refs []registry.ArtifactRef) []registry.ArtifactRef {
	if len(refs) == 0 {
		return nil
	}
	out := make([]registry.ArtifactRef, len(refs))
	for i, ref := range refs {
		if ref.Path == "" && ref.URI == "" {
			ref.URI = a.opts.Store.URI(ref.Digest)
		}
		out[i] = ref
	}
	return out
}
