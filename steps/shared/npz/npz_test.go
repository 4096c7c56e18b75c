package npz

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npz")
	in := map[string]Array{
		"X": {Shape: []int{2, 3}, F32: []float32{1, -2, 3.5, 0, 1e-30, -7}},
		"y": {Shape: []int{3}, F64: []float64{0, 1, 0.25}},
	}
	if err := Write(path, []string{"X", "y"}, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range in {
		b := out[name]
		if !slices.Equal(a.Shape, b.Shape) || !slices.Equal(a.F32, b.F32) || !slices.Equal(a.F64, b.F64) {
			t.Errorf("%s: wrote %+v, read %+v", name, a, b)
		}
	}
	if err := Write(path, []string{"bad"}, map[string]Array{"bad": {Shape: []int{4}, F64: []float64{1}}}); err == nil {
		t.Error("a shape that does not match the values: no error")
	}
}

// TestReadsNumPy reads a file numpy wrote (testdata of the trainer,
// steps/shared/logreg, made by np.savez).
func TestReadsNumPy(t *testing.T) {
	out, err := Read(filepath.Join("..", "logreg", "testdata", "weighted.npz"))
	if err != nil {
		t.Fatal(err)
	}
	x, y, w := out["X"], out["y"], out["w"]
	if len(x.Shape) != 2 || x.Shape[0] != 500 || x.Shape[1] != 12 || len(x.F32) != 6000 || len(y.F64) != 500 || len(w.F64) != 500 {
		t.Fatalf("shapes %v %v %v", x.Shape, y.Shape, w.Shape)
	}
}
