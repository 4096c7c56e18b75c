package load

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

func small(more map[string]cty.Value) map[string]cty.Value {
	m := map[string]cty.Value{
		"path":     cty.StringVal("d.csv"),
		"positive": cty.StringVal("yes"),
		"features": cty.ObjectVal(map[string]cty.Value{"prefix": cty.StringVal("e"), "dim": cty.NumberIntVal(3)}),
	}
	for k, v := range more {
		m[k] = v
	}
	return m
}

// TestInvalidCSV: each bad file fails with a message naming the file, the
// row as a person counts it, the column, and a fix.
func TestInvalidCSV(t *testing.T) {
	vec := map[string]cty.Value{"features": cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("v"), "dim": cty.NumberIntVal(3)})}
	neg := map[string]cty.Value{"negative": cty.StringVal("no")}
	cases := []struct {
		name, csv string
		attrs     map[string]cty.Value
		want      []string
	}{
		{"not a number", "label,e0,e1,e2\nyes,1,2,3\nno,1,x,3\n", nil, []string{"d.csv row 3, column e1: \"x\" is not a number", `on_invalid = "skip"`}},
		{"nan", "label,e0,e1,e2\nyes,1,2,3\nno,NaN,2,3\n", nil, []string{"d.csv row 3, column e0: \"NaN\" is NaN"}},
		{"inf", "label,e0,e1,e2\nyes,1,2,3\nno,1,2,-Inf\n", nil, []string{"row 3, column e2: \"-Inf\" is infinite"}},
		{"overflow", "label,e0,e1,e2\nyes,1,2,3\nno,1,1e39,3\n", nil, []string{"row 3, column e1: \"1e39\" is out of float32 range"}},
		{"empty value", "label,e0,e1,e2\nyes,1,2,3\nno,1,,3\n", nil, []string{"row 3, column e1: empty value"}},
		{"empty label", "label,e0,e1,e2\nyes,1,2,3\n,1,2,3\nno,1,2,3\n", nil, []string{"row 3, column label: empty label"}},
		{"neither class", "label,e0,e1,e2\nyes,1,2,3\nmaybe,1,2,3\nno,1,2,3\n", neg, []string{`row 3, column label: label "maybe" is neither the positive "yes" nor the negative "no"`}},
		{"too few fields", "label,e0,e1,e2\nyes,1,2,3\nno,1,2\n", nil, []string{"d.csv row 3: the row has 3 fields, the header has 4 (no value for column e2)"}},
		{"too many fields", "label,e0,e1,e2\nyes,1,2,3\nno,1,2,3,4\n", nil, []string{"d.csv row 3: the row has 5 fields, the header has 4 (field 5 is beyond the last column, e2)"}},
		{"far too few fields", "label,e0,e1,e2\nyes,1,2,3\nno\n", nil, []string{"d.csv row 3: the row has 1 fields, the header has 4 (no value for column e0 and after)"}},
		{"vector width", "label,v\nyes,\"[1,2,3]\"\nno,\"[1,2]\"\n", vec, []string{"d.csv row 3, column v: the embedding has 2 values, features.dim is 3"}},
		{"vector element", "label,v\nyes,\"[1,2,3]\"\nno,\"[1,null,3]\"\n", vec, []string{"row 3, column v: element 1: \"null\" is not a number"}},
		{"vector nan", "label,v\nyes,\"[1,2,3]\"\nno,\"[1,2,NaN]\"\n", vec, []string{"row 3, column v: element 2: \"NaN\" is NaN"}},
		{"missing column", "label,e0,e1\nyes,1,2\n", nil, []string{"d.csv: no column e2: 1 of the 3 feature columns e0..e2 are missing", "features.dim"}},
		{"wider embedding", "label,e0,e1,e2,e3\nyes,1,2,3,4\n", nil, []string{"d.csv: column e3 is beyond features.dim = 3", "Set features.dim", "(4 here)"}},
		{"missing label", "class,e0,e1,e2\nyes,1,2,3\n", nil, []string{`d.csv: no column "label" (set by label); the columns are "class", "e0"`}},
		{"missing text", "label,e0,e1,e2\nyes,1,2,3\n", map[string]cty.Value{"text": cty.StringVal("text")}, []string{`no column "text" (set by text)`}},
		{"duplicate column", "label,e0,e1,e2,e1\nyes,1,2,3,4\n", nil, []string{"column e1 appears twice"}},
		{"empty file", "", nil, []string{"d.csv: the file is empty"}},
		{"header only", "label,e0,e1,e2\n", nil, []string{"d.csv: the file has a header but no data rows"}},
		{"one class", "label,e0,e1,e2\nno,1,2,3\nno,4,5,6\n", nil, []string{"all 2 rows of d.csv are of class 0", `positive = "yes"`}},
		{"bare quote", "label,e0,e1,e2\nyes,1,2,3\nno,1\"2,2,3\nno,1,2,3\n", nil, []string{"d.csv row 3, column e0: a quote (\") inside an unquoted field", "Fix the quoting"}},
		{"unclosed quote", "label,e0,e1,e2\nyes,1,2,3\nno,\"1,2,3\n", nil, []string{"d.csv row 3, column e0: a quoted field is not closed"}},
		{"bad weight", "label,e0,e1,e2,w\nyes,1,2,3,1\nno,1,2,3,-1\n", map[string]cty.Value{"weight": cty.StringVal("w")}, []string{`row 3, column w: weight "-1" is not a finite number >= 0`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeText(t, dir, "d.csv", tc.csv)
			_, err := run(t, newTestEnv(t, 2), dir, small(tc.attrs))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "load: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestRowNumbers: quoted line breaks, CRLF, a BOM and blank lines do not
// shift row numbers away from what a spreadsheet shows.
func TestRowNumbers(t *testing.T) {
	dir := t.TempDir()
	csv := "\ufefflabel,text,e0,e1,e2\r\nyes,\"two\r\nlines\",1,2,3\r\n\r\nno,\"say \"\"hi\"\"\",1,2,3\r\nno,plain,1,oops,3\r\n"
	writeText(t, dir, "d.csv", csv)
	_, err := run(t, newTestEnv(t, 2), dir, small(map[string]cty.Value{"text": cty.StringVal("text")}))
	if err == nil || !strings.Contains(err.Error(), "d.csv row 5, column e1: \"oops\"") {
		t.Fatalf("error %v, want row 5", err)
	}
	// Fixed, the file reads; the blank row is dropped silently.
	writeText(t, dir, "d.csv", strings.Replace(csv, "oops", "2", 1))
	env := newTestEnv(t, 2)
	out, err := run(t, env, dir, small(map[string]cty.Value{"text": cty.StringVal("text")}))
	if err != nil {
		t.Fatal(err)
	}
	d := open(t, env, out["data"])
	if d.N != 3 || d.Texts[0] != "two\r\nlines" || d.Texts[1] != `say "hi"` || num(out["skipped"]) != 0 {
		t.Errorf("got %d rows, texts %q, skipped %v", d.N, d.Texts, out["skipped"])
	}
}

func TestFailListsTen(t *testing.T) {
	var b strings.Builder
	b.WriteString("label,e0,e1,e2\nyes,1,2,3\nno,1,2,3\n")
	for i := 0; i < 25; i++ {
		b.WriteString("no,1,bad,3\n")
	}
	dir := t.TempDir()
	writeText(t, dir, "d.csv", b.String())
	_, err := run(t, newTestEnv(t, 2), dir, small(nil))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "load: 25 invalid rows") || strings.Count(msg, "is not a number") != 10 ||
		!strings.Contains(msg, "row 4, column e1") || !strings.Contains(msg, "row 13, column e1") || !strings.Contains(msg, "and 15 more") {
		t.Errorf("message:\n%s", msg)
	}
}

func TestSkip(t *testing.T) {
	g := synth.Generate(synth.Config{N: 200, Dim: 3, Rank: 1, Seed: 3})
	dir := t.TempDir()
	writeFile(t, dir, "g.csv", g.Dataset, synth.FileOptions{Prefix: "e"})
	// Spoil rows 10 and 20 (file rows 11 and 21... plus the header: 12 and 22).
	b := readText(t, dir, "g.csv")
	lines := strings.Split(b, "\n")
	lines[11] = strings.Replace(lines[11], ",private,", ",,", 1)
	lines[11] = strings.Replace(lines[11], ",public,", ",,", 1)
	lines[21] += ",extra"
	writeText(t, dir, "g.csv", strings.Join(lines, "\n"))
	attrs := func(max cty.Value) map[string]cty.Value {
		m := small(map[string]cty.Value{"path": cty.StringVal("g.csv"), "positive": cty.StringVal("private"), "on_invalid": cty.StringVal("skip")})
		if max != cty.NilVal {
			m["max_invalid"] = max
		}
		return m
	}
	for name, max := range map[string]cty.Value{"unlimited": cty.NilVal, "count": cty.NumberIntVal(2), "fraction": cty.NumberFloatVal(0.01)} {
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t, 2)
			out, err := run(t, env, dir, attrs(max))
			if err != nil {
				t.Fatal(err)
			}
			if num(out["skipped"]) != 2 || num(out["rows"]) != 198 {
				t.Errorf("skipped %v rows %v", out["skipped"], out["rows"])
			}
			if len(env.warnings()) != 1 || !strings.Contains(env.warnings()[0], "Skipped 2 invalid rows of 200") ||
				!strings.Contains(env.warnings()[0], "g.csv row 12, column label: empty label") || !strings.Contains(env.warnings()[0], "g.csv row 22: the row has 7 fields, the header has 6") {
				t.Errorf("warnings %q", env.warnings())
			}
		})
	}
	for name, max := range map[string]cty.Value{"count": cty.NumberIntVal(1), "fraction": cty.NumberFloatVal(0.005)} {
		t.Run("over "+name, func(t *testing.T) {
			_, err := run(t, newTestEnv(t, 2), dir, attrs(max))
			if err == nil || !strings.Contains(err.Error(), "2 of 200 rows are invalid, more than max_invalid") || !strings.Contains(err.Error(), "g.csv row 12") {
				t.Errorf("error %v", err)
			}
		})
	}
}

