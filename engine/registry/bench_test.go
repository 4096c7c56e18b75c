package registry

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/pipe-ml/pipe/engine/registry/index"
	"hash/fnv"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The lineage benchmarks answer lineage queries on a registry of 10,000
// runs; the target is under 50 ms a query:
//
//	go test -run '^$' -bench Lineage ./engine/registry
//
// The first benchmark builds the registry (about 20 s on 2 cores).
//
// The benchmark registry: 100 pipelines of 100 nightly runs each, 10,000
// runs in all, interleaved in time. Each run has six executions (load,
// search, train, evaluate, publish, predict). A pipeline's data file
// changes every 10 runs: then every step runs and publish makes a new
// model version; in between, the first four steps are cached. predict
// scores a new file every run. That is 60,000 executions, about 26,000
// artifacts, 150,000 events and 1,000 model versions.
const (
	benchPipelines   = 100
	benchRunsPerPipe = 100
	benchDataEvery   = 10
)

var bench struct {
	once sync.Once
	dir  string
	path string
	err  error
	took time.Duration
}

// benchDB returns a read-write handle on the benchmark registry, building
// it the first time.
func benchDB(b *testing.B) *DB {
	b.Helper()
	bench.once.Do(func() {
		// PIPE_REGISTRY_BENCH_DB keeps the registry at a path, built once,
		// for looking at it with sqlite3 or benchmarking again quickly.
		if p := os.Getenv("PIPE_REGISTRY_BENCH_DB"); p != "" {
			bench.path = p
			if _, err := os.Stat(p); err == nil {
				return
			}
		} else {
			bench.dir, bench.err = os.MkdirTemp("", "registry-bench-")
			if bench.err != nil {
				return
			}
			bench.path = filepath.Join(bench.dir, "registry.db")
		}
		start := time.Now()
		bench.err = populate(bench.path)
		bench.took = time.Since(start)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	b.Logf("benchmark registry: 10,000 runs, built in %v", bench.took.Round(time.Millisecond))
	db, err := Open(context.Background(), bench.path, &Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func cleanupBench() {
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}

func benchDigest(kind string, pipe, n int) string {
	h := fnv.New64a()
	h.Write([]byte(kind))
	return fmt.Sprintf("sha256:%016x%016x%032x", h.Sum64(), pipe, n)
}

// populate writes the benchmark registry in one transaction with prepared
// statements, the same rows the API would write, only much faster.
func populate(path string) error {
	ctx := context.Background()
	db, err := Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.idx.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = tx.PrepareContext(ctx, q)
		return s
	}
	insRun := prep(`INSERT INTO runs (pipeline, triggered_by, config_digest, git_commit, git_dirty, git_branch, pipe_version, host, store_url, started_at, ended_at, status)
		VALUES (?, 'schedule', ?, ?, 0, 'main', '0.1.0', 'cron', 'gs://bucket/store', ?, ?, 'succeeded') RETURNING id`)
	insExec := prep(`INSERT INTO executions (run_id, step, kind, kind_version, cache_key, status, started_at, ended_at, config, outputs)
		VALUES (?, ?, ?, '1', ?, ?, ?, ?, ?, ?) RETURNING id`)
	insArt := prep(`INSERT INTO artifacts (digest, media_type, size, kind, uri, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`)
	insEvent := prep(`INSERT INTO events (execution_id, type, artifact_id, name, path) VALUES (?, ?, ?, ?, ?)`)
	insInput := prep(`INSERT INTO execution_inputs (execution_id, upstream_id, name) VALUES (?, ?, ?)`)
	insModel := prep(`INSERT INTO models (name, created_at) VALUES (?, ?) RETURNING id`)
	insVersion := prep(`INSERT INTO model_versions (model_id, version, model_artifact_id, report_artifact_id, eval_data_digest, uri, run_id, execution_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	insMetric := prep(`INSERT INTO model_metrics (model_version_id, name, value) VALUES (?, ?, ?)`)
	setAlias := prep(`INSERT INTO aliases (model_id, name, version, updated_at) VALUES (?, 'champion', ?, ?)
		ON CONFLICT (model_id, name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`)
	insHistory := prep(`INSERT INTO alias_history (model_id, alias, from_version, to_version, moved_at, triggered_by, run_id)
		VALUES (?, 'champion', ?, ?, ?, 'publish', ?)`)
	if err != nil {
		return err
	}

	artifacts := map[string]int64{}
	art := func(digest, media, kind string, at string) (int64, error) {
		if id, ok := artifacts[digest]; ok {
			return id, nil
		}
		var id int64
		err := insArt.QueryRowContext(ctx, digest, media, 1000, kind, "gs://bucket/store/objects/"+digest[7:19], at).Scan(&id)
		artifacts[digest] = id
		return id, err
	}
	type ev struct {
		typ, digest, media, kind, name, path string
	}
	modelIDs := make([]int64, benchPipelines)
	versions := make([]int, benchPipelines)
	start := time.Date(2024, 1, 1, 2, 0, 0, 0, time.UTC)
	for r := 0; r < benchRunsPerPipe; r++ {
		for p := 0; p < benchPipelines; p++ {
			at := index.FormatTime(start.Add(time.Duration(r)*24*time.Hour + time.Duration(p)*time.Minute))
			block := r / benchDataEvery
			fresh := r%benchDataEvery == 0
			status := ExecCached
			if fresh {
				status = ExecRan
			}
			name := fmt.Sprintf("pipeline-%03d", p)
			var run int64
			if err := insRun.QueryRowContext(ctx, name, benchDigest("config", p, block), benchDigest("commit", p, block)[7:47], at, at).Scan(&run); err != nil {
				return err
			}
			file, train, test := benchDigest("file", p, block), benchDigest("train", p, block), benchDigest("test", p, block)
			trials, model, report := benchDigest("trials", p, block), benchDigest("model", p, block), benchDigest("report", p, block)
			exec := func(step, kind, status string, events []ev) (int64, error) {
				var id int64
				if err := insExec.QueryRowContext(ctx, run, step, kind, benchDigest("key"+step, p, block), status, at, at,
					`{"seed":7}`, `{"rows":1000}`).Scan(&id); err != nil {
					return 0, err
				}
				for _, e := range events {
					aid, err := art(e.digest, e.media, e.kind, at)
					if err != nil {
						return 0, err
					}
					var path any
					if e.path != "" {
						path = e.path
					}
					if _, err := insEvent.ExecContext(ctx, id, e.typ, aid, e.name, path); err != nil {
						return 0, err
					}
				}
				return id, nil
			}
			if _, err := exec("load.corpus", "load", status, []ev{
				{"used", file, "text/csv", KindFile, "path", fmt.Sprintf("data/p%03d.csv", p)},
				{"produced", train, "application/vnd.apache.arrow.file", "dataset", "train", ""},
				{"produced", test, "application/vnd.apache.arrow.file", "dataset", "test", ""},
			}); err != nil {
				return err
			}
			search, err := exec("search.lr", "search", status, []ev{
				{"used", train, "", "dataset", "data", ""},
				{"produced", trials, "application/vnd.pipe.trials.v1+json", "trials", "trials", ""},
			})
			if err != nil {
				return err
			}
			trainExec, err := exec("train.model", "train", status, []ev{
				{"used", train, "", "dataset", "data", ""},
				{"produced", model, "application/vnd.pipe.model.v1+json", "model", "model", ""},
			})
			if err != nil {
				return err
			}
			if _, err := insInput.ExecContext(ctx, trainExec, search, "search.lr.best"); err != nil {
				return err
			}
			if _, err := exec("evaluate.holdout", "evaluate", status, []ev{
				{"used", model, "", "model", "model", ""},
				{"used", test, "", "dataset", "data", ""},
				{"produced", report, "application/vnd.pipe.report.v1+json", "report", "report", ""},
			}); err != nil {
				return err
			}
			pub, err := exec("publish.release", "publish", ExecRan, []ev{
				{"used", model, "", "model", "model", ""},
				{"used", report, "", "report", "report", ""},
			})
			if err != nil {
				return err
			}
			if _, err := exec("predict.batch", "predict", ExecRan, []ev{
				{"used", model, "", "model", "model", ""},
				{"used", benchDigest("new", p, r), "text/csv", KindFile, "path", fmt.Sprintf("incoming/p%03d/day-%03d.csv", p, r)},
				{"produced", benchDigest("predictions", p, r), "application/vnd.apache.parquet", "predictions", "predictions", ""},
			}); err != nil {
				return err
			}
			if fresh {
				if modelIDs[p] == 0 {
					if err := insModel.QueryRowContext(ctx, name, at).Scan(&modelIDs[p]); err != nil {
						return err
					}
				}
				versions[p]++
				v := versions[p]
				var vid int64
				if err := insVersion.QueryRowContext(ctx, modelIDs[p], v, artifacts[model], artifacts[report], benchDigest("eval", p, 0),
					fmt.Sprintf("gs://models/%s/v%d/", name, v), run, pub, at).Scan(&vid); err != nil {
					return err
				}
				for _, m := range []string{"accuracy", "f1", "roc_auc"} {
					if _, err := insMetric.ExecContext(ctx, vid, m, 0.8+float64(v)/100); err != nil {
						return err
					}
				}
				var from any
				if v > 1 {
					from = v - 1
				}
				if _, err := setAlias.ExecContext(ctx, modelIDs[p], v, at); err != nil {
					return err
				}
				if _, err := insHistory.ExecContext(ctx, modelIDs[p], from, v, at, run); err != nil {
					return err
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.idx.SQL().ExecContext(ctx, `PRAGMA optimize`)
	return err
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchLineage(b *testing.B, dir Direction, ref string) {
	db := benchDB(b)
	ctx := context.Background()
	g, err := db.lineage(ctx, dir, ref, nil)
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := db.lineage(ctx, dir, ref, nil); err != nil {
			b.Fatal(err)
		}
	}
	// The machine is shared: CPU time is steadier than wall time.
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(len(g.Nodes)), "nodes")
	b.ReportMetric(float64(len(g.Edges)), "edges")
}

// From a model version: the champion of one pipeline, published in its
// tenth data block (run 91 of 100).
func BenchmarkLineageUpstreamModelVersion(b *testing.B) {
	benchLineage(b, Upstream, "pipeline-050@champion")
}

func BenchmarkLineageDownstreamModelVersion(b *testing.B) {
	benchLineage(b, Downstream, "pipeline-050@5")
}

// From a file path: the data file of one pipeline, which had 10 digests,
// each read by 10 runs.
func BenchmarkLineageUpstreamFile(b *testing.B) {
	benchLineage(b, Upstream, "data/p050.csv")
}

func BenchmarkLineageDownstreamFile(b *testing.B) {
	benchLineage(b, Downstream, "data/p050.csv")
}

// From one digest of that file: what one version of the data built.
func BenchmarkLineageDownstreamDigest(b *testing.B) {
	benchLineage(b, Downstream, benchDigest("file", 50, 4))
}

// From a predictions artifact back to the files and the run.
func BenchmarkLineageUpstreamPredictions(b *testing.B) {
	benchLineage(b, Upstream, benchDigest("predictions", 50, 57))
}

func BenchmarkRunsList(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for b.Loop() {
		runs, err := db.Runs(ctx, RunFilter{Limit: 20})
		if err != nil || len(runs) != 20 {
			b.Fatal(len(runs), err)
		}
	}
}

func BenchmarkRunDetail(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.Run(ctx, 5000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkModelDetail(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.Model(ctx, "pipeline-050"); err != nil {
			b.Fatal(err)
		}
	}
}
