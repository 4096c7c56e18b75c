package synth

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

func TestGenerateDeterministic(t *testing.T) {
	a := Generate(Config{N: 300, Seed: 3})
	b := Generate(Config{N: 300, Seed: 3})
	c := Generate(Config{N: 300, Seed: 4})
	if !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) || !slices.Equal(a.Texts, b.Texts) {
		t.Fatal("same seed, different data")
	}
	if slices.Equal(a.X, c.X) {
		t.Fatal("different seeds, same data")
	}
}

func TestGenerateShape(t *testing.T) {
	g := Generate(Config{N: 4000, Seed: 1})
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
	if g.Dim != 584 || len(g.IDs) != g.N || len(g.Texts) != g.N {
		t.Fatalf("dim %d, %d ids, %d texts", g.Dim, len(g.IDs), len(g.Texts))
	}
	for i := 0; i < g.N; i++ {
		s := 0.0
		for _, x := range g.Row(i) {
			s += float64(x) * float64(x)
		}
		if !scalar.EqualWithinAbs(s, 1, 1e-5) {
			t.Fatalf("row %d has squared norm %v, want 1", i, s)
		}
	}
	rate := float64(g.Positives()) / float64(g.N)
	if rate < 0.27 || rate > 0.35 {
		t.Errorf("positive rate %.3f, want about 0.3", rate)
	}
	seen := map[string]int{}
	dups := 0
	for i, s := range g.Texts {
		if j, ok := seen[s]; ok {
			dups++
			if !slices.Equal(g.Row(i), g.Row(j)) {
				continue // a chance collision of texts
			}
		}
		seen[s] = i
	}
	if frac := float64(dups) / float64(g.N); frac < 0.03 || frac > 0.08 {
		t.Errorf("%.3f of texts repeat, want about 0.05", frac)
	}
}

// TestBayesF1 checks the difficulty: the best F1 of the oracle score
// x·Signal over all thresholds, against the noisy labels, is near 0.9.
func TestBayesF1(t *testing.T) {
	g := Generate(Config{N: 20000, Seed: 11})
	f1 := bestF1(g)
	t.Logf("best F1 of the oracle score: %.4f", f1)
	if f1 < 0.86 || f1 > 0.94 {
		t.Errorf("best F1 %.4f, want about 0.9", f1)
	}
}

func bestF1(g *Data) float64 {
	type scored struct {
		s float64
		y uint8
	}
	rows := make([]scored, g.N)
	pos := 0
	for i := range rows {
		s := 0.0
		for j, x := range g.Row(i) {
			s += float64(x) * g.Signal[j]
		}
		rows[i] = scored{s, g.Y[i]}
		pos += int(g.Y[i])
	}
	slices.SortFunc(rows, func(a, b scored) int {
		if a.s > b.s {
			return -1
		}
		if a.s < b.s {
			return 1
		}
		return 0
	})
	best, tp := 0.0, 0
	for k, r := range rows {
		tp += int(r.y)
		// predict the top k+1 as positive
		f1 := 2 * float64(tp) / float64(k+1+pos)
		best = math.Max(best, f1)
	}
	return best
}

func TestWriteCSVQuotes(t *testing.T) {
	g := Generate(Config{N: 3, Dim: 2, Rank: 1, Seed: 1})
	g.Texts[0] = `she said "hi", then left`
	var buf bytes.Buffer
	if err := WriteCSV(&buf, g.Dataset, FileOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"she said ""hi"", then left"`)) {
		t.Errorf("text not quoted:\n%s", buf.Bytes())
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("id,text,label,emb_0,emb_1\n")) {
		t.Errorf("header:\n%s", buf.Bytes())
	}
}
