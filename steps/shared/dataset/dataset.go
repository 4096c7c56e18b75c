package dataset

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/pipe-ml/pipe/steps/shared/fault"
)

// Version is the format version written to, and required in, the
// pipe.dataset.version metadata key.
const Version = "1"

// MediaType is the media type of a dataset artifact: an Arrow IPC file.
// steps/shared/media declares it, with its label, as the dataset artifact
// of the step kinds.
const MediaType = "application/vnd.apache.arrow.file"

// Parts of a split, as recorded in [Meta.Part].
const (
	PartData  = "data"
	PartTrain = "train"
	PartTest  = "test"
)

// Dataset is a labelled feature matrix with optional per-row columns.
//
// X is row-major: row i is X[i*Dim : (i+1)*Dim]. A Dataset returned by
// [Open] or [View] aliases the bytes it was read from, a read-only memory
// map in a step: never write to its slices (that crashes the process),
// and do not keep them past the step's Run. One from [Read] or [Decode]
// aliases memory the garbage collector owns.
type Dataset struct {
	// N is the number of rows, Dim the number of features per row.
	N, Dim int
	// X holds N*Dim finite float32 features, row-major.
	X []float32
	// Y holds N labels, each 0 or 1.
	Y []uint8
	// W holds N finite, non-negative weights, or is nil (every row
	// weighs 1).
	W []float64
	// IDs and Texts hold N strings each, or are nil when the source had
	// no such column.
	IDs, Texts []string
	// Meta describes where the rows came from.
	Meta Meta
}

// Meta is the descriptive part of a dataset, stored as Arrow schema
// metadata. Row counts are derived from the data and checked on read.
type Meta struct {
	// Positive is the source label value that was mapped to class 1,
	// as the user wrote it (e.g. "private", "1", "true").
	Positive string
	// Part is PartData, PartTrain or PartTest.
	Part string
	// Features describes where the features came from, e.g.
	// "prefix emb_, dim 584" or "column embedding, dim 584".
	Features string
	// Source lists the files read, one "path sha256:hex" per line.
	Source string
}

// Row returns row i of the feature matrix, aliasing X.
func (d *Dataset) Row(i int) []float32 {
	return d.X[i*d.Dim : (i+1)*d.Dim : (i+1)*d.Dim]
}

// Positives counts the rows with label 1.
func (d *Dataset) Positives() int {
	n := 0
	for _, y := range d.Y {
		n += int(y)
	}
	return n
}

// LabelsFloat64 returns the labels as a new slice of 0.0 and 1.0, the
// form a logistic regression solver works with.
func (d *Dataset) LabelsFloat64() []float64 {
	y := make([]float64, len(d.Y))
	for i, v := range d.Y {
		y[i] = float64(v)
	}
	return y
}

// Check verifies the invariants documented on Dataset: lengths, finite
// features, labels 0 or 1, finite non-negative weights. Write and Read
// call it; it returns the first problem found.
func (d *Dataset) Check() error { return d.check(true) }

// check is Check, which searches the feature matrix for non-finite values
// only when features is set (see OpenUnscanned).
func (d *Dataset) check(features bool) error {
	if d.N < 0 || d.Dim <= 0 {
		return fmt.Errorf("dataset: %d rows of dimension %d: want rows >= 0 and dimension >= 1", d.N, d.Dim)
	}
	if d.N > math.MaxInt/d.Dim || len(d.X) != d.N*d.Dim {
		return fmt.Errorf("dataset: feature matrix has %d values, want %d rows × %d = %d", len(d.X), d.N, d.Dim, d.N*d.Dim)
	}
	if len(d.Y) != d.N {
		return fmt.Errorf("dataset: %d labels for %d rows", len(d.Y), d.N)
	}
	if d.W != nil && len(d.W) != d.N {
		return fmt.Errorf("dataset: %d weights for %d rows", len(d.W), d.N)
	}
	if d.IDs != nil && len(d.IDs) != d.N {
		return fmt.Errorf("dataset: %d ids for %d rows", len(d.IDs), d.N)
	}
	if d.Texts != nil && len(d.Texts) != d.N {
		return fmt.Errorf("dataset: %d texts for %d rows", len(d.Texts), d.N)
	}
	for i, y := range d.Y {
		if y > 1 {
			return fmt.Errorf("dataset: row %d: label %d is not 0 or 1", i+1, y)
		}
	}
	if features {
		if err := d.CheckFinite(); err != nil {
			return err
		}
	}
	for i, w := range d.W {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return fmt.Errorf("dataset: row %d: weight %v is not a finite number >= 0", i+1, w)
		}
	}
	return nil
}

