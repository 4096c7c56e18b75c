package steptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// concat is a small step kind for these tests: it reads the files named by
// its "paths" attribute, writes their concatenation as an artifact, and
// warns when the result is empty.
type concat struct {
	// brokenOutputs makes Run return outputs that break the schema.
	brokenOutputs bool
}

func (concat) Name() string    { return "concat" }
func (concat) Version() string { return "1" }
func (concat) Schema() *steps.Schema {
	return &steps.Schema{
		Attributes: []steps.Attribute{
			{Name: "paths", Type: cty.List(cty.String), Required: true},
			{Name: "repeat", Type: cty.Number, Default: cty.NumberIntVal(1)},
			{Name: "label", Type: cty.String},
			{Name: "extra", Type: cty.DynamicPseudoType},
		},
		Outputs: []steps.Output{
			{Name: "out", Type: steps.ArtifactType},
			{Name: "bytes", Type: cty.Number},
		},
	}
}

func (concat) Validate(cfg cty.Value) []*steps.AttrError {
	r := cfg.GetAttr("repeat")
	if !r.IsKnown() {
		return nil
	}
	if n, _ := r.AsBigFloat().Int64(); n < 1 {
		return []*steps.AttrError{steps.Errorf(steps.AttrPath("repeat"), "Repeat below 1", "repeat must be at least 1.")}
	}
	if n, _ := r.AsBigFloat().Int64(); n > 3 {
		return []*steps.AttrError{{Path: steps.AttrPath("repeat"), Summary: "Large repeat", Warning: true}}
	}
	return nil
}

func (concat) InputFiles(cfg cty.Value, dir string) ([]string, error) {
	var out []string
	for _, v := range cfg.GetAttr("paths").AsValueSlice() {
		out = append(out, v.AsString())
	}
	return out, nil
}

func (concat) InputFolders(cfg cty.Value, dir string) []steps.Folder {
	var out []steps.Folder
	for i, v := range cfg.GetAttr("paths").AsValueSlice() {
		out = append(out, steps.Folder{Path: path.Dir(v.AsString()), From: steps.AttrPath("paths").IndexInt(i)})
	}
	return out
}

func (k concat) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	repeat, err := in.Int("repeat", 1)
	if err != nil {
		return nil, err
	}
	var n int64
	a, err := env.PutArtifact(ctx, "text/plain", func(w io.Writer) error {
		for range repeat {
			for i, f := range in.Files {
				b, err := os.ReadFile(f.Abs)
				if err != nil {
					return err
				}
				if _, err := w.Write(b); err != nil {
					return err
				}
				n += int64(len(b))
				env.Progress(int64(i+1), int64(len(in.Files)), "file "+f.Path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		env.Warn("Empty result", "Every input file is empty.")
	}
	if k.brokenOutputs {
		return steps.Outputs{"out": cty.StringVal(a.Digest), "surprise": cty.True}, nil
	}
	return steps.Outputs{"out": a.Value(), "bytes": cty.NumberIntVal(n)}, nil
}

func TestConfig(t *testing.T) {
	cfg := Config(t, concat{}, map[string]cty.Value{
		"paths": cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(2)}),
		"label": cty.NullVal(cty.String),
		"extra": cty.NumberIntVal(5),
	})
	want := cty.ObjectVal(map[string]cty.Value{
		"paths":  cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("2")}),
		"repeat": cty.NumberIntVal(1),
		"label":  cty.NullVal(cty.String),
		"extra":  cty.NumberIntVal(5),
	})
	if !cfg.RawEquals(want) {
		t.Errorf("Config = %#v\nwant %#v", cfg, want)
	}
	// Unknown values pass through, converted, as at plan time.
	cfg = Config(t, concat{}, map[string]cty.Value{"paths": cty.UnknownVal(cty.List(cty.String)), "repeat": cty.UnknownVal(cty.Number)})
	if cfg.GetAttr("paths").IsKnown() {
		t.Errorf("unknown paths became known")
	}

	for _, c := range []struct {
		attrs map[string]cty.Value
		want  string
	}{
		{map[string]cty.Value{}, `attribute "paths" is required`},
		{map[string]cty.Value{"paths": cty.NullVal(cty.List(cty.String))}, `attribute "paths" is required`},
		{map[string]cty.Value{"paths": cty.ListValEmpty(cty.String), "nope": cty.True}, `no attribute "nope"; the schema declares paths, repeat, label, extra`},
		{map[string]cty.Value{"paths": cty.ListValEmpty(cty.String), "repeat": cty.StringVal("x")}, `attribute "repeat": a number is required`},
	} {
		_, err := configValue(concat{}.Schema(), c.attrs)
		if err == nil || err.Error() != c.want {
			t.Errorf("configValue(%v) = %v, want %q", c.attrs, err, c.want)
		}
	}
}

