package load

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/steps"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		attrs map[string]cty.Value
		path  string // the attribute path of the first error
		want  string
	}{
		{"both layouts", map[string]cty.Value{"features": cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("e"), "column": cty.StringVal("v"), "dim": cty.NumberIntVal(3)})}, "features", "not both"},
		{"no layout", map[string]cty.Value{"features": cty.ObjectVal(map[string]cty.Value{"dim": cty.NumberIntVal(3)})}, "features", "Set features"},
		{"dim zero", map[string]cty.Value{"features": cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("e"), "dim": cty.NumberIntVal(0)})}, "features.dim", "from 1 to 1048576"},
		{"dim fraction", map[string]cty.Value{"features": cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("e"), "dim": cty.NumberFloatVal(2.5)})}, "features.dim", "whole number"},
		{"format", map[string]cty.Value{"format": cty.StringVal("xlsx")}, "format", `"csv" or "parquet"`},
		{"positive list", map[string]cty.Value{"positive": cty.ListVal([]cty.Value{cty.StringVal("a")})}, "positive", "string, number or bool"},
		{"negative same", map[string]cty.Value{"negative": cty.StringVal("yes")}, "negative", "two different classes"},
		{"test 1", map[string]cty.Value{"split": cty.ObjectVal(map[string]cty.Value{"test": cty.NumberIntVal(1)})}, "split.test", "between 0 and 1"},
		{"seed", map[string]cty.Value{"split": cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.2), "seed": cty.NumberIntVal(-1)})}, "split.seed", "whole number from 0"},
		{"fractional seed", map[string]cty.Value{"split": cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.2), "seed": cty.NumberFloatVal(1.5)})}, "split.seed", "whole number"},
		{"on_invalid", map[string]cty.Value{"on_invalid": cty.StringVal("ignore")}, "on_invalid", `"fail" or "skip"`},
		{"max_invalid without skip", map[string]cty.Value{"max_invalid": cty.NumberIntVal(3)}, "max_invalid", `on_invalid = "skip"`},
		{"max_invalid 1.5", map[string]cty.Value{"on_invalid": cty.StringVal("skip"), "max_invalid": cty.NumberFloatVal(1.5)}, "max_invalid", "whole"},
		{"delimiter", map[string]cty.Value{"delimiter": cty.StringVal(";;")}, "delimiter", "one ASCII character"},
		{"label is id", map[string]cty.Value{"id": cty.StringVal("label")}, "id", `both name column "label"`},
		{"id in prefix", map[string]cty.Value{"id": cty.StringVal("e7")}, "features.prefix", "also claims"},
		{"group is label", map[string]cty.Value{"split": cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.2), "group": cty.StringVal("label")})}, "split.group", "name a column of ids or texts"},
		{"path number", map[string]cty.Value{"path": cty.NumberIntVal(3)}, "path", "string or a list"},
		{"path element", map[string]cty.Value{"path": cty.TupleVal([]cty.Value{cty.StringVal("a.csv"), cty.NumberIntVal(3)})}, "path[1]", "must be a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The engine's checks of the schema's constraints, then Validate.
			cfg, errs := eval.Constraints(schema, configValue(t, small(tc.attrs)), nil)
			errs = append(errs, Kind{}.Validate(cfg)...)
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			if got := steps.FormatPath(errs[0].Path); got != tc.path || !strings.Contains(errs[0].Detail, tc.want) {
				t.Errorf("error at %s: %s: %s; want %s containing %q", got, errs[0].Summary, errs[0].Detail, tc.path, tc.want)
			}
		})
	}
	if errs := (Kind{}).Validate(configValue(t, small(nil))); len(errs) > 0 {
		t.Errorf("valid config: %v", errs[0])
	}
	// Unknown values are skipped at plan time.
	m := small(nil)
	m["path"] = cty.UnknownVal(cty.String)
	m["positive"] = cty.UnknownVal(cty.String)
	if errs := (Kind{}).Validate(configValue(t, m)); len(errs) > 0 {
		t.Errorf("unknown values: %v", errs[0])
	}
}

func TestInputFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a/2.csv", "a/1.parquet", "a/x.pq", "a/.hidden.csv", "a/_SUCCESS", "a/notes.txt", "a/sub/3.csv", "b.csv", "c.dat"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "o.csv"), nil, 0o644)
	list := func(s ...string) cty.Value {
		var vs []cty.Value
		for _, x := range s {
			vs = append(vs, cty.StringVal(x))
		}
		return cty.ListVal(vs)
	}
	cases := []struct {
		name   string
		path   cty.Value
		format string
		want   []string
		err    string
	}{
		{"file", cty.StringVal("b.csv"), "", []string{"b.csv"}, ""},
		{"folder", cty.StringVal("a"), "", []string{"a/1.parquet", "a/2.csv", "a/x.pq"}, ""},
		{"folder csv only", cty.StringVal("a"), "csv", []string{"a/2.csv"}, ""},
		{"glob", cty.StringVal("a/*.csv"), "", []string{"a/2.csv"}, ""},
		{"list deduplicated and sorted", list("b.csv", "a/*.p*", "b.csv"), "", []string{"a/1.parquet", "a/x.pq", "b.csv"}, ""},
		{"absolute outside", cty.StringVal(filepath.Join(outside, "o.csv")), "", []string{filepath.ToSlash(filepath.Join(outside, "o.csv"))}, ""},
		{"format given", cty.StringVal("c.dat"), "csv", []string{"c.dat"}, ""},
		{"missing", cty.StringVal("nope.csv"), "", nil, "does not exist"},
		{"no match", cty.StringVal("a/*.json"), "", nil, "No file matches"},
		{"unknown extension", cty.StringVal("c.dat"), "", nil, "Cannot tell the format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := small(map[string]cty.Value{"path": tc.path})
			if tc.format != "" {
				m["format"] = cty.StringVal(tc.format)
			}
			got, err := Kind{}.InputFiles(configValue(t, m), dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if _, ok := err.(*steps.AttrError); !ok {
					t.Errorf("error is %T, want *steps.AttrError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	steps.NewCatalog(Kind{}) // panics on a malformed schema
	if (Kind{}).Name() != "load" || (Kind{}).Version() == "" {
		t.Fatal("name or version")
	}
}
