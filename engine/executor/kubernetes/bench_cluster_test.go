package kubernetes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pipe-ml/pipe/engine/executor"
)

// The benchmarks measure the kubernetes executor on the test cluster
// (one node, this machine's cores), with the coordinator's clock, the
// node's (the same machine's) log timestamps and a watch of the Jobs:
//
//	go test -run '^$' -bench Cluster -benchtime 5x ./engine/executor/kubernetes/
//
// with the cluster up (deploy/k8stest/cluster/up.sh). docs/deployment.md
// ("When it pays off") holds the numbers.

// timedEvent is an event of pipe apply -json with its time.
type timedEvent struct {
	event
	Time time.Time `json:"time"`
}

// completions records when a watch saw each Job complete.
type completions struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// watchCompletions watches the Jobs of ns until ctx ends.
func watchCompletions(ctx context.Context, b *testing.B, r *remote) *completions {
	b.Helper()
	c := &completions{seen: make(map[string]time.Time)}
	w, err := r.c.Client.BatchV1().Jobs(r.ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			j, ok := ev.Object.(*batchv1.Job)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			for _, cond := range j.Status.Conditions {
				if cond.Type == batchv1.JobComplete && cond.Status == corev1.ConditionTrue {
					c.mu.Lock()
					if _, ok := c.seen[j.Name]; !ok {
						c.seen[j.Name] = time.Now()
					}
					c.mu.Unlock()
				}
			}
		}
	}()
	return c
}

func (c *completions) of(job string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.seen[job]
	return t, ok
}

// timedEvents decodes an apply's -json events with their times.
func timedEvents(stdout string) []timedEvent {
	var evs []timedEvent
	for _, l := range strings.Split(stdout, "\n") {
		var e timedEvent
		if json.Unmarshal([]byte(l), &e) == nil && e.Type != "" {
			evs = append(evs, e)
		}
	}
	return evs
}

// phases are the parts of one remote step's life, in order.
type phases struct {
	create  time.Duration // step started → Job created: the coordinator's document, checks and create call
	start   time.Duration // Job created → the worker's first log line: the pod start itself (controller, scheduler, kubelet, pipe's start)
	work    time.Duration // first → last log line: the step
	podEnd  time.Duration // last log line → the Job seen complete: the process's exit, the kubelet's status, the job controller
	collect time.Duration // Job seen complete → step finished: the coordinator noticing, reading the outputs, recording
}

// measure reads the phases of step from an apply's events.
func measure(evs []timedEvent, step, job string, complete time.Time) (phases, error) {
	var started, created, first, last, finished time.Time
	for _, e := range evs {
		if e.Step != step {
			continue
		}
		switch {
		case e.Type == "step_started":
			started = e.Time
		case e.Type == "step_log" && strings.Contains(e.Line, "created Job"):
			created = e.Time
		case e.Type == "step_log" && strings.HasPrefix(e.Where, "pod/"):
			if first.IsZero() || e.Time.Before(first) {
				first = e.Time
			}
			if e.Time.After(last) {
				last = e.Time
			}
		case e.Type == "step_finished":
			finished = e.Time
		}
	}
	for name, t := range map[string]time.Time{"step_started": started, "created Job": created, "a log line": first, "step_finished": finished, "Job complete": complete} {
		if t.IsZero() {
			return phases{}, fmt.Errorf("no %s for %s (Job %s)", name, step, job)
		}
	}
	return phases{
		create: created.Sub(started), start: first.Sub(created), work: last.Sub(first),
		podEnd: complete.Sub(last), collect: finished.Sub(complete),
	}, nil
}

