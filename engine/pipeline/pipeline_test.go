package pipeline

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/testkinds"
)

var marker = regexp.MustCompile(`#\s*ERROR:\s*(.+?)\s*$`)

// expectedErrors reads the "# ERROR: SUMMARY" markers of a fixture: each
// expects an error with that summary whose range starts on the marker's
// line.
func expectedErrors(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if m := marker.FindStringSubmatch(sc.Text()); m != nil {
			want = append(want, fmt.Sprintf("%d: %s", line, m[1]))
		}
	}
	return want
}

func gotErrors(diags hcl.Diagnostics) []string {
	var got []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		got = append(got, fmt.Sprintf("%d: %s", line, d.Summary))
	}
	return got
}

func TestErrorFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.pipe.hcl")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := expectedErrors(t, file)
			_, diags := Load(Options{Path: file, Kinds: testkinds.Catalog(nil)})
			got := gotErrors(diags)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				var b strings.Builder
				diagfmt.Text(&b, diags, nil, false)
				t.Errorf("errors differ\nwant:\n  %s\ngot:\n  %s\nrendered:\n%s",
					strings.Join(want, "\n  "), strings.Join(got, "\n  "), b.String())
			}
			for _, d := range diags {
				if d.Detail == "" {
					t.Errorf("%q has no detail: every diagnostic says how to fix it", d.Summary)
				}
			}
		})
	}
}

func TestValidPipeline(t *testing.T) {
	p, diags := Load(Options{Path: "testdata/valid", Kinds: testkinds.Catalog(nil)})
	if diags.HasErrors() {
		var b strings.Builder
		diagfmt.Text(&b, diags, diagfmt.Sources(p.Sources), false)
		t.Fatalf("valid pipeline has errors:\n%s", b.String())
	}
	if got := p.Config.Name(); got != "valid" {
		t.Errorf("name %q", got)
	}
	if got := fmt.Sprint(p.Graph.Order()); got != "[source.corpus transform.shout transform.whisper combine.both]" {
		t.Errorf("order %s", got)
	}
	e := p.Graph.Edge(addr(t, "combine.both"), addr(t, "source.corpus"))
	if e == nil || !e.DependsOn || e.Data || len(e.Outputs) != 0 {
		t.Errorf("depends_on edge: %+v", e)
	}
	e = p.Graph.Edge(addr(t, "combine.both"), addr(t, "transform.shout"))
	if e == nil || !e.Data || !slices.Equal(e.Outputs, []string{"out", "score"}) {
		t.Errorf("data edge: %+v", e)
	}
	if p.Settings.Store != "file://.pipe/store" {
		t.Errorf("settings.store = %q", p.Settings.Store)
	}
	if !p.Vars["token"].HasMark(lang.Sensitive) {
		t.Error("sensitive variable is not marked")
	}
}

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.pipe.hcl"), `
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "n" {
  type    = number
  default = 1
}
variable "m" {
  type = number
}
variable "l" {
  type    = list(string)
  default = []
}
variable "o" {
  type    = object({ x = number, y = optional(string, "why") })
  default = { x = 1 }
}
`)
	write(t, filepath.Join(dir, "one.vars.hcl"), "b = \"file1\"\nc = \"file1\"\n")
	write(t, filepath.Join(dir, "two.vars.json"), `{"c": "file2", "l": ["p", "q"], "o": {"x": 3}}`)
	p, diags := Load(Options{
		Path:  dir,
		Kinds: testkinds.Catalog(nil),
		Vars: eval.VarInputs{
			// A bad value that a later source overrides is no error, as
			// in Terraform: only the value that wins is parsed.
			Env: []string{"PIPE_VAR_a=env", "PIPE_VAR_b=env", "PIPE_VAR_n=7", "PIPE_VAR_m=not a number", "PIPE_VAR_other=ignored", "HOME=/root"},
			Args: []eval.VarArg{
				{File: filepath.Join(dir, "one.vars.hcl")},
				{Assign: "b=flag"},
				{Assign: "m=[oops"},
				{File: filepath.Join(dir, "two.vars.json")},
				{Assign: "m=4"},
			},
		},
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := map[string]cty.Value{
		"a": cty.StringVal("env"),
		"b": cty.StringVal("flag"),
		"c": cty.StringVal("file2"),
		"n": cty.NumberIntVal(7),
		"m": cty.NumberIntVal(4),
		"l": cty.ListVal([]cty.Value{cty.StringVal("p"), cty.StringVal("q")}),
		"o": cty.ObjectVal(map[string]cty.Value{"x": cty.NumberIntVal(3), "y": cty.StringVal("why")}),
	}
	for name, w := range want {
		if got := p.Vars[name]; !got.RawEquals(w) {
			t.Errorf("var.%s = %#v, want %#v", name, got, w)
		}
	}
}

func TestVariableErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "p.pipe.hcl"), `
variable "n" {
  type = number
}
variable "k" {
  type      = number
  default   = 1
  sensitive = true
}
variable "s" {
  type      = string
  default   = "ok"
  sensitive = true
  validation {
    condition     = length(var.s) < 5
    error_message = "s is too long."
  }
}
`)
	_, diags := Load(Options{
		Path:  dir,
		Kinds: testkinds.Catalog(nil),
		Vars: eval.VarInputs{Args: []eval.VarArg{
			{Assign: "n=seven"},
			{Assign: "nope=1"},
			{Assign: "s=much too long"},
			{Assign: "broken"},
			{Assign: "k=hunter2"},
		}},
	})
	got := map[string]string{}
	for _, d := range diags {
		got[d.Summary] += d.Detail + "\n"
	}
	for _, summary := range []string{"Invalid value for variable", "Value for undeclared variable", "Invalid -var option"} {
		if got[summary] == "" {
			t.Errorf("no %q diagnostic in %v", summary, diags)
		}
	}
	if strings.Contains(fmt.Sprint(diags), "much too long") || strings.Contains(fmt.Sprint(diags), "hunter2") {
		t.Error("a sensitive value appears in a diagnostic")
	}
}

func addr(t *testing.T, s string) (a configAddr) {
	t.Helper()
	a, err := parseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
