package search

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"

	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// TestCrossValidateMapped cross-validates on a matrix memory-mapped from
// a file, as a step reads a dataset, and drops the pages as the step does
// (MADV_DONTNEED on the whole pages of each part): every dropped page
// read again maps back in from the page cache, and the result is the
// same as on the matrix in memory.
func TestCrossValidateMapped(t *testing.T) {
	cands := []logreg.Params{params(logreg.L2, 0.1, logreg.Balanced), params(logreg.L2, 1, logreg.Balanced),
		params(logreg.L1, 1, logreg.Unweighted)}
	p := smallProblem(t, 4000, 640, cands, F1)
	want, err := CrossValidate(context.Background(), p, &Settings{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "x")
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(p.Data.X))), len(p.Data.X)*4)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, len(raw), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	page := uintptr(os.Getpagesize())
	var dropped atomic.Int64
	drop := func(x []float32) {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
		hi := (lo + uintptr(len(x))*4) &^ (page - 1)
		lo = (lo + page - 1) &^ (page - 1)
		if lo < hi {
			if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, syscall.MADV_DONTNEED); errno != 0 {
				t.Errorf("madvise: %v", errno)
			}
			dropped.Add(1)
		}
	}
	mapped := *p
	data := *p.Data
	data.X = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(m))), len(p.Data.X))
	mapped.Data = &data
	got, err := CrossValidate(context.Background(), &mapped, &Settings{Parallelism: 2, DropPages: drop})
	if err != nil {
		t.Fatal(err)
	}
	if dropped.Load() == 0 {
		t.Fatal("nothing was dropped")
	}
	for i := range got.Trials {
		for f := range got.Trials[i].Folds {
			got.Trials[i].Folds[f].Duration, want.Trials[i].Folds[f].Duration = 0, 0
		}
	}
	got.Duration, want.Duration = 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("on the mapped matrix, dropping its pages:\n%+v\nin memory:\n%+v", got, want)
	}
}
