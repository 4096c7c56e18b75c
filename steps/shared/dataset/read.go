package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/fault"
)

// Decode reads a dataset from the bytes of an Arrow IPC file. The Dataset
// does not alias b: b is copied once.
func Decode(b []byte) (*Dataset, error) {
	return View(bytes.Clone(b))
}

// ReadFile reads a dataset from a file, into memory: one copy of the file,
// which the feature matrix aliases.
func ReadFile(path string) (*Dataset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return View(b)
}

// Open reads the dataset artifact a through env, in place when env can
// map it (steps.ArtifactMapper): the Dataset's matrix, labels and weights
// then alias a read-only memory map of the store's file (or of the local
// object cache's copy), valid until the step's Run returns, and the
// artifact's digest is checked by the engine beside the step. Otherwise
// the artifact is read into memory, checked, once. Either way peak memory
// is the file itself plus the ids and texts.
//
// Code that reads the Dataset's slices in goroutines of its own must
// guard them against a fault on the mapping (see steps/shared/fault); the
// calling goroutine must too, and Open itself reads the mapping under the
// caller's guard, so call it from a function that deferred fault.Guard.
func Open(ctx context.Context, env steps.Env, a steps.Artifact) (*Dataset, error) {
	return open(ctx, env, a, true)
}

// OpenUnscanned is Open for a step that reads every row of the feature
// matrix once anyway and can tell a row that holds a NaN or ±Inf from
// what it computes (a linear model's margin of such a row is never
// finite): it leaves out Open's search of the whole matrix for them, a
// pass over every byte of its own. Everything else is checked as Open
// does. The caller must call CheckRow on every row whose result is not
// finite, before it uses the row's result or commits anything, so that
// such data is still refused with the same message, naming the row and
// the feature (steps/shared/scoring does).
func OpenUnscanned(ctx context.Context, env steps.Env, a steps.Artifact) (*Dataset, error) {
	return open(ctx, env, a, false)
}

// open is Open, with the search for non-finite features when features
// is set.
func open(ctx context.Context, env steps.Env, a steps.Artifact, features bool) (*Dataset, error) {
	if a.MediaType != MediaType {
		return nil, fmt.Errorf("dataset: artifact %s is %s, not a dataset (%s)", a.Digest, a.MediaType, MediaType)
	}
	var b []byte
	var err error
	if m, ok := env.(steps.ArtifactMapper); ok {
		b, err = m.MapArtifact(ctx, a)
	} else {
		b, err = env.ReadArtifact(ctx, a)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	fault.Track(b, "dataset "+a.Digest)
	return viewFile(b, features)
}

// errTooLarge is panicked by limitAllocator and recovered by Read.
var errTooLarge = errors.New("dataset: corrupt file: a buffer is larger than the file")

// limitAllocator refuses any allocation larger than the file being read:
// no honest buffer in an uncompressed IPC file can be, and a corrupt
// length must not make us allocate gigabytes.
type limitAllocator struct {
	memory.GoAllocator
	max int
}

func (a *limitAllocator) Allocate(size int) []byte {
	if size < 0 || size > a.max {
		panic(errTooLarge)
	}
	return a.GoAllocator.Allocate(size)
}

func (a *limitAllocator) Reallocate(size int, b []byte) []byte {
	if size < 0 || size > a.max {
		panic(errTooLarge)
	}
	return a.GoAllocator.Reallocate(size, b)
}

// Read reads a dataset from an Arrow IPC file of the given size, into
// memory (one copy of the file, which the matrix aliases), and validates
// it (see [Dataset.Check] and the package documentation). It never
// panics: a corrupt file is an error.
func Read(r io.ReaderAt, size int64) (*Dataset, error) {
	if size < 0 || int64(int(size)) != size {
		return nil, fmt.Errorf("dataset: file size %d is out of range", size)
	}
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && size == 0) {
		return nil, fmt.Errorf("dataset: reading: %w", err)
	}
	return View(b)
}

// expected holds what the schema promises about the record batch.
type expected struct {
	rows, positives    int
	weight, ids, texts bool
}

func fromSchema(s *arrow.Schema) (*Dataset, expected, error) {
	var want expected
	md := s.Metadata()
	get := func(k string) string {
		if i := md.FindKey(k); i >= 0 {
			return md.Values()[i]
		}
		return ""
	}
	if v := get(keyVersion); v != Version {
		return nil, want, fmt.Errorf("dataset: format version %q, want %q (was it written by pipe?)", v, Version)
	}
	atoi := func(k string) (int, error) {
		n, err := strconv.Atoi(get(k))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("dataset: metadata %s = %q is not a count", k, get(k))
		}
		return n, nil
	}
	dim, err := atoi(keyDim)
	if err != nil {
		return nil, want, err
	}
	if want.rows, err = atoi(keyRows); err != nil {
		return nil, want, err
	}
	if want.positives, err = atoi(keyPositives); err != nil {
		return nil, want, err
	}
	fields := s.Fields()
	if len(fields) < 2 || fields[0].Name != ColFeatures || fields[1].Name != ColLabel {
		return nil, want, fmt.Errorf("dataset: columns %v, want features, label, then optional weight, id, text", fieldNames(s))
	}
	ft, ok := fields[0].Type.(*arrow.FixedSizeListType)
	if !ok || ft.Elem().ID() != arrow.FLOAT32 || int(ft.Len()) != dim {
		return nil, want, fmt.Errorf("dataset: features column is %s, want fixed_size_list<float32>[%d]", fields[0].Type, dim)
	}
	if fields[1].Type.ID() != arrow.UINT8 {
		return nil, want, fmt.Errorf("dataset: label column is %s, want uint8", fields[1].Type)
	}
	rest := fields[2:]
	take := func(name string, id arrow.Type) (bool, error) {
		if len(rest) == 0 || rest[0].Name != name {
			return false, nil
		}
		if rest[0].Type.ID() != id {
			return false, fmt.Errorf("dataset: %s column is %s, want %s", name, rest[0].Type, id)
		}
		rest = rest[1:]
		return true, nil
	}
	if want.weight, err = take(ColWeight, arrow.FLOAT64); err != nil {
		return nil, want, err
	}
	if want.ids, err = take(ColID, arrow.STRING); err != nil {
		return nil, want, err
	}
	if want.texts, err = take(ColText, arrow.STRING); err != nil {
		return nil, want, err
	}
	if len(rest) != 0 {
		return nil, want, fmt.Errorf("dataset: columns %v, want features, label, then optional weight, id, text", fieldNames(s))
	}
	d := &Dataset{N: want.rows, Dim: dim, Meta: Meta{
		Positive: get(keyPositive),
		Part:     get(keyPart),
		Features: get(keyFeatures),
		Source:   get(keySource),
	}}
	return d, want, nil
}

func fieldNames(s *arrow.Schema) []string {
	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name)
	}
	return names
}

// DropRows tells env that the step is done reading rows [lo, hi) of d's
// feature matrix for now (see steps.PageDropper): where the matrix is a
// memory map, their pages leave the process's resident memory; reading
// them again still works. A pass that reads each row once (scoring)
// drops the rows behind it, so that the whole matrix never stands in
// the step's peak memory, nor under the work that follows.
func DropRows(env steps.Env, d *Dataset, lo, hi int) {
	if p, ok := env.(steps.PageDropper); ok && lo < hi {
		x := d.X[lo*d.Dim : hi*d.Dim]
		p.DropPages(unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x)*4))
	}
}