// BenchmarkClusterRemoteStep runs a one-step pipeline whose step does
// almost nothing as a Job, b.N times (a new input each time, so it runs),
// and reports each phase's mean: the coordinator's overhead is create +
// collect; start is the pod start itself.
func BenchmarkClusterRemoteStep(b *testing.B) {
	r := newRemote(b, "slow", 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := watchCompletions(ctx, b, r)
	var sum phases
	for i := 0; i < b.N; i++ {
		if err := os.WriteFile(filepath.Join(r.dir, "input.txt"), []byte("iteration "+strconv.Itoa(i)+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		res := r.mustApply(b, "bench", "bench", executor.KubernetesName, "-var=sleep=0s")
		evs := timedEvents(res.Stdout)
		job := jobOf(evs, "transform.slow")
		complete, ok := done.of(job)
		if !ok {
			b.Fatalf("the watch did not see Job %s complete", job)
		}
		p, err := measure(evs, "transform.slow", job, complete)
		if err != nil {
			b.Fatal(err)
		}
		sum.create += p.create
		sum.start += p.start
		sum.work += p.work
		sum.podEnd += p.podEnd
		sum.collect += p.collect
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) / n }
	b.ReportMetric(ms(sum.create), "create-ms")
	b.ReportMetric(ms(sum.start), "podstart-ms")
	b.ReportMetric(ms(sum.work), "work-ms")
	b.ReportMetric(ms(sum.podEnd), "podend-ms")
	b.ReportMetric(ms(sum.collect), "collect-ms")
	b.ReportMetric(ms(sum.create+sum.collect), "overhead-ms")
}

// jobOf is the Job a step's events name ("created Job NS/NAME").
func jobOf(evs []timedEvent, step string) string {
	for _, e := range evs {
		if e.Step == step && e.Type == "step_log" {
			if _, rest, ok := strings.Cut(e.Line, "created Job "); ok {
				_, name, _ := strings.Cut(rest, "/")
				return strings.Fields(name)[0]
			}
		}
	}
	return ""
}

// BenchmarkClusterShardedSearch times a search split into 64 shards, one
// Indexed Job of 64 pods, against the same search in one process, and
// reports the assembly's share of the sharded search's wall time.
// PIPE_BENCH_ROWS sets the rows (default 5000).
func BenchmarkClusterShardedSearch(b *testing.B) {
	rows := 5000
	if s := os.Getenv("PIPE_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	r := newRemoteData(b, "wide", rows, 584)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := watchCompletions(ctx, b, r)
	var local, remote, assembly time.Duration
	for i := 0; i < b.N; i++ {
		prefix := fmt.Sprintf("bench-%d", i)
		l := r.mustApply(b, prefix+"-local", prefix+"-local", executor.LocalName)
		local += stepTime(b, timedEvents(l.Stdout), "search.lr")
		res := r.mustApply(b, prefix+"-remote", prefix+"-remote", executor.KubernetesName, "-var=shards=64")
		evs := timedEvents(res.Stdout)
		remote += stepTime(b, evs, "search.lr")
		job := jobOf(evs, "search.lr")
		complete, ok := done.of(job)
		if !ok {
			b.Fatalf("the watch did not see Job %s complete", job)
		}
		assembly += finishedAt(b, evs, "search.lr").Sub(complete)
		// The next iteration's search must run again: a new Job.
		if err := r.c.Client.BatchV1().Jobs(r.ns).Delete(ctx, job, metav1.DeleteOptions{PropagationPolicy: ptrTo(metav1.DeletePropagationForeground)}); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(local.Seconds()/n, "local-s")
	b.ReportMetric(remote.Seconds()/n, "sharded-s")
	b.ReportMetric(float64(assembly.Milliseconds())/n, "assembly-ms")
	b.ReportMetric(100*assembly.Seconds()/remote.Seconds(), "assembly-%")
}

// stepTime is a step's time from step_started to step_finished.
func stepTime(b *testing.B, evs []timedEvent, step string) time.Duration {
	var started time.Time
	for _, e := range evs {
		if e.Step == step && e.Type == "step_started" {
			started = e.Time
		}
	}
	return finishedAt(b, evs, step).Sub(started)
}

func finishedAt(b *testing.B, evs []timedEvent, step string) time.Time {
	for _, e := range evs {
		if e.Step == step && e.Type == "step_finished" {
			if e.Status != "ran" {
				b.Fatalf("%s %s: %s", step, e.Status, e.Error)
			}
			return e.Time
		}
	}
	b.Fatalf("no step_finished for %s", step)
	return time.Time{}
}

func ptrTo[T any](v T) *T { return &v }
