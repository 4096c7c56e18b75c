package load

import (
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

func TestSplitRows(t *testing.T) {
	y := make([]uint8, 1000)
	for i := range y {
		if i%10 < 3 {
			y[i] = 1
		}
	}
	a := splitRows(y, nil, &splitConfig{test: 0.2, seed: 7, stratify: true})
	b := splitRows(y, nil, &splitConfig{test: 0.2, seed: 7, stratify: true})
	c := splitRows(y, nil, &splitConfig{test: 0.2, seed: 8, stratify: true})
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different split")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same split")
	}
	var test, testPos int
	for i, in := range a {
		if in {
			test++
			testPos += int(y[i])
		}
	}
	if test != 200 || testPos != 60 {
		t.Errorf("stratified: %d test rows, %d positive; want 200 and 60", test, testPos)
	}
}

// TestGroupSplit: rows sharing a group value never straddle the split,
// and the test share stays near the fraction asked for.
func TestGroupSplit(t *testing.T) {
	g := synth.Generate(synth.Config{N: 3000, Dim: 4, Rank: 1, Seed: 4, Duplicates: 0.2})
	for _, stratify := range []bool{false, true} {
		test := splitRows(g.Y, g.Texts, &splitConfig{test: 0.25, seed: 3, stratify: stratify, group: "text"})
		side := map[string]bool{}
		n := 0
		for i, in := range test {
			if s, ok := side[g.Texts[i]]; ok && s != in {
				t.Fatalf("text %q is on both sides", g.Texts[i])
			}
			side[g.Texts[i]] = in
			if in {
				n++
			}
		}
		if frac := float64(n) / float64(g.N); math.Abs(frac-0.25) > 0.01 {
			t.Errorf("stratify %v: test fraction %.3f, want 0.25", stratify, frac)
		}
	}
}

// TestGroupSplitEmptyValues: rows with an empty group value (texts
// missing) are not one group that lands whole on one side.
func TestGroupSplitEmptyValues(t *testing.T) {
	y := make([]uint8, 1000)
	groups := make([]string, 1000)
	for i := range y {
		y[i] = uint8(i % 3 / 2)
		if i%2 == 0 {
			groups[i] = strconv.Itoa(i / 4) // pairs of rows share a text
		}
	}
	for _, stratify := range []bool{false, true} {
		test := splitRows(y, groups, &splitConfig{test: 0.2, seed: 1, stratify: stratify, group: "text"})
		var emptyTest, emptyAll, n int
		side := map[string]bool{}
		for i, in := range test {
			if in {
				n++
			}
			if groups[i] == "" {
				emptyAll++
				if in {
					emptyTest++
				}
				continue
			}
			if s, ok := side[groups[i]]; ok && s != in {
				t.Fatalf("group %q on both sides", groups[i])
			}
			side[groups[i]] = in
		}
		if frac := float64(emptyTest) / float64(emptyAll); frac < 0.1 || frac > 0.3 {
			t.Errorf("stratify %v: %d of %d rows without a group value went to test, want about 20%%", stratify, emptyTest, emptyAll)
		}
		if n != 200 {
			t.Errorf("stratify %v: %d test rows, want 200", stratify, n)
		}
	}
}

