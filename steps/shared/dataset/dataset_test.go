package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/pipe-ml/pipe/steps"
)

// sample returns a small dataset with every optional column.
func sample(n, dim int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := &Dataset{N: n, Dim: dim, X: make([]float32, n*dim), Y: make([]uint8, n),
		W: make([]float64, n), IDs: make([]string, n), Texts: make([]string, n),
		Meta: Meta{Positive: "private", Part: PartTrain, Features: "prefix emb_, dim 3", Source: "a.csv sha256:00"}}
	for i := range d.X {
		d.X[i] = float32(rng.Float64()*2 - 1)
	}
	for i := 0; i < n; i++ {
		d.Y[i] = uint8(rng.IntN(2))
		d.W[i] = rng.Float64()
		d.IDs[i] = "id-" + string(rune('a'+i%26))
		d.Texts[i] = strings.Repeat("word ", i%4)
	}
	return d
}

func encode(t testing.TB, d *Dataset) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	full := sample(37, 3, 1)
	bare := sample(5, 3, 2)
	bare.W, bare.IDs, bare.Texts = nil, nil, nil
	idsOnly := sample(4, 3, 3)
	idsOnly.W, idsOnly.Texts = nil, nil
	empty := &Dataset{N: 0, Dim: 584, X: []float32{}, Y: []uint8{}, Meta: Meta{Part: PartTest}}
	for name, d := range map[string]*Dataset{"full": full, "bare": bare, "ids only": idsOnly, "empty": empty} {
		t.Run(name, func(t *testing.T) {
			b := encode(t, d)
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(d, got, cmp.Comparer(func(a, b []float32) bool {
				return len(a) == len(b) && bytes.Equal(bytesOf(a), bytesOf(b))
			})); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if again := encode(t, got); !bytes.Equal(b, again) {
				t.Errorf("writing what was read gives different bytes")
			}
		})
	}
}

func TestWriteDeterministic(t *testing.T) {
	a := encode(t, sample(100, 7, 9))
	b := encode(t, sample(100, 7, 9))
	if !bytes.Equal(a, b) {
		t.Fatal("same dataset, different bytes")
	}
}

func TestReadAliasesMatrix(t *testing.T) {
	d := sample(64, 16, 4)
	path := filepath.Join(t.TempDir(), "d.arrow")
	if err := os.WriteFile(path, encode(t, d), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p := uintptr(unsafe.Pointer(&got.X[0])); p%4 != 0 {
		t.Errorf("features are not float32-aligned: %#x", p)
	}
	if !bytes.Equal(bytesOf(got.X), bytesOf(d.X)) {
		t.Error("features differ")
	}
}

func TestWriteRejectsInvalid(t *testing.T) {
	cases := map[string]func(d *Dataset){
		"nan feature":     func(d *Dataset) { d.X[4] = float32(math.NaN()) },
		"inf feature":     func(d *Dataset) { d.X[0] = float32(math.Inf(-1)) },
		"label 2":         func(d *Dataset) { d.Y[1] = 2 },
		"negative weight": func(d *Dataset) { d.W[2] = -1 },
		"short labels":    func(d *Dataset) { d.Y = d.Y[:2] },
		"short matrix":    func(d *Dataset) { d.X = d.X[:5] },
		"short ids":       func(d *Dataset) { d.IDs = d.IDs[:1] },
		"zero dim":        func(d *Dataset) { d.Dim = 0 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			d := sample(4, 3, 5)
			mutate(d)
			if err := Write(io.Discard, d); err == nil || !strings.HasPrefix(err.Error(), "dataset: ") {
				t.Errorf("Write = %v, want a dataset: error", err)
			}
		})
	}
}

// TestReadCorrupt cuts and flips a small file everywhere: Read must
// return an error (or, for a flip in padding, a valid dataset), never
// panic.
func TestReadCorrupt(t *testing.T) {
	b := encode(t, sample(6, 3, 6))
	for n := 0; n < len(b); n++ {
		if _, err := Decode(b[:n]); err == nil {
			t.Fatalf("Decode of the first %d of %d bytes succeeded", n, len(b))
		}
	}
	for i := range b {
		for _, bit := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= bit
			if d, err := Decode(c); err == nil {
				if err := d.Check(); err != nil {
					t.Fatalf("flip at %d: Decode returned an invalid dataset: %v", i, err)
				}
			}
		}
	}
}

