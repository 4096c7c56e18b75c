package store

import (
	"context"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/store/gcstest"
	"github.com/pipe-ml/pipe/engine/store/s3test"
)

// Throughput of Put (spool, hash, upload) and of a checked read, for a
// 64 MiB object, on a local folder and on the GCS emulator:
//
//	go test -run '^$' -bench 'Put|Read' ./engine/store
func BenchmarkPutFile(b *testing.B)  { benchPut(b, b.TempDir()) }
func BenchmarkReadFile(b *testing.B) { benchRead(b, b.TempDir()) }
func BenchmarkPutGCS(b *testing.B) {
	srv := gcstest.Start(b)
	benchPut(b, srv.URL()+"/bench")
}
func BenchmarkReadGCS(b *testing.B) {
	srv := gcstest.Start(b)
	benchRead(b, srv.URL()+"/bench")
}

const benchSize = 64 << 20

func benchStore(b *testing.B, url string) *Store {
	s, err := OpenOptions(context.Background(), url, "", &Options{SpoolDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchPut(b *testing.B, url string) {
	s := benchStore(b, url)
	data := content(10, benchSize)
	b.SetBytes(benchSize)
	i := 0
	for b.Loop() {
		i++
		data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16) // a new object each time
		if _, err := s.Put(context.Background(), "", func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, url string) {
	s := benchStore(b, url)
	a, err := s.PutBytes(context.Background(), "", content(11, benchSize))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := s.Open(context.Background(), a.Digest)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

// BenchmarkFetchGCS compares the object cache's fetch of a 64 MiB object
// from the GCS emulator (into a cache emptied before each fetch, the copy
// verified) with one plain read of it into a local file, as Open streams
// it without a cache, the two taking turns so that both meet the same load
// (issue 17 point 3: on loopback one stream is already fast, so the fetch
// must merely keep up with it; on real GCS or S3 a stream carries a
// fraction of a node's bandwidth, and ranged reads join it). "ranged" is
// the fetch with ranged reads joining its stream at once, whatever its
// speed, as they do when the network is slow. For each it reports the
// fastest of the b.N turns in MB/s, and the processor time per byte of
// every turn, this process's and the server's, which a busy machine
// disturbs less than the time:
//
//	go test -run '^$' -bench Fetch -benchtime 20x ./engine/store
func BenchmarkFetchGCS(b *testing.B) {
	srv := gcstest.Start(b)
	benchFetch(b, srv.URL()+"/fetch", srv.PID())
}

// BenchmarkFetchGCSSlowStreams is BenchmarkFetchGCS with each download
// passed on at 32 MB/s by a proxy, as one stream from real GCS carries a
// fraction of a node's bandwidth: there the fetch must keep its lead over
// one plain read.
//
//	go test -run '^$' -bench FetchGCSSlow -benchtime 3x ./engine/store
func BenchmarkFetchGCSSlowStreams(b *testing.B) {
	srv := gcstest.Start(b)
	srv.Proxy(b).Limit(32 << 20)
	benchFetch(b, srv.URL()+"/fetch", srv.PID())
}

// BenchmarkFetchS3 is BenchmarkFetchGCS on the S3 server.
func BenchmarkFetchS3(b *testing.B) {
	srv := s3test.Start(b)
	benchFetch(b, srv.URL("fetch"), srv.PID())
}

func benchFetch(b *testing.B, url string, serverPID int) {
	a, err := benchStore(b, url).PutBytes(context.Background(), "", content(12, benchSize))
	if err != nil {
		b.Fatal(err)
	}
	fetch, ranged := benchCachedStore(b, url, false), benchCachedStore(b, url, true)
	plain := benchStore(b, url)
	dir := b.TempDir()
	buf := make([]byte, 1<<20)
	turns := map[string]*fetchTurns{}
	turn := func(name string, read func()) {
		t := turns[name]
		if t == nil {
			t = &fetchTurns{}
			turns[name] = t
		}
		cpu0, srv0, start := processCPU(0), processCPU(serverPID), time.Now()
		read()
		wall := time.Since(start)
		t.cpu = append(t.cpu, processCPU(0)-cpu0)
		t.srv += processCPU(serverPID) - srv0
		if t.n == 0 || wall < t.fastest {
			t.fastest = wall
		}
		t.n++
	}
	for b.Loop() {
		for name, s := range map[string]*Store{"fetch": fetch, "ranged": ranged} {
			turn(name, func() {
				m, err := s.Map(context.Background(), a.Digest)
				if err == nil {
					err = m.Verify(context.Background())
					m.Close()
				}
				if err != nil {
					b.Fatal(err)
				}
			})
			s.opts.Cache.remove(a.Digest)
			forget(b, s, a.Digest)
		}
		turn("plain", func() {
			r, err := plain.Open(context.Background(), a.Digest)
			if err != nil {
				b.Fatal(err)
			}
			f, err := os.CreateTemp(dir, "plain")
			if err != nil {
				b.Fatal(err)
			}
			// (*os.File).ReadFrom would copy in 32 KiB pieces: write
			// from buf, as the fetch does.
			if _, err := io.CopyBuffer(struct{ io.Writer }{f}, r, buf); err != nil {
				b.Fatal(err)
			}
			r.Close()
			f.Close()
			os.Remove(f.Name())
		})
	}
	for name, t := range turns {
		slices.Sort(t.cpu)
		b.ReportMetric(benchSize/t.fastest.Seconds()/1e6, name+"-MB/s")
		b.ReportMetric(float64(t.cpu[len(t.cpu)/2])/benchSize, name+"-cpu-ns/B")
		b.ReportMetric(float64(t.srv)/float64(t.n)/benchSize, name+"-server-cpu-ns/B")
	}
}

// benchCachedStore opens a store over url with an object cache of its
// own, whose fetches spread over ranged reads at once when spread is set.
func benchCachedStore(b *testing.B, url string, spread bool) *Store {
	c, err := OpenObjectCache(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	s, err := OpenOptions(context.Background(), url, "", &Options{SpoolDir: b.TempDir(), Cache: c, fetchSpread: spread})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// fetchTurns are the timings of one side of benchFetch: the fastest
// turn, the processor time of each (its median is reported: a turn that
// met the kernel reclaiming memory says little) and the server's in all
// (its clock ticks 10 ms at a time).
type fetchTurns struct {
	n       int
	fastest time.Duration
	cpu     []time.Duration
	srv     time.Duration
}

// processCPU is the processor time (user and system) the process pid
// used so far, this process's when pid is 0; 0 when it cannot be read
// (a server's is read from /proc, on Linux only).
func processCPU(pid int) time.Duration {
	if pid == 0 {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command's name, which is in parentheses and
	// may hold spaces: state is the first, utime the 12th, stime the 13th,
	// in clock ticks (USER_HZ, 100 on every Linux Go supports).
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * time.Second / 100
}
