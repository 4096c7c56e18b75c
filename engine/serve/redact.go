package serve

import (
	"context"
	"log/slog"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/redact"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// Everything serve writes (logs, HTTP bodies, the page) goes through a
// redact.Redactor for the values of the sensitive variables, in the form
// each output needs (text, JSON, HTML). A step's error is redacted by
// engine/apply before the runner records it; serve redacts again on the
// way out, which also covers values given from outside that never
// parsed and runs recorded before.

// secretsOf returns the values of cfg's sensitive variables: as they
// were given from outside (PIPE_VAR_*, -var), even when they did not
// parse, and as they were resolved (defaults and -var-file included).
func secretsOf(cfg *config.Config, vals map[string]cty.Value, opts workspace.Options) []string {
	if cfg == nil {
		return nil
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
	return append(secrets, redact.Variables(cfg, vals)...)
}

// redactorFor returns the redactor for a load: the one its configuration
// calls for, or, when it decoded no configuration, the last one known.
func (s *Server) redactorFor(l *loaded) *redact.Redactor {
	if l == nil || l.ws == nil || l.ws.Pipeline == nil || l.ws.Pipeline.Config == nil {
		return s.secrets.Load()
	}
	return redact.New(secretsOf(l.ws.Pipeline.Config, l.ws.Pipeline.Vars, s.opts.Workspace))
}

// redact returns copies of diags without the values of sensitive
// variables, which a diagnostic about a malformed value may quote.
func (s *Server) redact(diags hcl.Diagnostics, l *loaded) hcl.Diagnostics {
	return s.redactorFor(l).Diagnostics(diags)
}

// redactingHandler is a slog.Handler that redacts the message and every
// attribute of a record (redact.Redactor.Attr) with the server's current
// redactor before passing it on. Attributes given to WithAttrs are
// redacted with the redactor current at that time.
type redactingHandler struct {
	inner slog.Handler
	r     func() *redact.Redactor
}

func (h redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	r := h.r()
	if r == nil {
		return h.inner.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.Attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	r := h.r()
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = r.Attr(a)
	}
	return redactingHandler{inner: h.inner.WithAttrs(out), r: h.r}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{inner: h.inner.WithGroup(name), r: h.r}
}
