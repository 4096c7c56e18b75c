package store

import (
	"context"
	"io"
	"testing"

	"github.com/pipe-ml/pipe/engine/store/gcstest"
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