func TestRun(t *testing.T) {
	env := NewEnv(t, Parallelism(3))
	env.WriteFile("data/a.txt", []byte("alpha "))
	env.WriteFile("data/b.txt", []byte("beta"))
	out, err := env.Run(concat{}, map[string]cty.Value{
		"paths": cty.ListVal([]cty.Value{cty.StringVal("data/a.txt"), cty.StringVal("data/b.txt")}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(env.Read(out["out"])); got != "alpha beta" {
		t.Errorf("out = %q", got)
	}
	if !out["bytes"].RawEquals(cty.NumberIntVal(10)) {
		t.Errorf("bytes = %#v", out["bytes"])
	}
	if r := env.Reports(); len(r) != 2 || r[1] != (Report{2, 2, "file data/b.txt"}) {
		t.Errorf("Reports = %+v", r)
	}
	if env.Parallelism() != 3 {
		t.Errorf("Parallelism = %d", env.Parallelism())
	}

	// Input files are hashed as the engine hashes them.
	in, err := env.Inputs(concat{}, map[string]cty.Value{"paths": cty.ListVal([]cty.Value{cty.StringVal("data/a.txt")})})
	if err != nil {
		t.Fatal(err)
	}
	a := env.Put("text/plain", []byte("alpha "))
	if len(in.Files) != 1 || in.Files[0].Digest != a.Digest || in.Files[0].Size != 6 ||
		in.Files[0].Abs != filepath.Join(env.Dir(), "data", "a.txt") || in.Files[0].Path != "data/a.txt" {
		t.Errorf("Files = %+v; want the digest %s", in.Files, a.Digest)
	}

	// Warnings from Run and from Validate are recorded.
	env.WriteFile("empty", nil)
	if _, err := env.Run(concat{}, map[string]cty.Value{
		"paths":  cty.ListVal([]cty.Value{cty.StringVal("empty")}),
		"repeat": cty.NumberIntVal(4),
	}); err != nil {
		t.Fatal(err)
	}
	want := []Warning{{"Large repeat", ""}, {"Empty result", "Every input file is empty."}}
	if got := env.Warnings(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Warnings = %q, want %q", got, want)
	}

	// Validation errors and missing input files come back as errors.
	_, err = env.Run(concat{}, map[string]cty.Value{"paths": cty.ListValEmpty(cty.String), "repeat": cty.NumberIntVal(0)})
	var ae *steps.AttrError
	if !errors.As(err, &ae) || ae.Summary != "Repeat below 1" {
		t.Errorf("Run with repeat = 0: %v", err)
	}
	if _, err := env.Run(concat{}, map[string]cty.Value{"paths": cty.ListVal([]cty.Value{cty.StringVal("missing")})}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Run with a missing file: %v", err)
	}
}

// recordingT records the failures of the output check instead of failing.
type recordingT struct {
	testing.TB
	errs []string
}

func (r *recordingT) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestRunChecksOutputs(t *testing.T) {
	rt := &recordingT{TB: t}
	env := NewEnv(rt)
	env.WriteFile("a", []byte("x"))
	if _, err := env.Run(concat{brokenOutputs: true}, map[string]cty.Value{"paths": cty.ListVal([]cty.Value{cty.StringVal("a")})}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rt.errs, "\n")
	for _, want := range []string{
		`returned output "surprise", which its schema does not declare`,
		`output "out" is string, not object as declared`,
		`did not return output "bytes"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output check errors:\n%s\nwant one containing %q", got, want)
		}
	}
}