// TestWeightsAndLabels: a weight column is carried through, numeric and
// boolean labels match in any spelling, and a string positive matches an
// integer column's text.
func TestWeightsAndLabels(t *testing.T) {
	dir := t.TempDir()
	writeText(t, dir, "d.csv", "label,e0,e1,e2,w\n1.0,1,2,3,0.5\n0,4,5,6,2\n1,7,8,9,0\n")
	env := newTestEnv(t, 2)
	out, err := run(t, env, dir, small(map[string]cty.Value{"positive": cty.NumberIntVal(1), "weight": cty.StringVal("w")}))
	if err != nil {
		t.Fatal(err)
	}
	d := open(t, env, out["data"])
	if got := d.W; len(got) != 3 || got[0] != 0.5 || got[1] != 2 || got[2] != 0 {
		t.Errorf("weights %v", got)
	}
	if d.Y[0] != 1 || d.Y[1] != 0 || d.Y[2] != 1 || d.Meta.Positive != "1" {
		t.Errorf("labels %v, positive %q", d.Y, d.Meta.Positive)
	}
	writeText(t, dir, "d.csv", "label,e0,e1,e2\nTrue,1,2,3\nfalse,4,5,6\n")
	out, err = run(t, env, dir, small(map[string]cty.Value{"positive": cty.True}))
	if err != nil || num(out["positives"]) != 1 {
		t.Errorf("bool labels: %v, positives %v", err, out["positives"])
	}
}

