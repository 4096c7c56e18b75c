package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
	"github.com/pipe-ml/pipe/steps/steptest"
)

// Benchmarks read 100k×584 rows (PIPE_BENCH_ROWS to change) generated
// once per run into a temporary folder. Each reports MB/s of file read
// (b.SetBytes) and rows/s. `go run ./cmd/bench/load` puts the same
// files beside pandas and reports peak memory.

var benchFiles struct {
	once sync.Once
	dir  string
	rows int
	err  error
}

func benchDir(b *testing.B) (string, int) {
	benchFiles.once.Do(func() {
		rows := 100000
		if s := os.Getenv("PIPE_BENCH_ROWS"); s != "" {
			rows, _ = strconv.Atoi(s)
		}
		benchFiles.rows = rows
		benchFiles.dir, benchFiles.err = os.MkdirTemp("", "pipe-load-bench-")
		if benchFiles.err != nil {
			return
		}
		g := synth.Generate(synth.Config{N: rows, Seed: 1})
		for _, f := range []struct {
			name string
			o    synth.FileOptions
		}{{"wide.csv", synth.FileOptions{}}, {"wide.parquet", synth.FileOptions{}}, {"column.csv", synth.FileOptions{Layout: synth.Column}}, {"list.parquet", synth.FileOptions{Layout: synth.Column}},
			{"groups.parquet", synth.FileOptions{RowGroupRows: 1 << 14}}} {
			if benchFiles.err = synth.WriteFile(filepath.Join(benchFiles.dir, f.name), g.Dataset, f.o); benchFiles.err != nil {
				return
			}
		}
	})
	if benchFiles.err != nil {
		b.Fatal(benchFiles.err)
	}
	return benchFiles.dir, benchFiles.rows
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFiles.dir != "" {
		os.RemoveAll(benchFiles.dir)
	}
	os.Exit(code)
}

// hashEnv stores nothing: PutArtifact only hashes, so that a benchmark
// measures the step, not an in-memory store.
type hashEnv struct{ *steptest.Env }

func (hashEnv) PutArtifact(_ context.Context, mediaType string, write func(w io.Writer) error) (steps.Artifact, error) {
	h := sha256.New()
	if err := write(h); err != nil {
		return steps.Artifact{}, err
	}
	return steps.Artifact{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), MediaType: mediaType}, nil
}

func benchLoad(b *testing.B, name string, attrs map[string]cty.Value) {
	benchRead(b, name, attrs, func(ctx context.Context, env steps.Env, in *steps.Inputs) error {
		_, err := (Kind{}).Run(ctx, env, in)
		return err
	})
}

// benchRead benchmarks read on the file name.
func benchRead(b *testing.B, name string, attrs map[string]cty.Value, read func(context.Context, steps.Env, *steps.Inputs) error) {
	dir, rows := benchDir(b)
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		b.Fatal(err)
	}
	attrs["path"] = cty.StringVal(name)
	cfg := configValue(b, attrs)
	in := &steps.Inputs{Config: cfg, Dir: dir, Files: []steps.File{{Path: name, Abs: filepath.Join(dir, name), Size: st.Size(),
		Digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}}}
	par := 2
	if p := os.Getenv("PIPE_BENCH_PAR"); p != "" {
		par, _ = strconv.Atoi(p)
	}
	env := hashEnv{steptest.NewEnv(b, steptest.Parallelism(par), steptest.Dir(dir))}
	b.SetBytes(st.Size())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := read(context.Background(), env, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
}

func BenchmarkLoadCSV(b *testing.B)         { benchLoad(b, "wide.csv", wide(584, nil)) }
func BenchmarkLoadParquet(b *testing.B)     { benchLoad(b, "wide.parquet", wide(584, nil)) }
func BenchmarkLoadCSVColumn(b *testing.B)   { benchLoad(b, "column.csv", column(584, nil)) }
func BenchmarkLoadParquetList(b *testing.B) { benchLoad(b, "list.parquet", column(584, nil)) }

// BenchmarkLoadParquetGroups streams a file of row groups of 16384 rows,
// where writing one group overlaps decoding the next.
func BenchmarkLoadParquetGroups(b *testing.B) { benchLoad(b, "groups.parquet", wide(584, nil)) }

// BenchmarkLoadParquetWhole reads the file BenchmarkLoadParquet streams
// the way invalid rows are read: into a table in memory, then written.
func BenchmarkLoadParquetWhole(b *testing.B) {
	benchRead(b, "wide.parquet", wide(584, nil), func(ctx context.Context, env steps.Env, in *steps.Inputs) error {
		c, errs := parseConfig(in.Config, false)
		if len(errs) > 0 {
			return errs[0]
		}
		_, err := readWhole(ctx, env, c, in.Files)
		return err
	})
}

// BenchmarkArrowCSV reads the same wide CSV with Arrow's CSV reader
// (typed float32 schema), the reader the issue named; the package
// documentation explains why load has its own.
func BenchmarkArrowCSV(b *testing.B) {
	dir, rows := benchDir(b)
	path := filepath.Join(dir, "wide.csv")
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, _, _, n := readArrowCSV(b, path, 584); n != rows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
}
