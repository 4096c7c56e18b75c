package plan

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/pipeline"
)

// RunsOn says where a step that runs will run, in a Document.
type RunsOn struct {
	// Executor is the executor's name: "local", "kubernetes".
	Executor string `json:"executor"`
	// Reason says why the coordinator keeps a step although the
	// pipeline's executor is another: "reads local files".
	Reason string `json:"reason,omitempty"`
	// Resources lists what the step's resources block asks for:
	// "cpu=2, memory=4Gi".
	Resources string `json:"resources,omitempty"`
}

// defaultExecutor is the executor of steps whose resources block names
// none: the one the plan was asked for (-executor, PIPE_EXECUTOR), else
// the pipeline's settings.executor, else local.
func defaultExecutor(opts Options) string {
	if opts.Executor != "" {
		return opts.Executor
	}
	if s := opts.Pipeline.Settings.Executor; s != "" {
		return s
	}
	return executor.LocalName
}

// Place evaluates step's resources block and decides where the step,
// configured with cfg (which may hold unknown values), runs when the
// pipeline's executor is def. A resources block that names a remote
// executor for a step that cannot leave the coordinator is an error at
// its executor attribute.
func Place(p *pipeline.Pipeline, step *config.Step, cfg cty.Value, def string) (executor.Resources, executor.Placement, hcl.Diagnostics) {
	res, diags := eval.Resources(step, p.Scope(nil))
	if diags.HasErrors() {
		return res, executor.Placement{}, diags
	}
	pl, err := executor.Place(step.Kind, cfg, res, def)
	var pe *executor.PlacementError
	if errors.As(err, &pe) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Step cannot leave the coordinator",
			Detail:   step.Addr.String() + ": " + err.Error() + ".",
			Subject:  step.Resources.Attributes["executor"].Expr.Range().Ptr(),
		})
	}
	return res, pl, diags
}
