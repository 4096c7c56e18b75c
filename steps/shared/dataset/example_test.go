package dataset_test

import (
	"bytes"
	"fmt"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
)

// A dataset written and read back: the feature matrix comes back
// row-major, labels as 0/1.
func Example() {
	d := &dataset.Dataset{
		N: 3, Dim: 2,
		X:    []float32{0.6, 0.8, 1, 0, 0, -1},
		Y:    []uint8{1, 0, 0},
		IDs:  []string{"a", "b", "c"},
		Meta: dataset.Meta{Positive: "private", Part: dataset.PartData},
	}
	var buf bytes.Buffer
	if err := dataset.Write(&buf, d); err != nil {
		fmt.Println(err)
		return
	}
	got, err := dataset.Decode(buf.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.N, got.Dim, got.Row(0), got.LabelsFloat64(), got.IDs, got.Meta.Positive)
	// Output: 3 2 [0.6 0.8] [1 0 0] [a b c] private
}