func TestReadRejectsForeignFiles(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":   nil,
		"text":    []byte("label,emb_0\n1,0.5\n"),
		"magic":   []byte("ARROW1\x00\x00ARROW1"),
		"parquet": []byte("PAR1\x00\x00\x00\x00PAR1"),
	} {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: Decode succeeded", name)
		}
	}
}

// memEnv is the smallest steps.Env that Open needs: artifacts in a map.
type memEnv struct {
	steps.Env
	objects map[string][]byte
}

func (e *memEnv) ReadArtifact(_ context.Context, a steps.Artifact) ([]byte, error) {
	return bytes.Clone(e.objects[a.Digest]), nil
}

// mapEnv is memEnv that hands artifacts over in place.
type mapEnv struct{ memEnv }

func (e *mapEnv) MapArtifact(_ context.Context, a steps.Artifact) ([]byte, error) {
	return e.objects[a.Digest], nil
}

// TestOpenInPlace: with an Env that maps artifacts, the Dataset's
// matrix, labels and weights are the artifact's own bytes.
func TestOpenInPlace(t *testing.T) {
	d := sample(50, 7, 3)
	b := encode(t, d)
	sum := sha256.Sum256(b)
	a := steps.Artifact{Digest: "sha256:" + hex.EncodeToString(sum[:]), MediaType: MediaType, Size: int64(len(b))}
	got, err := Open(context.Background(), &mapEnv{memEnv{objects: map[string][]byte{a.Digest: b}}}, a)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string][]byte{"features": bytesOf(got.X), "labels": bytesOf(got.Y), "weights": bytesOf(got.W)} {
		if !inside(s, b) {
			t.Errorf("the %s were copied, not read in place", name)
		}
	}
	if !cmp.Equal(got.X, d.X) || !cmp.Equal(got.IDs, d.IDs) || !cmp.Equal(got.Texts, d.Texts) {
		t.Errorf("Open in place read other values")
	}
}

// inside reports whether s lies within b's memory.
func inside(s, b []byte) bool {
	if len(s) == 0 {
		return false
	}
	lo, hi := uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&b[0]))+uintptr(len(b))
	p := uintptr(unsafe.Pointer(&s[0]))
	return lo <= p && p+uintptr(len(s)) <= hi
}

// TestViewUnaligned: a file whose buffers are not aligned for their types
// in memory (here, the same bytes one byte further on) is read correctly,
// by copying what is not aligned.
func TestViewUnaligned(t *testing.T) {
	d := sample(40, 5, 9)
	b := encode(t, d)
	shifted := make([]byte, len(b)+1)
	copy(shifted[1:], b)
	got, err := View(shifted[1:])
	if err != nil {
		t.Fatal(err)
	}
	if inside(bytesOf(got.X), shifted) || inside(bytesOf(got.W), shifted) {
		t.Errorf("misaligned features or weights were aliased")
	}
	if !inside(bytesOf(got.Y), shifted) {
		t.Errorf("the labels (bytes, always aligned) were copied")
	}
	if !cmp.Equal(got.X, d.X) || !cmp.Equal(got.W, d.W) || !cmp.Equal(got.Y, d.Y) || !cmp.Equal(got.Texts, d.Texts) {
		t.Errorf("an unaligned file read other values")
	}
}

func TestOpen(t *testing.T) {
	d := sample(10, 3, 7)
	b := encode(t, d)
	sum := sha256.Sum256(b)
	a := steps.Artifact{Digest: "sha256:" + hex.EncodeToString(sum[:]), MediaType: MediaType, Size: int64(len(b))}
	env := &memEnv{objects: map[string][]byte{a.Digest: b}}
	got, err := Open(context.Background(), env, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.N != 10 || got.Positives() != d.Positives() {
		t.Errorf("Open: %d rows, %d positives", got.N, got.Positives())
	}
	a.MediaType = "application/vnd.pipe.model.v1+json"
	if _, err := Open(context.Background(), env, a); err == nil || !strings.Contains(err.Error(), "not a dataset") {
		t.Errorf("Open of a model = %v, want a media type error", err)
	}
}

func TestLabelsFloat64(t *testing.T) {
	d := &Dataset{Y: []uint8{0, 1, 1}}
	if got := d.LabelsFloat64(); !cmp.Equal(got, []float64{0, 1, 1}) {
		t.Errorf("LabelsFloat64 = %v", got)
	}
}

func FuzzDatasetRead(f *testing.F) {
	f.Add(encode(f, sample(3, 2, 1)))
	bare := sample(2, 4, 2)
	bare.W, bare.Texts = nil, nil
	f.Add(encode(f, bare))
	f.Add([]byte("ARROW1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		if err := d.Check(); err != nil {
			t.Fatalf("Decode returned an invalid dataset: %v", err)
		}
	})
}

