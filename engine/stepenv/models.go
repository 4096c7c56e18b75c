package stepenv

import "github.com/pipe-ml/pipe/steps"

var _ steps.ModelRegistryEnv = (*Env)(nil)

// Models returns the model registry the Env was given (Config.Models or
// WithModels), or nil.
func (e *Env) Models() steps.ModelRegistry { return e.cfg.Models }

// WithModels returns an Env like e whose Models is m: the engine gives
// each step execution its own, which knows the run and the execution.
func (e *Env) WithModels(m steps.ModelRegistry) *Env {
	c := e.cfg
	c.Models = m
	return &Env{cfg: c, mems: e.mems, maps: e.maps}
}
