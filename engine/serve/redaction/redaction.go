package redaction

import (
	"strings"
	"sync/atomic"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/redact"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// Of returns the redactor for a configuration: the values of its
// sensitive variables as they were given from outside (PIPE_VAR_*, -var),
// even when they did not parse, and as they were resolved (defaults and
// -var-file included). A nil cfg has none.
func Of(cfg *config.Config, vals map[string]cty.Value, opts workspace.Options) *redact.Redactor {
	if cfg == nil {
		return redact.New(nil)
	}
	var secrets []string
	for name, v := range cfg.Variables {
		if !v.Sensitive {
			continue
		}
		if val := workspace.Getenv(opts.Env, "PIPE_VAR_"+name); val != "" {
			secrets = append(secrets, val)
		}
		for _, a := range opts.Vars.Args {
			if n, val, ok := strings.Cut(a.Assign, "="); ok && strings.TrimSpace(n) == name {
				secrets = append(secrets, val)
			}
		}
		for _, a := range opts.Vars.Env {
			if val, ok := strings.CutPrefix(a, "PIPE_VAR_"+name+"="); ok {
				secrets = append(secrets, val)
			}
		}
	}
	return redact.New(append(secrets, redact.Variables(cfg, vals)...))
}

// Current is the redactor in force: the one of the last load that decoded
// a configuration. The zero value holds none (a nil Redactor, which
// redacts nothing).
type Current struct {
	p atomic.Pointer[redact.Redactor]
}

// Load returns the redactor in force.
func (c *Current) Load() *redact.Redactor { return c.p.Load() }

// Store puts r in force.
func (c *Current) Store(r *redact.Redactor) { c.p.Store(r) }
