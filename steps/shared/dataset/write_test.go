package dataset

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// streamed writes d with WriteStream, its matrix given in writes of
// chunk values (the last one shorter).
func streamed(t *testing.T, d *Dataset, chunk int) ([]byte, error) {
	t.Helper()
	x := d.X
	s := *d
	s.X = nil
	var buf bytes.Buffer
	err := WriteStream(&buf, &s, func(w io.Writer) error {
		for lo := 0; lo < len(x); lo += chunk {
			if _, err := w.Write(bytesOf(x[lo:min(lo+chunk, len(x))])); err != nil {
				return err
			}
		}
		return nil
	})
	return buf.Bytes(), err
}

func TestWriteStreamSameBytes(t *testing.T) {
	full := sample(37, 3, 1)
	bare := sample(1000, 584, 2)
	bare.W, bare.IDs, bare.Texts = nil, nil, nil
	textsOnly := sample(5, 7, 3)
	textsOnly.W, textsOnly.IDs = nil, nil
	empty := &Dataset{N: 0, Dim: 584, X: []float32{}, Y: []uint8{}, Meta: Meta{Part: PartTest}}
	for name, d := range map[string]*Dataset{"full": full, "wide": bare, "texts only": textsOnly, "empty": empty} {
		for _, chunk := range []int{1, 5, 584 * 3, 1 << 30} {
			got, err := streamed(t, d, chunk)
			if err != nil {
				t.Fatalf("%s, chunks of %d: %v", name, chunk, err)
			}
			if want := encode(t, d); !bytes.Equal(got, want) {
				t.Fatalf("%s, chunks of %d: WriteStream wrote %d bytes unlike Write's %d", name, chunk, len(got), len(want))
			}
		}
	}
}

func TestWriteStreamWrongLength(t *testing.T) {
	d := sample(10, 4, 1)
	short := *d
	short.X = d.X[:len(d.X)-1]
	if _, err := streamed(t, &Dataset{N: 10, Dim: 4, X: short.X, Y: d.Y, Meta: d.Meta}, 8); err == nil || !strings.Contains(err.Error(), "156 of the 160 bytes") {
		t.Errorf("short features: %v", err)
	}
	long := append(append([]float32{}, d.X...), 1)
	if _, err := streamed(t, &Dataset{N: 10, Dim: 4, X: long, Y: d.Y, Meta: d.Meta}, 41); err == nil || !strings.Contains(err.Error(), "longer than the 160 bytes") {
		t.Errorf("long features: %v", err)
	}
}

func TestWriteStreamErrors(t *testing.T) {
	d := sample(10, 4, 1)
	d.X = nil
	boom := errors.New("boom")
	var buf bytes.Buffer
	if err := WriteStream(&buf, d, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("features failing: %v, want it wrapped", err)
	}
	bad := *d
	bad.Y = append([]uint8{}, d.Y...)
	bad.Y[3] = 2
	if err := WriteStream(&buf, &bad, func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), "row 4: label 2") {
		t.Errorf("bad label: %v", err)
	}
	bad = *d
	bad.W = d.W[:5]
	if err := WriteStream(&buf, &bad, func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), "5 weights for 10 rows") {
		t.Errorf("short weights: %v", err)
	}
	withX := sample(2, 4, 1)
	if err := WriteStream(&buf, withX, func(io.Writer) error { return nil }); err == nil {
		t.Errorf("a dataset with X in memory was streamed")
	}
}

func BenchmarkWriteStream(b *testing.B) {
	d := sample(20000, 584, 1)
	d.IDs, d.Texts = nil, nil
	x := d.X
	d.X = nil
	b.SetBytes(int64(len(x) * 4))
	for b.Loop() {
		err := WriteStream(io.Discard, d, func(w io.Writer) error {
			const chunk = 1 << 20
			for lo := 0; lo < len(x); lo += chunk {
				if _, err := w.Write(bytesOf(x[lo:min(lo+chunk, len(x))])); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteStreamHoleNotFilled: WriteStream refuses a file in which the
// Arrow writer wrote the stand-in of the matrix other than in the one
// call it relies on, since the file would hold zeros where the rows go.
func TestWriteStreamHoleNotFilled(t *testing.T) {
	hole := make([]byte, 64)
	var out bytes.Buffer
	pw := &positionWriter{w: &out, hole: hole, fill: func(w io.Writer) error {
		_, err := w.Write(bytes.Repeat([]byte{1}, len(hole)))
		return err
	}}
	for _, part := range [][]byte{hole[:32], hole[32:]} { // two pieces
		if _, err := pw.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.filled(); err == nil || !strings.Contains(err.Error(), "did not write the feature matrix in one piece") {
		t.Fatalf("a hole written in two pieces: %v", err)
	}
	pw = &positionWriter{w: &out, hole: hole, fill: pw.fill}
	if _, err := pw.Write(hole); err != nil {
		t.Fatal(err)
	}
	if err := pw.filled(); err != nil {
		t.Fatalf("a hole written whole: %v", err)
	}
}