func TestRunSplit(t *testing.T) {
	g := synth.Generate(synth.Config{N: 1000, Dim: 8, Rank: 2, Seed: 6, Duplicates: 0.1})
	dir := t.TempDir()
	writeFile(t, dir, "d.parquet", g.Dataset, synth.FileOptions{})
	env := newTestEnv(t, 2)
	split := cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.2), "seed": cty.NumberIntVal(7), "stratify": cty.True, "group": cty.StringVal("text")})
	out, err := run(t, env, dir, wide(8, map[string]cty.Value{"path": cty.StringVal("d.parquet"), "split": split}))
	if err != nil {
		t.Fatal(err)
	}
	train, test := open(t, env, out["train"]), open(t, env, out["test"])
	if !out["data"].IsNull() || train.N+test.N != 1000 || num(out["train_rows"]) != train.N || num(out["test_rows"]) != test.N {
		t.Fatalf("train %d, test %d, outputs %v %v", train.N, test.N, out["train_rows"], out["test_rows"])
	}
	if train.Meta.Part != "train" || test.Meta.Part != "test" || train.Meta.Positive != "private" {
		t.Errorf("meta %+v %+v", train.Meta, test.Meta)
	}
	// Rows are the generated ones, each side in file order, no text on both.
	texts := map[string]bool{}
	for _, s := range train.Texts {
		texts[s] = true
	}
	for _, s := range test.Texts {
		if texts[s] {
			t.Fatalf("text %q in both train and test", s)
		}
	}
	index := map[string]int{}
	for i, id := range g.IDs {
		index[id] = i
	}
	for _, part := range []struct {
		ids []string
		d   interface{ Row(int) []float32 }
		y   []uint8
	}{{train.IDs, train, train.Y}, {test.IDs, test, test.Y}} {
		last := -1
		for k, id := range part.ids {
			i := index[id]
			if i <= last {
				t.Fatalf("rows out of file order")
			}
			last = i
			if !slices.Equal(part.d.Row(k), g.Row(i)) || part.y[k] != g.Y[i] {
				t.Fatalf("row %s differs", id)
			}
		}
	}
}

func TestPartition(t *testing.T) {
	c := &config{dim: 2, id: "id"}
	tb := newTable(c, 6)
	for i := 0; i < 6; i++ {
		tb.row(i)[0], tb.row(i)[1] = float32(i), float32(-i)
		tb.y[i] = uint8(i % 2)
		tb.ids[i] = string(rune('a' + i))
	}
	ntrain := tb.partition([]bool{true, false, true, true, false, false})
	if ntrain != 3 || !slices.Equal(tb.ids, []string{"b", "e", "f", "a", "c", "d"}) ||
		!slices.Equal(tb.x, []float32{1, -1, 4, -4, 5, -5, 0, 0, 2, -2, 3, -3}) || !slices.Equal(tb.y, []uint8{1, 0, 1, 0, 0, 1}) {
		t.Errorf("ntrain %d ids %v x %v y %v", ntrain, tb.ids, tb.x, tb.y)
	}
}

// TestGroupColumnAndDelimiter: a group column that is neither id nor
// text, in a tab-separated file.
func TestGroupColumnAndDelimiter(t *testing.T) {
	var b []byte
	b = append(b, "doc\tlabel\te0\te1\te2\n"...)
	for i := 0; i < 200; i++ {
		label := "no"
		if i%3 == 0 {
			label = "yes"
		}
		b = append(b, []byte(strconv.Itoa(i/4)+"\t"+label+"\t1\t2\t"+strconv.Itoa(i)+"\n")...)
	}
	dir := t.TempDir()
	writeText(t, dir, "d.tsv", string(b))
	env := newTestEnv(t, 2)
	out, err := run(t, env, dir, small(map[string]cty.Value{
		"path": cty.StringVal("d.tsv"), "format": cty.StringVal("csv"), "delimiter": cty.StringVal("\t"),
		"split": cty.ObjectVal(map[string]cty.Value{"test": cty.NumberFloatVal(0.3), "seed": cty.NumberIntVal(1), "group": cty.StringVal("doc")}),
	}))
	if err != nil {
		t.Fatal(err)
	}
	train, test := open(t, env, out["train"]), open(t, env, out["test"])
	side := map[int]string{}
	for name, d := range map[string]interface{ Row(int) []float32 }{"train": train, "test": test} {
		n := train.N
		if name == "test" {
			n = test.N
		}
		for k := 0; k < n; k++ {
			doc := int(d.Row(k)[2]) / 4
			if s, ok := side[doc]; ok && s != name {
				t.Fatalf("doc %d on both sides", doc)
			}
			side[doc] = name
		}
	}
	if train.N+test.N != 200 || test.N < 50 || test.N > 70 {
		t.Errorf("train %d test %d", train.N, test.N)
	}
}
