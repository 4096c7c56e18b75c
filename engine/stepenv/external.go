package stepenv

import "github.com/pipe-ml/pipe/steps"

var _ steps.ExternalFilesEnv = (*Env)(nil)

// WroteExternal passes a file the step wrote outside the store to the
// function WithExternalFiles gave; without one it does nothing.
func (e *Env) WroteExternal(f steps.ExternalFile) {
	if e.cfg.External != nil {
		e.cfg.External(f)
	}
}

// WithExternalFiles returns an Env like e whose WroteExternal calls fn:
// the engine gives each step execution its own, to keep the files with
// the step's cache entry.
func (e *Env) WithExternalFiles(fn func(steps.ExternalFile)) *Env {
	c := e.cfg
	c.External = fn
	return &Env{cfg: c, mems: e.mems, maps: e.maps}
}
