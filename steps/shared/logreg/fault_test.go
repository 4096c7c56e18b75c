//go:build unix

package logreg

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/shared/fault"
)

// mappedData writes data's matrix to a file and returns the same Data
// with X a read-only memory map of that file, as a step reads a dataset
// in place, and the file's path.
func mappedData(t *testing.T, data *Data) (*Data, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.f32")
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&data.X[0])), 4*len(data.X))
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, len(raw), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(m) })
	fault.Track(m, "test matrix")
	mapped := *data
	mapped.X = unsafe.Slice((*float32)(unsafe.Pointer(&m[0])), len(data.X))
	return &mapped, path
}

// TestFitFaultOnTruncatedMapping truncates the file under a fit's matrix
// between two of its iterations, as another process could: the next pass
// faults inside the kernels (the AVX2 assembly where the CPU has it, on
// one goroutine or several, alone or sharing passes in a Batch), and
// every fit returns a *fault.Error naming the mapping instead of crashing
// the process or waiting forever.
func TestFitFaultOnTruncatedMapping(t *testing.T) {
	base := synthData(synth.Config{N: 20_000, Dim: 64, Seed: 3})
	for _, c := range []struct {
		name    string
		workers int
		batch   bool
		penalty Penalty
	}{
		{"one goroutine", 1, false, L2},
		{"two goroutines", 2, false, L2},
		{"batch of two fits", 2, true, L2},
		{"newton", 2, false, L1},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, path := mappedData(t, base)
			params := DefaultParams()
			params.Penalty = c.penalty
			var once sync.Once
			truncate := func(p Progress) {
				once.Do(func() {
					if err := os.Truncate(path, 0); err != nil {
						t.Error(err)
					}
				})
			}
			fits := 1
			var batch *Batch
			if c.batch {
				fits = 2
				batch, _ = NewBatch(data, c.workers)
			}
			errs := make([]error, fits)
			var wg sync.WaitGroup
			for i := range fits {
				wg.Go(func() {
					s := &Settings{Parallelism: c.workers, Batch: batch}
					if i == 0 {
						s.Progress = truncate
					}
					_, errs[i] = Fit(context.Background(), data, params, s)
				})
			}
			wg.Wait()
			for i, err := range errs {
				var fe *fault.Error
				if !errors.As(err, &fe) {
					t.Fatalf("fit %d on a truncated mapping: %v, want a *fault.Error", i, err)
				}
				if fe.Name != "test matrix" {
					t.Errorf("the fault names %q, want the mapping", fe.Name)
				}
				// One fit alone faults in its next pass, in a kernel; two
				// fits sharing a Batch may meet the truncation first in
				// the other's own look at the rows.
				switch {
				case useAVX2 && c.penalty == L2 && !c.batch && !strings.HasSuffix(fe.Where, "AVX2"):
					t.Errorf("fit %d faulted in %s, want an AVX2 kernel", i, fe.Where)
				case !strings.Contains(fe.Where, "/steps/shared/logreg."):
					t.Errorf("fit %d faulted in %s, want a function of logreg", i, fe.Where)
				}
				t.Logf("fit %d: %v", i, err)
			}
		})
	}
}

// TestPredictFaultOnTruncatedMapping: scoring rows of a mapping that
// shrank is an error too.
func TestPredictFaultOnTruncatedMapping(t *testing.T) {
	base := synthData(synth.Config{N: 5000, Dim: 32, Seed: 4})
	data, path := mappedData(t, base)
	m := &Model{Format: ModelFormat, Coef: make([]float64, 32), Features: Features{Dim: 32}}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	_, err := m.PredictProba(data.X, data.N, data.D)
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Fatalf("PredictProba on a truncated mapping: %v, want a *fault.Error", err)
	}
}
