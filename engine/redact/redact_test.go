package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
)

// TestForms: a value is caught in every form it is written in: plain
// text, Go-quoted, JSON-escaped and HTML-escaped, in text and in an
// attribute. Values shorter than MinLen are left alone.
func TestForms(t *testing.T) {
	const secret = `a<b>&"c'+d\e`
	r := New([]string{secret, "ab"})

	if got := r.String("value " + secret + ", quoted " + strconv.Quote(secret)); strings.Contains(got, "<b>") || strings.Count(got, lang.Redacted) != 2 {
		t.Errorf("text: %s", got)
	}
	js, _ := json.Marshal(map[string]string{"error": "not " + secret})
	if got := string(r.JSON(js)); strings.Contains(got, "u003cb") || !strings.Contains(got, lang.Redacted) {
		t.Errorf("JSON: %s", got)
	}
	var page bytes.Buffer
	tmpl := template.Must(template.New("").Parse(`<p title="{{.}}">{{.}}</p><pre>{{.}}</pre>`))
	if err := tmpl.Execute(&page, "not "+secret); err != nil {
		t.Fatal(err)
	}
	if got := string(r.HTML(page.Bytes())); strings.Contains(got, "&lt;b&gt;") || strings.Count(got, lang.Redacted) != 3 {
		t.Errorf("HTML: %s", got)
	}
	if got := r.String("ab is too short to redact"); got != "ab is too short to redact" {
		t.Errorf("a two-letter value was redacted: %s", got)
	}
	if New([]string{"ab", ""}) != nil {
		t.Error("a redactor for values too short to redact")
	}
	var none *Redactor
	if got := none.String("x " + secret); got != "x "+secret {
		t.Errorf("a nil redactor changed the text: %s", got)
	}
}

// TestErrorAndDiagnostic: a redacted error keeps its chain; a diagnostic
// is copied, not changed in place.
func TestErrorAndDiagnostic(t *testing.T) {
	r := New([]string{"hunter2"})
	base := &fs.PathError{Op: "open", Path: "hunter2.txt", Err: fs.ErrNotExist}
	err := r.Error(base)
	if err.Error() != "open "+lang.Redacted+".txt: file does not exist" {
		t.Errorf("error: %s", err)
	}
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
		t.Errorf("the redacted error lost its chain: %v", err)
	}
	plain := errors.New("nothing secret")
	if r.Error(plain) != plain {
		t.Error("an error without a secret was wrapped")
	}

	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Step failed", Detail: `token "hunter2" refused`}
	got := r.Diagnostic(d)
	if got.Detail != `token "`+lang.Redacted+`" refused` || d.Detail != `token "hunter2" refused` {
		t.Errorf("diagnostic: %q, original now %q", got.Detail, d.Detail)
	}
}

// TestVariables: only sensitive variables count, with strings and
// numbers found inside collections.
func TestVariables(t *testing.T) {
	cfg := &config.Config{Variables: map[string]*config.Variable{
		"token":  {Name: "token", Sensitive: true},
		"keys":   {Name: "keys", Sensitive: true},
		"public": {Name: "public"},
	}}
	vals := map[string]cty.Value{
		"token":  cty.NumberFloatVal(98765.4321).Mark(lang.Sensitive),
		"keys":   cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("k-one"), "b": cty.ListVal([]cty.Value{cty.StringVal("k-two")})}),
		"public": cty.StringVal("visible"),
	}
	got := Variables(cfg, vals)
	for _, want := range []string{"98765.4321", "k-one", "k-two"} {
		if !strings.Contains(strings.Join(got, "|"), want) {
			t.Errorf("Variables = %q, lacks %q", got, want)
		}
	}
	if strings.Contains(strings.Join(got, "|"), "visible") {
		t.Errorf("Variables = %q includes a variable not sensitive", got)
	}
}
