package search

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkGridMapped is BenchmarkGrid8x5 on the matrix memory-mapped from
// a file, as the step reads a dataset, with its pages kept (keep) or
// dropped behind the passes as the step drops them (drop). Beside the
// time it reports the process's CPU time per search (user and system):
// dropping costs page faults and madvise calls, and a loaded machine
// shows CPU time more faithfully than wall time.
//
//	go test -run - -bench GridMapped -benchtime 1x -count 3 ./steps/search
func BenchmarkGridMapped(b *testing.B) {
	set := benchData()
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(set.data.X))), len(set.data.X)*4)
	path := filepath.Join(b.TempDir(), "x")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, len(raw), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Munmap(m)
	data := *set.data
	data.X = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(m))), len(set.data.X))
	mapped := benchSet{data: &data, folds: set.folds}
	page := uintptr(os.Getpagesize())
	drop := func(x []float32) {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
		hi := (lo + uintptr(len(x))*4) &^ (page - 1)
		lo = (lo + page - 1) &^ (page - 1)
		if lo < hi {
			syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, syscall.MADV_DONTNEED)
		}
	}
	for _, c := range []struct {
		name string
		drop func([]float32)
	}{{"keep", nil}, {"drop", drop}} {
		b.Run(c.name, func(b *testing.B) {
			user, sys := cpuTimes()
			benchmarkSearch(b, mapped, benchGridSpace(), Grid, 0, &Settings{DropPages: c.drop})
			u, s := cpuTimes()
			b.ReportMetric((u-user).Seconds()/float64(b.N), "user-s/op")
			b.ReportMetric((s-sys).Seconds()/float64(b.N), "sys-s/op")
		})
	}
}

// cpuTimes returns the process's user and system CPU time so far.
func cpuTimes() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
