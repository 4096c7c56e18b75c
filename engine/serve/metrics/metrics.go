package metrics

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/resources"
)

// Names are the names of the metrics serve exports (besides the Go and
// process collectors'), for the deployment's alerts and dashboards to
// check against.
var Names = []string{
	"pipe_runs_total",
	"pipe_run_duration_seconds",
	"pipe_step_duration_seconds",
	"pipe_cache_hits_total",
	"pipe_cache_misses_total",
	"pipe_last_success_timestamp_seconds",
	"pipe_run_in_progress",
	"pipe_pipeline_valid",
	"pipe_model_metric",
}

// Histogram buckets, in seconds: a cached step takes milliseconds, a
// search minutes, a nightly run up to hours.
var (
	stepBuckets = []float64{0.01, 0.05, 0.25, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200}
	runBuckets  = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800}
)

// Run statuses, triggers and step results that get a series from the
// start, so that increase() sees the first failure.
var (
	endStatuses = []string{registry.RunSucceeded, registry.RunFailed, registry.RunCancelled, registry.RunInterrupted}
	allTriggers = []string{registry.TriggerManual, registry.TriggerCI, registry.TriggerSchedule, registry.TriggerWatch}
	stepResults = []string{"ran", "cached", "failed"}
)

// Options configure Metrics.
type Options struct {
	// Resources give the registry the run and model metrics are read
	// from.
	Resources *resources.Resources
	// Applying reports whether an apply runs: serve's own, or another
	// process's holding the state lock.
	Applying func() bool
	Log      *slog.Logger
}

// Metrics are serve's Prometheus metrics on a private registry.
type Metrics struct {
	opts Options
	reg  *prometheus.Registry

	runs         *prometheus.CounterVec
	runDuration  *prometheus.HistogramVec
	stepDuration *prometheus.HistogramVec
	hits, misses *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec

	mu sync.Mutex // serialises sync
	// seen are the ended runs counted; open the running ones seen, whose
	// end is still to count.
	seen, open map[int64]bool
	backfilled bool
	lastOK     map[string]time.Time
	models     []modelMetric
	validName  string
	valid      bool
	loaded     bool
}

type modelMetric struct {
	model, alias, version, metric string
	value                         float64
}

var (
	inProgressDesc = prometheus.NewDesc("pipe_run_in_progress",
		"1 while an apply of the pipeline runs: serve's own, or another holding the state lock.", []string{"pipeline"}, nil)
	validDesc = prometheus.NewDesc("pipe_pipeline_valid",
		"1 when the pipeline's files loaded without errors the last time serve read them, else 0.", []string{"pipeline"}, nil)
	modelDesc = prometheus.NewDesc("pipe_model_metric",
		"A metric of the model version an alias points at, as the registry recorded it when the version was published.",
		[]string{"model", "alias", "version", "metric"}, nil)
)

// New makes the metrics. Run metrics are counted from the registry on
// the first Sync, which counts every run already recorded once.
func New(opts Options) *Metrics {
	m := &Metrics{
		opts: opts,
		reg:  prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipe_runs_total",
			Help: "Runs that ended, from the registry (serve's, the CronJob's and by hand), by pipeline, status and trigger.",
		}, []string{"pipeline", "status", "trigger"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pipe_run_duration_seconds",
			Help:    "How long runs took, from start to end, by pipeline and status.",
			Buckets: runBuckets,
		}, []string{"pipeline", "status"}),
		stepDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pipe_step_duration_seconds",
			Help:    "How long step executions took, by pipeline, step kind and result (ran, cached or failed).",
			Buckets: stepBuckets,
		}, []string{"pipeline", "kind", "result"}),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipe_cache_hits_total",
			Help: "Step executions served from the cache, by pipeline and step kind.",
		}, []string{"pipeline", "kind"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipe_cache_misses_total",
			Help: "Step executions that had to run (and succeeded or failed), by pipeline and step kind.",
		}, []string{"pipeline", "kind"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pipe_last_success_timestamp_seconds",
			Help: "When the last successful run of the pipeline ended, in seconds since the Unix epoch.",
		}, []string{"pipeline"}),
		seen:   map[int64]bool{},
		open:   map[int64]bool{},
		lastOK: map[string]time.Time{},
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.runs, m.runDuration, m.stepDuration, m.hits, m.misses, m.lastSuccess,
		liveCollector{m},
	)
	return m
}

// Handler serves /metrics, bringing the registry's numbers up to date
// first.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{m.opts.Log}})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 8*time.Second)
		defer cancel()
		m.Sync(ctx)
		h.ServeHTTP(w, r)
	})
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics", "error", v) }

// SetValid records whether the last load had errors.
func (m *Metrics) SetValid(name string, valid bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.validName, m.valid, m.loaded = name, valid, true
}

// EnsureSeries creates the run, duration and cache series of a pipeline
// at zero, so that the first failure, hit or duration is an increase:
// Prometheus's increase() needs a sample from before it, and a series
// born with the run in it would show nothing on a dashboard until the
// next one.
func (m *Metrics) EnsureSeries(name string, cfg *config.Config) {
	for _, st := range endStatuses {
		for _, tr := range allTriggers {
			m.runs.WithLabelValues(name, st, tr)
		}
		m.runDuration.WithLabelValues(name, st)
	}
	kinds := map[string]bool{}
	for _, s := range cfg.Steps {
		kinds[s.Kind.Name()] = true
	}
	for k := range kinds {
		m.hits.WithLabelValues(name, k)
		m.misses.WithLabelValues(name, k)
		for _, res := range stepResults {
			m.stepDuration.WithLabelValues(name, k, res)
		}
	}
}

