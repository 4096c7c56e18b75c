package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// minSecret is the shortest value redacted: replacing every "1" or "on"
// in the logs would hide more than it protects.
const minSecret = 3

// redactor replaces the values of sensitive variables with
// lang.Redacted in everything serve writes: logs, HTTP bodies, the page.
// A value is matched as text, in each form it takes on the way out: as
// it is, Go-quoted (%q in an error), JSON-escaped and HTML-escaped. So a
// step's error that quotes a value, recorded in the registry by the
// runner and shown by /api/runs, the page or a log line, is caught too.
// A value the program rewrote (a number printed in another form) is not.
type redactor struct {
	text, json, html *strings.Replacer
}

// newRedactor returns a redactor for secrets, or nil when none is long
// enough to redact.
func newRedactor(secrets []string) *redactor {
	secrets = slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return len(s) < minSecret })
	if len(secrets) == 0 {
		return nil
	}
	// Longest first: a replacer tries the old strings in order.
	slices.SortFunc(secrets, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	secrets = slices.Compact(secrets)
	var text, js, html []string
	for _, sec := range secrets {
		text = append(text, sec, lang.Redacted)
		if q := strconv.Quote(sec); q[1:len(q)-1] != sec {
			text = append(text, q[1:len(q)-1], lang.Redacted)
		}
		js = append(js, sec, lang.Redacted)
		if b, err := json.Marshal(sec); err == nil && string(b[1:len(b)-1]) != sec {
			js = append(js, string(b[1:len(b)-1]), lang.Redacted)
		}
		html = append(html, sec, lang.Redacted)
		if e := htmlEscaped(sec); e != sec {
			html = append(html, e, lang.Redacted)
		}
	}
	return &redactor{text: strings.NewReplacer(text...), json: strings.NewReplacer(js...), html: strings.NewReplacer(html...)}
}

// htmlEscaped is s as html/template writes it in text and in a quoted
// attribute.
func htmlEscaped(s string) string {
	var b strings.Builder
	if err := htmlForm.Execute(&b, s); err != nil {
		return template.HTMLEscapeString(s)
	}
	return b.String()
}

var htmlForm = template.Must(template.New("").Parse("{{.}}"))

// String redacts text; a nil redactor returns it unchanged.
func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.text.Replace(s)
}

// JSON redacts an encoded JSON document.
func (r *redactor) JSON(b []byte) []byte {
	if r == nil {
		return b
	}
	return []byte(r.json.Replace(string(b)))
}

// HTML redacts a page html/template rendered.
func (r *redactor) HTML(b []byte) []byte {
	if r == nil {
		return b
	}
	return []byte(r.html.Replace(string(b)))
}

// Diagnostics returns copies of diags with their summaries and details
// redacted.
func (r *redactor) Diagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	if r == nil || len(diags) == 0 {
		return diags
	}
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Summary, c.Detail = r.String(c.Summary), r.String(c.Detail)
		out[i] = &c
	}
	return out
}

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
		if val, ok := vals[name]; ok {
			secrets = append(secrets, valueStrings(val)...)
		}
	}
	return secrets
}

// valueStrings returns the strings and numbers inside v as text.
func valueStrings(v cty.Value) []string {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return []string{v.AsString()}
	case t == cty.Number:
		return []string{v.AsBigFloat().Text('g', -1)}
	case t.IsListType() || t.IsSetType() || t.IsTupleType() || t.IsObjectType() || t.IsMapType():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, valueStrings(e)...)
		}
		return out
	}
	return nil
}

// redactorFor returns the redactor for a load: the one its configuration
// calls for, or, when it decoded no configuration, the last one known.
func (s *Server) redactorFor(l *loaded) *redactor {
	if l == nil || l.ws == nil || l.ws.Pipeline == nil || l.ws.Pipeline.Config == nil {
		return s.secrets.Load()
	}
	return newRedactor(secretsOf(l.ws.Pipeline.Config, l.ws.Pipeline.Vars, s.opts.Workspace))
}

// redact returns copies of diags without the values of sensitive
// variables, which a diagnostic about a malformed value may quote.
func (s *Server) redact(diags hcl.Diagnostics, l *loaded) hcl.Diagnostics {
	return s.redactorFor(l).Diagnostics(diags)
}

// redactingHandler is a slog.Handler that redacts the message and every
// string, error, Stringer and []string attribute of a record with the
// server's current redactor before passing it on. Attributes given to
// WithAttrs are redacted with the redactor current at that time.
type redactingHandler struct {
	inner slog.Handler
	r     func() *redactor
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
		out.AddAttrs(r.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	r := h.r()
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = r.attr(a)
	}
	return redactingHandler{inner: h.inner.WithAttrs(out), r: h.r}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{inner: h.inner.WithGroup(name), r: h.r}
}

// attr redacts one log attribute.
func (r *redactor) attr(a slog.Attr) slog.Attr {
	if r == nil {
		return a
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		out := make([]any, len(group))
		for i, g := range group {
			out[i] = r.attr(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, r.String(x.Error()))
		case []string:
			out := make([]string, len(x))
			for i, s := range x {
				out[i] = r.String(s)
			}
			return slog.Any(a.Key, out)
		case fmt.Stringer:
			return slog.String(a.Key, r.String(x.String()))
		case []byte:
			return slog.String(a.Key, r.String(string(x)))
		default:
			// Anything else is encoded by the handler in its own way;
			// encode it as JSON here so that it is redacted too.
			if b, err := json.Marshal(x); err == nil {
				if red := r.JSON(b); !bytes.Equal(red, b) {
					return slog.String(a.Key, string(red))
				}
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
