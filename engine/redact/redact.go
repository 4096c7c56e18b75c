package redact

import (
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
)

// MinLen is the length of the shortest value redacted: replacing every
// "1" or "on" in the logs would hide more than it protects.
const MinLen = 3

// Redactor replaces secret values with lang.Redacted. A nil *Redactor
// is valid and changes nothing.
type Redactor struct {
	text, json, html *strings.Replacer
}

// New returns a Redactor for secrets, or nil when none is at least
// MinLen long.
func New(secrets []string) *Redactor {
	secrets = slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return len(s) < MinLen })
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
	return &Redactor{text: strings.NewReplacer(text...), json: strings.NewReplacer(js...), html: strings.NewReplacer(html...)}
}

// ForVariables returns the Redactor for the values of cfg's sensitive
// variables in vals (as a pipeline resolved them), or nil when there are
// none to redact.
func ForVariables(cfg *config.Config, vals map[string]cty.Value) *Redactor {
	return New(Variables(cfg, vals))
}

// Variables returns the values of cfg's sensitive variables in vals as
// text: strings as they are, numbers in their shortest form, and the
// strings and numbers inside collections and objects.
func Variables(cfg *config.Config, vals map[string]cty.Value) []string {
	if cfg == nil {
		return nil
	}
	var secrets []string
	for name, v := range cfg.Variables {
		if !v.Sensitive {
			continue
		}
		if val, ok := vals[name]; ok {
			secrets = append(secrets, ValueStrings(val)...)
		}
	}
	return secrets
}

// ValueStrings returns the strings and numbers inside v as text.
func ValueStrings(v cty.Value) []string {
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
			out = append(out, ValueStrings(e)...)
		}
		return out
	}
	return nil
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

// String redacts text.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.text.Replace(s)
}

// JSON redacts an encoded JSON document.
func (r *Redactor) JSON(b []byte) []byte {
	if r == nil {
		return b
	}
	return []byte(r.json.Replace(string(b)))
}

// HTML redacts a page html/template rendered.
func (r *Redactor) HTML(b []byte) []byte {
	if r == nil {
		return b
	}
	return []byte(r.html.Replace(string(b)))
}

// Error returns err with its message redacted, or err itself when there
// is nothing to redact. The result unwraps to err, so errors.Is and
// errors.As see through it; only its message changes.
func (r *Redactor) Error(err error) error {
	if r == nil || err == nil {
		return err
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Diagnostic returns a copy of d with its summary and detail redacted,
// or d itself when nothing changed.
func (r *Redactor) Diagnostic(d *hcl.Diagnostic) *hcl.Diagnostic {
	if r == nil || d == nil {
		return d
	}
	summary, detail := r.String(d.Summary), r.String(d.Detail)
	if summary == d.Summary && detail == d.Detail {
		return d
	}
	c := *d
	c.Summary, c.Detail = summary, detail
	return &c
}

// Diagnostics returns copies of diags with their summaries and details
// redacted.
func (r *Redactor) Diagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
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

// Attr redacts one log attribute: strings, errors, Stringers, []string,
// []byte and groups as text; anything else is encoded as JSON, redacted,
// and replaced by that text when it held a secret.
func (r *Redactor) Attr(a slog.Attr) slog.Attr {
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
			out[i] = r.Attr(g)
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
				if red := r.JSON(b); string(red) != string(b) {
					return slog.String(a.Key, string(red))
				}
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
