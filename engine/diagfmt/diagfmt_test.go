package diagfmt

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var update = flag.Bool("update", false, "rewrite golden files")

const src = "train \"model\" {\n\tdat    = load.corpus.train\n  params = { C = \"héllo\" }\n}\n"

func diagnostics(t *testing.T) (hcl.Diagnostics, Sources) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "p.pipe.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	body := f.Body.(*hclsyntax.Body)
	attrs := body.Blocks[0].Body.Attributes
	obj := attrs["params"].Expr.(*hclsyntax.ObjectConsExpr)
	return hcl.Diagnostics{
		{
			Severity: hcl.DiagError,
			Summary:  "Unsupported argument",
			Detail:   `An argument named "dat" is not expected here. Did you mean "data"?`,
			Subject:  attrs["dat"].NameRange.Ptr(),
		},
		{
			Severity: hcl.DiagWarning,
			Summary:  "Odd value",
			Detail:   "A long detail that goes on and on so that it has to be wrapped at seventy-eight columns, which is where Terraform wraps its own details too.",
			Subject:  obj.Items[0].ValueExpr.Range().Ptr(),
		},
		{
			Severity: hcl.DiagError,
			Summary:  "No location",
			Detail:   "Some problems are not in a file.",
		},
		{
			Severity: hcl.DiagError,
			Summary:  "Block header",
			Detail:   "A header has no block context.",
			Subject:  body.Blocks[0].DefRange().Ptr(),
		},
	}, Sources{"p.pipe.hcl": []byte(src)}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

func TestText(t *testing.T) {
	diags, sources := diagnostics(t)
	var plain, color bytes.Buffer
	if err := Text(&plain, diags, sources, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "text.golden", plain.Bytes())
	if err := Text(&color, diags, sources, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "color.golden", color.Bytes())
}

func TestJSON(t *testing.T) {
	diags, sources := diagnostics(t)
	b, err := json.MarshalIndent(JSON(diags, sources), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "diagnostics.json", append(b, '\n'))
	if got := JSON(nil, nil); got == nil {
		t.Error("JSON(nil) is nil; want an empty list")
	}
}

func TestMissingSource(t *testing.T) {
	rng := hcl.Range{Filename: "gone.hcl", Start: hcl.Pos{Line: 99, Column: 1, Byte: 5000}, End: hcl.Pos{Line: 99, Column: 3, Byte: 5002}}
	var b bytes.Buffer
	Text(&b, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "S", Detail: "D", Subject: &rng}}, Sources{"gone.hcl": []byte("x\n")}, false)
	if want := "Error: S\n\n  on gone.hcl line 99:\n\nD\n\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestLongLine(t *testing.T) {
	// A long generated line is cut around the range, on rune boundaries.
	line := `locals { a = "` + strings.Repeat("é", 300) + `" + nope + "` + strings.Repeat("x", 300) + `" }`
	from := strings.Index(line, "nope")
	rng := hcl.Range{Filename: "g.pipe.hcl", Start: hcl.Pos{Line: 1, Column: 1, Byte: from}, End: hcl.Pos{Line: 1, Column: 1, Byte: from + 4}}
	var b bytes.Buffer
	Text(&b, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "S", Detail: "D", Subject: &rng}}, Sources{"g.pipe.hcl": []byte(line + "\n")}, false)
	lines := strings.Split(b.String(), "\n")
	code, marks := lines[3], lines[4]
	if !strings.HasPrefix(code, "  1: …") || !strings.HasSuffix(code, "…") || len(code) > 200 || !utf8.ValidString(code) {
		t.Errorf("long line shown as %q", code)
	}
	if i := strings.Index(marks, "^^^^"); i < 0 || []rune(code)[utf8.RuneCountInString(marks[:i])] != 'n' {
		t.Errorf("the marks do not sit under the range:\n%s\n%s", code, marks)
	}

	// A highlight longer than the window is cut too.
	rng.End.Byte = len(line)
	b.Reset()
	Text(&b, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "S", Subject: &rng}}, Sources{"g.pipe.hcl": []byte(line)}, false)
	if code := strings.Split(b.String(), "\n")[3]; len(code) > 200 {
		t.Errorf("long highlight shown as %q", code)
	}
}