// Sync counts the runs that ended since the last sync and reads the
// aliased models' metrics. Errors are logged: a scrape still gets what is
// known.
func (m *Metrics) Sync(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.opts.Resources.WithRegistry(ctx, func(db *registry.DB) error {
		if err := m.syncRuns(ctx, db); err != nil {
			return err
		}
		return m.syncModels(ctx, db)
	})
	if err != nil && err != resources.ErrNotLoaded {
		m.opts.Log.Warn("reading metrics from the registry", "error", err)
	}
}

// syncWindow is how many of the newest runs a sync reads; more are read
// only when all of them are new.
const syncWindow = 200

func (m *Metrics) syncRuns(ctx context.Context, db *registry.DB) error {
	limit := syncWindow
	if !m.backfilled {
		limit = 0
	}
	runs, err := db.Runs(ctx, registry.RunFilter{Limit: limit})
	if err != nil {
		return err
	}
	if limit > 0 && len(runs) == limit && !m.seen[runs[len(runs)-1].ID] && !m.open[runs[len(runs)-1].ID] {
		if runs, err = db.Runs(ctx, registry.RunFilter{}); err != nil {
			return err
		}
	}
	inWindow := map[int64]bool{}
	for i := len(runs) - 1; i >= 0; i-- { // oldest first
		r := runs[i]
		inWindow[r.ID] = true
		if err := m.observe(ctx, db, r); err != nil {
			return err
		}
	}
	for id := range m.open {
		if inWindow[id] {
			continue
		}
		d, err := db.Run(ctx, id)
		if err != nil {
			return err
		}
		if err := m.observe(ctx, db, d.Run); err != nil {
			return err
		}
	}
	m.backfilled = true
	return nil
}

// observe counts r once it has ended.
func (m *Metrics) observe(ctx context.Context, db *registry.DB, r registry.Run) error {
	if m.seen[r.ID] {
		return nil
	}
	if r.Status == registry.RunRunning {
		m.open[r.ID] = true
		return nil
	}
	d, err := db.Run(ctx, r.ID)
	if err != nil {
		return err
	}
	delete(m.open, r.ID)
	m.seen[r.ID] = true
	m.runs.WithLabelValues(r.Pipeline, r.Status, r.Trigger).Inc()
	if !r.Ended.IsZero() && !r.Started.IsZero() {
		m.runDuration.WithLabelValues(r.Pipeline, r.Status).Observe(r.Ended.Sub(r.Started).Seconds())
	}
	if r.Status == registry.RunSucceeded && r.Ended.After(m.lastOK[r.Pipeline]) {
		m.lastOK[r.Pipeline] = r.Ended
		m.lastSuccess.WithLabelValues(r.Pipeline).Set(float64(r.Ended.UnixMilli()) / 1000)
	}
	for _, e := range d.Executions {
		var result string
		switch e.Status {
		case registry.ExecRan:
			result = "ran"
			m.misses.WithLabelValues(r.Pipeline, e.Kind).Inc()
		case registry.ExecFailed:
			result = "failed"
			m.misses.WithLabelValues(r.Pipeline, e.Kind).Inc()
		case registry.ExecCached:
			result = "cached"
			m.hits.WithLabelValues(r.Pipeline, e.Kind).Inc()
		default:
			continue // skipped, cancelled, interrupted: nothing ran to the end
		}
		if !e.Ended.IsZero() && !e.Started.IsZero() {
			m.stepDuration.WithLabelValues(r.Pipeline, e.Kind, result).Observe(max(e.Ended.Sub(e.Started).Seconds(), 0))
		}
	}
	return nil
}

// syncModels reads the metrics of every aliased model version.
func (m *Metrics) syncModels(ctx context.Context, db *registry.DB) error {
	models, err := db.Models(ctx)
	if err != nil {
		return err
	}
	var out []modelMetric
	for _, sum := range models {
		if len(sum.Aliases) == 0 {
			continue
		}
		d, err := db.Model(ctx, sum.Name)
		if err != nil {
			return err
		}
		for _, a := range d.Aliases {
			i := slices.IndexFunc(d.Versions, func(v registry.ModelVersion) bool { return v.Version == a.Version })
			if i < 0 {
				continue
			}
			v := d.Versions[i]
			for _, name := range slices.Sorted(maps.Keys(v.Metrics)) {
				out = append(out, modelMetric{model: sum.Name, alias: a.Name, version: strconv.Itoa(v.Version), metric: name, value: v.Metrics[name]})
			}
		}
	}
	m.models = out
	return nil
}

// liveCollector reports what is read at scrape time: validity, whether an
// apply runs, the models' metrics.
type liveCollector struct{ m *Metrics }

func (c liveCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- inProgressDesc
	ch <- validDesc
	ch <- modelDesc
}

func (c liveCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	m.mu.Lock()
	name, valid, loaded := m.validName, m.valid, m.loaded
	models := m.models
	m.mu.Unlock()
	if !loaded {
		return
	}
	ch <- prometheus.MustNewConstMetric(validDesc, prometheus.GaugeValue, b2f(valid), name)
	ch <- prometheus.MustNewConstMetric(inProgressDesc, prometheus.GaugeValue, b2f(m.opts.Applying()), name)
	for _, mm := range models {
		ch <- prometheus.MustNewConstMetric(modelDesc, prometheus.GaugeValue, mm.value, mm.model, mm.alias, mm.version, mm.metric)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