// TestFirstNonFinite checks the blockwise search of a long slice against
// a plain loop: the first NaN or Inf wins wherever the others are, with
// one goroutine or several.
func TestFirstNonFinite(t *testing.T) {
	const n = 3<<20 + 5 // more than three blocks
	x := make([]float32, n)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name string
		bad  map[int]float32
		want int
	}{
		{"none", nil, -1},
		{"first value", map[int]float32{0: nan}, 0},
		{"last value", map[int]float32{n - 1: inf}, n - 1},
		{"in two blocks", map[int]float32{3<<20 + 1: nan, 1<<20 + 7: float32(math.Inf(-1))}, 1<<20 + 7},
		{"twice in a block", map[int]float32{2<<20 + 9: inf, 2<<20 + 3: nan}, 2<<20 + 3},
	}
	for _, procs := range []int{1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		for _, tc := range cases {
			clear(x)
			for i, v := range tc.bad {
				x[i] = v
			}
			if got := FirstNonFinite(x); got != tc.want {
				t.Errorf("GOMAXPROCS %d, %s: got %d, want %d", procs, tc.name, got, tc.want)
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// TestWrittenFilesMapInPlace: every buffer of every file Write makes
// starts at a multiple of 8 bytes into the file, so that a memory map
// (page-aligned) of it holds the matrix, labels and weights aligned for
// their types, and View aliases them: whatever the shape and the optional
// columns.
func TestWrittenFilesMapInPlace(t *testing.T) {
	for _, shape := range [][2]int{{1, 1}, {3, 2}, {17, 5}, {100, 584}, {1001, 3}} {
		for _, strip := range []bool{false, true} {
			d := sample(shape[0], shape[1], uint64(shape[0]))
			if strip {
				d.W, d.IDs, d.Texts = nil, nil, nil
			}
			b := encode(t, d)
			bt, err := recordBatch(b)
			if err != nil {
				t.Fatal(err)
			}
			start := int(uintptr(unsafe.Pointer(unsafe.SliceData(bt.body))) - uintptr(unsafe.Pointer(&b[0]))) // the body's offset in the file
			for i, buf := range bt.buffers {
				if (int64(start)+buf[0])%8 != 0 {
					t.Errorf("%d×%d (stripped %v): buffer %d at file offset %d", shape[0], shape[1], strip, i, int64(start)+buf[0])
				}
			}
			aligned := make([]byte, len(b)) // a fresh allocation is aligned, as a map is
			copy(aligned, b)
			got, err := View(aligned)
			if err != nil {
				t.Fatal(err)
			}
			if !inside(bytesOf(got.X), aligned) || strip == false && !inside(bytesOf(got.W), aligned) {
				t.Errorf("%d×%d: a file pipe wrote was not read in place", shape[0], shape[1])
			}
		}
	}
}

// TestFirstNonFiniteEveryPosition checks the branch-free block test at
// every position of a few blocks against the plain definition, for every
// kind of special value and the finite values nearest to them.
func TestFirstNonFiniteEveryPosition(t *testing.T) {
	for _, start := range []int{0, 1} { // the words aligned, and not
		testFirstNonFiniteFrom(t, start)
	}
}

func testFirstNonFiniteFrom(t *testing.T, start int) {
	finite := []float32{0, -0, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1, -1, 0x1p127 * 1.5}
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fffffff), math.Float32frombits(0xff800001)}
	x := make([]float32, 54)[start:]
	for i := range x {
		x[i] = finite[i%len(finite)]
	}
	if got := firstNonFinite(x); got != -1 {
		t.Fatalf("finite values: got %d, want -1", got)
	}
	for pos := range x {
		for _, v := range bad {
			keep := x[pos]
			x[pos] = v
			if got := firstNonFinite(x); got != pos {
				t.Errorf("%v at %d: got %d", v, pos, got)
			}
			x[pos] = keep
		}
	}
}

// BenchmarkFirstNonFinite is the search of a 100k × 584 matrix on one
// goroutine: every step that reads a dataset pays it once.
func BenchmarkFirstNonFinite(b *testing.B) {
	x := make([]float32, 100_000*584)
	for i := range x {
		x[i] = float32(i%1000) / 7
	}
	b.SetBytes(int64(len(x)) * 4)
	for b.Loop() {
		if firstNonFinite(x) != -1 {
			b.Fatal("found a non-finite value")
		}
	}
}