func TestVectorSpacing(t *testing.T) {
	dir := t.TempDir()
	writeText(t, dir, "d.csv", "label,v\nyes,\"[ 1, 2.5 ,-3e-1 ]\"\nno,\"[0,0,1]\"\n")
	env := newTestEnv(t, 1)
	out, err := run(t, env, dir, small(map[string]cty.Value{"features": cty.ObjectVal(map[string]cty.Value{"column": cty.StringVal("v"), "dim": cty.NumberIntVal(3)})}))
	if err != nil {
		t.Fatal(err)
	}
	if d := open(t, env, out["data"]); d.X[0] != 1 || d.X[1] != 2.5 || d.X[2] != -0.3 || d.X[5] != 1 {
		t.Errorf("features %v", d.X)
	}
}

// TestDelimiterHint: a header read as one column that another delimiter
// splits names the delimiter to set; with it set, the file loads.
func TestDelimiterHint(t *testing.T) {
	for _, tc := range []struct{ delim, file, right, want string }{
		{",", "label;e0;e1;e2\nyes;1;2;3\nno;4;5;6\n", ";", `the file seems to use ";" as delimiter. Set delimiter = ";"`},
		{",", "label\te0\te1\te2\nyes\t1\t2\t3\nno\t4\t5\t6\n", "\t", `the file seems to use "\t" as delimiter. Set delimiter = "\t"`},
		{";", "label,e0,e1,e2\nyes,1,2,3\nno,4,5,6\n", ",", `the file seems to use "," as delimiter. Set delimiter = ","`},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := run(t, newTestEnv(t, 2), dir, small(map[string]cty.Value{"delimiter": cty.StringVal(tc.delim)}))
		var ae *steps.AttrError
		if !errors.As(err, &ae) || !strings.Contains(ae.Detail, "d.csv row 1 (the header) is one column") || !strings.Contains(ae.Detail, tc.want) {
			t.Errorf("delimiter %q, file %q: %v, want an error at delimiter saying %s", tc.delim, tc.file, err, tc.want)
		}
		if _, err := run(t, newTestEnv(t, 2), dir, small(map[string]cty.Value{"delimiter": cty.StringVal(tc.right)})); err != nil {
			t.Errorf("with delimiter = %q: %v", tc.right, err)
		}
	}
}