// CheckFinite returns the error Check gives for a NaN or ±Inf in the
// feature matrix, naming the first, or nil when there is none: the
// search that OpenUnscanned leaves out, for a step that finds out from
// its own results that it must search.
func (d *Dataset) CheckFinite() error {
	if i := FirstNonFinite(d.X); i >= 0 {
		return d.nonFinite(i)
	}
	return nil
}

// CheckRow returns the error Check gives for row i (counted from 0) of
// the feature matrix when the row holds a NaN or ±Inf, naming the row
// (counted from 1, as every message does) and the first such feature;
// nil when the row is finite.
func (d *Dataset) CheckRow(i int) error {
	if j := firstNonFinite(d.Row(i)); j >= 0 {
		return d.nonFinite(i*d.Dim + j)
	}
	return nil
}

// nonFinite is the error for the non-finite value X[i].
func (d *Dataset) nonFinite(i int) error {
	return fmt.Errorf("dataset: row %d, feature %d: %v is not a finite number", i/d.Dim+1, i%d.Dim, d.X[i])
}

// FirstNonFinite returns the index of the first NaN or ±Inf in x, or -1.
// A long x is searched in blocks of a fixed size by up to GOMAXPROCS
// goroutines (Write and Read check every matrix, and a 100k × 584 one takes
// 40 ms on one core); the answer is the same for any number of them.
func FirstNonFinite(x []float32) int {
	const block = 1 << 20 // values
	blocks := (len(x) + block - 1) / block
	par := min(runtime.GOMAXPROCS(0), blocks)
	if par <= 1 {
		return firstNonFinite(x)
	}
	// Blocks are taken in order; once one holds a non-finite value, the
	// blocks after it need not be searched. The goroutines guard against
	// a fault on a memory-mapped x (see steps/shared/fault).
	var found atomic.Int64
	found.Store(int64(blocks))
	firsts := make([]int, blocks)
	fault.Go(par, blocks, func(_, b int) {
		if int64(b) > found.Load() {
			return
		}
		lo := b * block
		firsts[b] = firstNonFinite(x[lo:min(lo+block, len(x))])
		if firsts[b] < 0 {
			return
		}
		firsts[b] += lo
		for {
			f := found.Load()
			if int64(b) >= f || found.CompareAndSwap(f, int64(b)) {
				break
			}
		}
	})
	if f := int(found.Load()); f < blocks {
		return firsts[f]
	}
	return -1
}

// firstNonFinite is FirstNonFinite on one goroutine. A value is NaN or
// ±Inf when all its exponent bits are set; adding 1 to the exponent of
// such a value, and only of such one, carries into its sign bit. So the
// values are tested two at a time in 64-bit words, a block of them with
// no branch per value (or-ing those sums: about twice as fast as testing
// each), and only a block that holds one is searched value by value.
func firstNonFinite(x []float32) int {
	const (
		exp   = 0x7f800000_7f800000 // all exponent bits set: Inf or NaN
		one   = 0x00800000_00800000 // 1 in each exponent
		carry = 0x80000000_80000000
		block = 16 // words
	)
	i := 0
	if len(x) > 0 && uintptr(unsafe.Pointer(&x[0]))%8 != 0 {
		if nonFinite(x[0]) {
			return 0
		}
		i = 1 // the words start aligned after x[0]
	}
	if len(x)-i >= 2*block {
		words := unsafe.Slice((*uint64)(unsafe.Pointer(&x[i])), (len(x)-i)/2)
		w := 0
		for ; w+block <= len(words); w += block {
			var acc uint64
			for _, v := range words[w : w+block : w+block] {
				acc |= v&exp + one
			}
			if acc&carry != 0 {
				break
			}
		}
		i += 2 * w
	}
	for ; i < len(x); i++ {
		if nonFinite(x[i]) {
			return i
		}
	}
	return -1
}

func nonFinite(v float32) bool { return math.Float32bits(v)&0x7f800000 == 0x7f800000 }