// Control characters in a source line, a summary or a detail reach the
// terminal escaped: a pipeline file cannot clear the screen, recolour it
// or reorder text (a bidi override) through a message.
func TestControlCharactersEscaped(t *testing.T) {
	line := "path = \"a\x1b[2Jb\u202e\x07\xff\" # \tz"
	src := []byte("source \"x\" {\n  " + line + "\n}\n")
	start := bytes.Index(src, []byte(`"a`))
	end := bytes.Index(src, []byte(` #`))
	rng := hcl.Range{Filename: "p.pipe.hcl", Start: hcl.Pos{Line: 2, Column: 10, Byte: start}, End: hcl.Pos{Line: 2, Column: 20, Byte: end}}
	diags := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad \x1b[31mred", Detail: "The value \"a\x1b[2Jb\" is bad.\nSecond line.", Subject: &rng}}
	for _, color := range []bool{false, true} {
		var b strings.Builder
		if err := Text(&b, diags, Sources{"p.pipe.hcl": src}, color); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, c := range []string{"\x1b[2J", "\x1b[31m", "\u202e", "\x07", "\xff"} {
			if strings.Contains(out, c) {
				t.Errorf("color %v: %q reached the output:\n%q", color, c, out)
			}
		}
		for _, want := range []string{`"a\x1b[2Jb\u202e\x07\xff"`, "# \tz", `Bad \x1b[31mred`, `The value "a\x1b[2Jb" is bad.`, "Second line."} {
			if !strings.Contains(out, want) {
				t.Errorf("color %v: the output lacks %q:\n%s", color, want, out)
			}
		}
		if !color && !strings.Contains(out, "\n  2:   "+`path = "a\x1b[2Jb\u202e\x07\xff" # `+"\tz\n"+strings.Repeat(" ", len("  2:   path = "))+strings.Repeat("^", len(`"a\x1b[2Jb\u202e\x07\xff"`))+"\n") {
			t.Errorf("the range is not under the escaped text:\n%s", out)
		}
	}
}

// TestLimit: Text and JSON show MaxPerFile diagnostics of a file, then
// one that says how many more there are, located at the first of them;
// other files and diagnostics without a location are all shown.
func TestLimit(t *testing.T) {
	var diags hcl.Diagnostics
	at := func(file string, line int) *hcl.Range {
		return &hcl.Range{Filename: file, Start: hcl.Pos{Line: line, Column: 1}, End: hcl.Pos{Line: line, Column: 2}}
	}
	for i := range 25 {
		sev := hcl.DiagError
		if i%5 == 4 {
			sev = hcl.DiagWarning
		}
		diags = append(diags, &hcl.Diagnostic{Severity: sev, Summary: fmt.Sprintf("Bad %d", i), Subject: at("junk.pipe.hcl", i+1)})
	}
	diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Other", Subject: at("main.pipe.hcl", 1)},
		&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nowhere"})
	var b strings.Builder
	if err := Text(&b, diags, nil, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Bad 9\n", "Other", "Nowhere", "Error: And 12 more errors and 3 warnings in junk.pipe.hcl\n\n  on junk.pipe.hcl line 11:", "Only the first 10 problems of junk.pipe.hcl"} {
		if !strings.Contains(out, want) {
			t.Errorf("Text does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Bad 10\n") {
		t.Errorf("Text shows an 11th diagnostic of one file:\n%s", out)
	}
	js := JSON(diags, nil)
	if len(js) != MaxPerFile+3 || js[len(js)-1].Range == nil || js[len(js)-1].Range.Start.Line != 11 {
		t.Errorf("JSON gives %d diagnostics, the last %+v; want %d, the last at line 11", len(js), js[len(js)-1], MaxPerFile+3)
	}
}
