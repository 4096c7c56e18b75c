package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
)

// The sync benchmarks bring a registry of 10,000 runs up to date from its
// log in the GCS emulator; the targets are under 2 s from nothing and
// under 50 ms for one new entry:
//
//	go test -run '^$' -bench Sync ./engine/registry
//
// The log holds the lineage benchmarks' registry (100 pipelines of 100
// runs, six executions each, a model version and an alias move every 10
// runs), one entry per run: 10,000 entries, with the newest checkpoint
// DefaultCheckpointEvery-1 entries before the end, the most a reader ever
// has to read after one. Entries of one run each are larger than those of
// an apply (a few facts each), so the entries after the checkpoint cost
// more here than they would. Building the log takes a minute or two.
const syncBenchCheckpointLag = DefaultCheckpointEvery - 1

func BenchmarkSync(b *testing.B) {
	srv := gcstest.Start(b)
	ctx := context.Background()
	st, err := store.Open(ctx, srv.URL()+"/bench", "")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	n, err := buildBenchLog(ctx, st, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("log of %d entries (10,000 runs) with a checkpoint at entry %d, built in %v", n, n-syncBenchCheckpointLag, time.Since(start).Round(time.Second))
	dir := b.TempDir()

	b.Run("Cold", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			db, err := Open(ctx, filepath.Join(dir, fmt.Sprintf("cold-%d.db", i)), &Options{Store: st})
			if err != nil {
				b.Fatal(err)
			}
			if s := db.Status(); s.Stale() || s.Entry != n || s.Applied != syncBenchCheckpointLag {
				b.Fatalf("cold sync: %+v", s)
			}
			db.Close()
		}
	})
	reader, err := Open(ctx, filepath.Join(dir, "reader.db"), &Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	defer reader.Close()
	b.Run("UpToDate", func(b *testing.B) {
		for b.Loop() {
			if s, err := reader.Sync(ctx); err != nil || s.Applied != 0 {
				b.Fatalf("%+v %v", s, err)
			}
		}
	})
	writer, err := Open(ctx, filepath.Join(dir, "writer.db"), &Options{Store: st, CheckpointEvery: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer writer.Close()
	b.Run("Incremental", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := writer.BeginRun(ctx, Run{Pipeline: "pipeline-000", Trigger: TriggerCI, PipeVersion: "bench"}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if s, err := reader.Sync(ctx); err != nil || s.Applied != 1 {
				b.Fatalf("%+v %v", s, err)
			}
		}
	})
}

// buildBenchLog writes the benchmark's log to s, with a checkpoint
// syncBenchCheckpointLag entries before its end, and returns its length.
func buildBenchLog(ctx context.Context, s *store.Store, tmp string) (int64, error) {
	entries := benchLogEntries()
	n := int64(len(entries))
	encoded := make([][]byte, n)
	hashes := make([]string, n)
	prev := ""
	for i, e := range entries {
		e.Prev = prev
		b, h, err := txlog.Encode(e, nil)
		if err != nil {
			return 0, err
		}
		encoded[i], hashes[i], prev = b, h, h
	}
	cp := n - syncBenchCheckpointLag
	if err := benchCheckpoint(ctx, s, tmp, entries[:cp], hashes[:cp]); err != nil {
		return 0, err
	}
	return n, uploadEntries(ctx, s, encoded)
}

// benchCheckpoint applies entries to a new index, as a sync would, and
// stores its snapshot as the checkpoint after the last of them.
func benchCheckpoint(ctx context.Context, s *store.Store, tmp string, entries []*txlog.Entry, hashes []string) error {
	path := filepath.Join(tmp, "checkpoint.db")
	idx, err := index.Open(ctx, path, index.Options{})
	if err != nil {
		return err
	}
	defer idx.Close()
	for lo := 0; lo < len(entries); lo += 500 {
		err := idx.Write(ctx, func(tx *index.Tx) error {
			for i := lo; i < min(lo+500, len(entries)); i++ {
				if refused, err := tx.Apply(ctx, entries[i].N, entries[i].Facts); err != nil || len(refused) > 0 {
					return fmt.Errorf("entry %d: %v %v", entries[i].N, err, refused)
				}
				if err := tx.SetEntry(ctx, entries[i].N, hashes[i]); err != nil {
					return err
				}
			}
			return tx.Bind(ctx, urlOf(s))
		})
		if err != nil {
			return err
		}
	}
	snap := filepath.Join(tmp, "snapshot.db")
	st, err := idx.Snapshot(ctx, snap)
	if err != nil {
		return err
	}
	f, err := os.Open(snap)
	if err != nil {
		return err
	}
	defer f.Close()
	return txlog.New(s).WriteCheckpoint(ctx, txlog.Checkpoint{N: st.Entry, Hash: st.Hash, Schema: index.SchemaVersion()}, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}

// uploadEntries writes the encoded entries, 32 at a time.
func uploadEntries(ctx context.Context, s *store.Store, encoded [][]byte) error {
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	next := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := s.CreateBlob(ctx, txlog.EntryKey(int64(i+1)), encoded[i]); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range encoded {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// benchLogEntries returns the benchmark registry as log entries, one per
// run, in the order populate records the runs.
func benchLogEntries() []*txlog.Entry {
	versions := make([]int, benchPipelines)
	start := time.Date(2024, 1, 1, 2, 0, 0, 0, time.UTC)
	var out []*txlog.Entry
	for r := 0; r < benchRunsPerPipe; r++ {
		for p := 0; p < benchPipelines; p++ {
			at := start.Add(time.Duration(r)*24*time.Hour + time.Duration(p)*time.Minute)
			out = append(out, &txlog.Entry{N: int64(len(out) + 1), Writer: txlog.Writer{Host: "cron", Time: at},
				Facts: benchRunFacts(p, r, at, versions)})
		}
	}
	return out
}

// benchRunFacts are the facts of run r of pipeline p.
func benchRunFacts(p, r int, at time.Time, versions []int) []txlog.Fact {
	block := r / benchDataEvery
	fresh := r%benchDataEvery == 0
	status := ExecCached
	if fresh {
		status = ExecRan
	}
	name := fmt.Sprintf("pipeline-%03d", p)
	run := fmt.Sprintf("r%03d%05d", p, r)
	dirty := false
	facts := []txlog.Fact{{RunBegun: &txlog.RunBegun{Run: run, Pipeline: name, Trigger: TriggerSchedule,
		ConfigDigest: benchDigest("config", p, block), GitCommit: benchDigest("commit", p, block)[7:47], GitDirty: &dirty,
		GitBranch: "main", PipeVersion: "0.1.0", Host: "cron", StoreURL: "gs://bucket/store", Started: at}}}
	art := func(digest, media, kind, name, path string) txlog.Artifact {
		return txlog.Artifact{Digest: digest, MediaType: media, Size: 1000, Kind: kind, Name: name, Path: path,
			URI: "gs://bucket/store/objects/" + digest[7:19]}
	}
	file, train, test := benchDigest("file", p, block), benchDigest("train", p, block), benchDigest("test", p, block)
	trials, model, report := benchDigest("trials", p, block), benchDigest("model", p, block), benchDigest("report", p, block)
	const arrow, modelMedia, reportMedia = "application/vnd.apache.arrow.file", "application/vnd.pipe.model.v1+json", "application/vnd.pipe.report.v1+json"
	exec := func(step, kind, status string, used, produced []txlog.Artifact, deps ...txlog.Dependency) string {
		key := run + "-" + step
		facts = append(facts,
			txlog.Fact{ExecutionStarted: &txlog.ExecutionStarted{Execution: key, Run: run, Step: step, Kind: kind, KindVersion: "1",
				CacheKey: benchDigest("key"+step, p, block), Started: at, Config: json.RawMessage(`{"seed":7}`), Used: used, DependsOn: deps}},
			txlog.Fact{ExecutionEnded: &txlog.ExecutionEnded{Execution: key, Status: status, Ended: at, Outputs: json.RawMessage(`{"rows":1000}`), Produced: produced}})
		return key
	}
	exec("load.corpus", "load", status, []txlog.Artifact{art(file, "text/csv", KindFile, "path", fmt.Sprintf("data/p%03d.csv", p))},
		[]txlog.Artifact{art(train, arrow, "dataset", "train", ""), art(test, arrow, "dataset", "test", "")})
	search := exec("search.lr", "search", status, []txlog.Artifact{art(train, arrow, "dataset", "data", "")},
		[]txlog.Artifact{art(trials, "application/vnd.pipe.trials.v1+json", "trials", "trials", "")})
	exec("train.model", "train", status, []txlog.Artifact{art(train, arrow, "dataset", "data", "")},
		[]txlog.Artifact{art(model, modelMedia, "model", "model", "")}, txlog.Dependency{Execution: search, Name: "search.lr.best"})
	exec("evaluate.holdout", "evaluate", status, []txlog.Artifact{art(model, modelMedia, "model", "model", ""), art(test, arrow, "dataset", "data", "")},
		[]txlog.Artifact{art(report, reportMedia, "report", "report", "")})
	pub := exec("publish.release", "publish", ExecRan, []txlog.Artifact{art(model, modelMedia, "model", "model", ""), art(report, reportMedia, "report", "report", "")}, nil)
	exec("predict.batch", "predict", ExecRan, []txlog.Artifact{art(model, modelMedia, "model", "model", ""),
		art(benchDigest("new", p, r), "text/csv", KindFile, "path", fmt.Sprintf("incoming/p%03d/day-%03d.csv", p, r))},
		[]txlog.Artifact{art(benchDigest("predictions", p, r), "application/vnd.apache.parquet", "predictions", "predictions", "")})
	if fresh {
		versions[p]++
		v := versions[p]
		facts = append(facts,
			txlog.Fact{VersionCreated: &txlog.VersionCreated{Model: name, Version: v, ModelDigest: model, ReportDigest: report,
				EvalDataDigest: benchDigest("eval", p, 0), URI: fmt.Sprintf("gs://models/%s/v%d/", name, v),
				Metrics: map[string]float64{"accuracy": 0.8 + float64(v)/100, "f1": 0.8 + float64(v)/100, "roc_auc": 0.8 + float64(v)/100},
				Run:     run, Execution: pub, Created: at}},
			txlog.Fact{AliasMoved: &txlog.AliasMoved{Move: run + "-champion", Model: name, Alias: "champion", From: v - 1, To: v, At: at, Trigger: MoveByPublish, Run: run}})
	}
	return append(facts, txlog.Fact{RunEnded: &txlog.RunEnded{Run: run, Status: RunSucceeded, Ended: at}})
}
