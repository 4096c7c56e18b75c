package synth

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
)

// WithNonFinite returns the bytes of a dataset artifact that holds d
// with the features at the given indices of d.X (row*Dim + feature) set
// to their values, each a NaN or ±Inf: a file that no pipe step writes
// (dataset.Write refuses such data) but another writer could, for the
// tests of the steps that must refuse it. d is not changed.
func WithNonFinite(d *dataset.Dataset, values map[int]float32) ([]byte, error) {
	// Write the file with a marker in each place, then put the value
	// over it: the markers, the largest finite float32s but a few, are
	// in no generated row.
	c := *d
	c.X = slices.Clone(d.X)
	marker := map[int]uint32{}
	k := uint32(0)
	for i, v := range values {
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("synth: %v is finite", v)
		}
		marker[i] = 0x7f7fff00 + k
		c.X[i] = math.Float32frombits(marker[i])
		k++
	}
	var buf bytes.Buffer
	if err := dataset.Write(&buf, &c); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	for i, v := range values {
		m := binary.LittleEndian.AppendUint32(nil, marker[i])
		at := bytes.Index(b, m)
		if at < 0 || bytes.Count(b, m) != 1 {
			return nil, fmt.Errorf("synth: the marker of feature %d is not once in the file", i)
		}
		binary.LittleEndian.PutUint32(b[at:], math.Float32bits(v))
	}
	return b, nil
}
