package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/confine"
)

func parse(t *testing.T, src string) hcl.Expression {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "t.pipe.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return expr
}

func TestUnknownFunctions(t *testing.T) {
	for _, c := range []struct {
		src  string
		want []string // details, in order
	}{
		{`upper("x")`, nil},
		{`uper("x")`, []string{`There is no function named "uper". Did you mean "upper"?`}},
		// Inside try, evaluation would swallow the error.
		{`try(lenght([1]), 0)`, []string{`Did you mean "length"?`}},
		{`"${formatt("%d", 1)} and ${nonsense(1)}"`, []string{`Did you mean "format"?`, `There is no function named "nonsense". pipe has HCL's standard functions`}},
		// Left out on purpose: a value that changes from run to run.
		{`timestamp()`, []string{`There is no function named "timestamp".`}},
	} {
		diags := UnknownFunctions(parse(t, c.src))
		if len(diags) != len(c.want) {
			t.Errorf("%s: %d diagnostics, want %d: %v", c.src, len(diags), len(c.want), diags)
			continue
		}
		for i, d := range diags {
			if d.Summary != "Call to unknown function" || !strings.Contains(d.Detail, c.want[i]) || d.Subject == nil {
				t.Errorf("%s: %q %q, want detail with %q", c.src, d.Summary, d.Detail, c.want[i])
			}
		}
	}
}

func eval(t *testing.T, dir, src string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	s := &Scope{Dir: dir}
	return parse(t, src).Value(s.EvalContext())
}

func TestFunctions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "note.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		src  string
		want cty.Value
	}{
		// File functions read relative to the pipeline's folder, not the
		// working directory.
		{`file("note.txt")`, cty.StringVal("hello\n")},
		{`fileexists("note.txt")`, cty.True},
		{`fileexists("nope.txt")`, cty.False},
		{`filesha256("note.txt")`, cty.StringVal("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")},
		{`abspath("note.txt")`, cty.StringVal(filepath.Join(dir, "note.txt"))},
		{`basename("a/b.csv")`, cty.StringVal("b.csv")},
		{`sum([1, 2, 3.5])`, cty.NumberFloatVal(6.5)},
		{`alltrue([true, true])`, cty.True},
		{`anytrue([false, false])`, cty.False},
		{`base64decode(base64encode("ok"))`, cty.StringVal("ok")},
		{`uniform(0, 1)`, cty.ObjectVal(map[string]cty.Value{"distribution": cty.StringVal("uniform"), "low": cty.Zero, "high": cty.NumberIntVal(1)})},
		{`loguniform(1e-3, 100).distribution`, cty.StringVal("loguniform")},
	} {
		got, diags := eval(t, dir, c.src)
		if diags.HasErrors() {
			t.Errorf("%s: %v", c.src, diags)
			continue
		}
		if !got.RawEquals(c.want) && !(got.Type() == cty.Number && got.Equals(c.want).True()) {
			t.Errorf("%s = %#v, want %#v", c.src, got, c.want)
		}
	}
	if d, err := DistributionFromValue(must(eval(t, dir, `loguniform(0.001, 100)`))); err != nil || d.Name != "loguniform" || d.Low != 0.001 || d.High != 100 {
		t.Errorf("DistributionFromValue: %+v %v", d, err)
	}

	for _, c := range []struct{ src, want string }{
		{`file("missing.txt")`, "no file exists at missing.txt (relative paths are relative to the pipeline folder)"},
		{`loguniform(0, 1)`, "loguniform needs a low bound above zero"},
		{`uniform(2, 1)`, "the high bound (1) must be above the low bound (2)"},
		{`uniform(1, "x")`, "a number is required"},
		{`sum(["a"])`, "a number is required"},
		{`base64decode("!!")`, "not valid Base64"},
	} {
		_, diags := eval(t, dir, c.src)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.src, diags, c.want)
		}
	}
}

func must(v cty.Value, diags hcl.Diagnostics) cty.Value {
	if diags.HasErrors() {
		panic(diags.Error())
	}
	return v
}

// The file functions read inside the pipeline folder and the folders
// allowed to it, links resolved, and say how to allow the rest.
func TestFileFunctionsConfined(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "pipeline")
	shared := filepath.Join(base, "shared")
	for _, d := range []string{dir, shared} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(base, "secret.txt"), filepath.Join(shared, "ok.txt")} {
		if err := os.WriteFile(f, []byte("TOP SECRET"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	s := &Scope{Dir: dir, Roots: confine.New(dir, []confine.Root{{Path: "../shared", From: "settings.allowed_paths"}})}
	for _, src := range []string{`file("../shared/ok.txt")`, `fileexists("` + filepath.Join(shared, "ok.txt") + `")`, `filesha256("../shared/ok.txt")`} {
		if _, diags := parse(t, src).Value(s.EvalContext()); diags.HasErrors() {
			t.Errorf("%s: %v", src, diags)
		}
	}
	for _, src := range []string{`file("../secret.txt")`, `file("link.txt")`, `filesha256("/etc/passwd")`, `fileexists("../secret.txt")`, `file("../shared/../secret.txt")`} {
		v, diags := parse(t, src).Value(s.EvalContext())
		msg := diags.Error()
		if !diags.HasErrors() || !strings.Contains(msg, "is outside the pipeline folder "+dir+", "+shared+" (settings.allowed_paths)") ||
			!strings.Contains(msg, "settings { allowed_paths = [...] }") || !strings.Contains(msg, "-allow-path=DIR") {
			t.Errorf("%s = %#v, %v; want an escape that says how to allow it", src, v, diags)
		}
		if strings.Contains(msg, "TOP SECRET") || diags[0].Subject == nil {
			t.Errorf("%s: %v", src, diags)
		}
	}
	// Without Roots, the pipeline folder alone.
	if _, diags := eval(t, dir, `file("../shared/ok.txt")`); !diags.HasErrors() {
		t.Error("a scope without roots reads outside its folder")
	}
}
