package deploy

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"
)

// The dashboard and the ServiceMonitor against the real thing: pipe serve
// (the binary, on loopback) over the repository's pipeline after a real
// apply, scraped by a real Prometheus with the ServiceMonitor's settings.

var (
	pipeBinOnce sync.Once
	pipeBinPath string
	pipeBinErr  error
)

// pipeBinary builds cmd/pipe once for the package's tests.
func pipeBinary(t *testing.T) string {
	t.Helper()
	pipeBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pipe-deploy-bin-")
		if err != nil {
			pipeBinErr = err
			return
		}
		variantDirs.Store(dir, true) // removed by TestMain
		pipeBinPath = filepath.Join(dir, "pipe")
		cmd := exec.Command("go", "build", "-o", pipeBinPath, "./cmd/pipe")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			pipeBinErr = fmt.Errorf("go build ./cmd/pipe: %v\n%s", err, out)
		}
	})
	if pipeBinErr != nil {
		t.Fatal(pipeBinErr)
	}
	return pipeBinPath
}

// servedPipe is pipe serve on loopback over pipelines/, started with the
// Deployment's arguments.
type servedPipe struct {
	bin, addr, pipelines string
	env                  []string
}

// startServe starts pipe serve as the Deployment runs it (its arguments,
// with -addr=addr and the repository's pipelines/ for the
// ConfigMap mount), on generated data, with its store, state and outputs
// in a temporary folder. It adds -watch=false: the test applies by hand,
// as the nightly CronJob does, when Prometheus has seen serve once.
func startServe(t *testing.T, addr string) *servedPipe {
	t.Helper()
	bin := pipeBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	gendata(t, filepath.Join(data, "corpus.parquet"), 1500, 1)
	s := &servedPipe{bin: bin, addr: addr, pipelines: filepath.Join(repoRoot, "pipelines")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIPE_") {
			s.env = append(s.env, kv)
		}
	}
	s.env = append(s.env,
		"PIPE_STORE=file://"+filepath.Join(dir, "store"),
		"PIPE_STATE_DIR="+filepath.Join(dir, "state"),
		"PIPE_VAR_data_dir="+data,
		"PIPE_VAR_models="+filepath.Join(dir, "models/privacy-intent"),
		"PIPE_VAR_predictions="+filepath.Join(dir, "out/predictions.parquet"),
		// As the Deployment allows its data, models and predictions
		// folders outside the pipeline's.
		"PIPE_ALLOWED_PATHS="+dir)

	in := indexInstall(t, renderObjects(t, filepath.Join(repoRoot, "deploy/overlays/prod")))
	deployed := in.workloads()[0].pipeContainer(t).Args
	var args []string
	for _, a := range deployed[:len(deployed)-1] {
		if strings.HasPrefix(a, "-addr=") {
			a = "-addr=" + s.addr
		}
		args = append(args, a)
	}
	args = append(args, "-watch=false", s.pipelines)
	cmd := exec.Command(bin, args...)
	cmd.Env = s.env
	startProcess(t, cmd, filepath.Join(dir, "serve.log"), 30*time.Second, "pipe "+strings.Join(args, " "))
	eventually(t, time.Minute, "serve ready", func() (bool, string) {
		code, body, err := get(context.Background(), s.base()+"/readyz")
		return err == nil && code == http.StatusOK, fmt.Sprintf("%d %v %s", code, err, body)
	})
	return s
}

func (s *servedPipe) base() string { return "http://" + s.addr }

// apply runs pipe apply on serve's pipeline, state and store, as another
// process (the CronJob's) would.
func (s *servedPipe) apply(t *testing.T) {
	t.Helper()
	cmd := exec.Command(s.bin, "apply", "-trigger=schedule", s.pipelines)
	cmd.Env = s.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pipe apply: %v\n%s", err, out)
	}
}

// families scrapes serve's /metrics and parses it as Prometheus does.
func (s *servedPipe) families(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(s.base() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("serve's /metrics does not parse: %v", err)
	}
	return fams
}

// monitorTarget is the target labels the Prometheus Operator gives a
// ServiceMonitor's endpoint, for the installation's serve pod.
type monitorTarget struct {
	job    string
	labels map[string]string
}

// monitorScrape is the scrape configuration the Prometheus Operator makes
// of deploy/monitoring's ServiceMonitor, for serve at addr: the job named
// serviceMonitor/NAMESPACE/NAME/0, the endpoint's path, interval, timeout,
// scheme, honorLabels, relabelings and metricRelabelings, and the target
// labels kubernetes_sd and the Operator's own relabeling give the pod
// (namespace, service, pod, container, endpoint, job). Port names resolve
// to addr: the cluster tests check the Service and Deployment behind them.
func monitorScrape(t *testing.T, addr string) (string, monitorTarget) {
	t.Helper()
	mon := renderMonitoring(t).monitor
	in := indexInstall(t, renderObjects(t, filepath.Join(repoRoot, "deploy/overlays/prod")))
	if len(mon.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor has %d endpoints, want 1", len(mon.Spec.Endpoints))
	}
	ep := mon.Spec.Endpoints[0]
	job := in.service.Name
	if mon.Spec.JobLabel != "" {
		job = in.service.Labels[mon.Spec.JobLabel]
	}
	target := monitorTarget{job: job, labels: map[string]string{
		"namespace": mon.Metadata.Namespace,
		"service":   in.service.Name,
		"pod":       in.deployment.Name + "-0",
		"container": in.workloads()[0].pipeContainer(t).Name,
		"endpoint":  ep.Port,
	}}
	scheme := ep.Scheme
	if scheme == "" {
		scheme = "http"
	}
	relabel := []map[string]any{{"target_label": "job", "replacement": job}}
	relabel = append(relabel, relabelConfigs(ep.Relabelings)...)
	cfg := map[string]any{
		"job_name":        fmt.Sprintf("serviceMonitor/%s/%s/0", mon.Metadata.Namespace, mon.Metadata.Name),
		"honor_labels":    ep.HonorLabels,
		"scrape_interval": ep.Interval,
		"scrape_timeout":  ep.ScrapeTimeout,
		"metrics_path":    ep.Path,
		"scheme":          scheme,
		"static_configs":  []any{map[string]any{"targets": []string{addr}, "labels": target.labels}},
		"relabel_configs": relabel,
	}
	if m := relabelConfigs(ep.MetricRelabelings); len(m) > 0 {
		cfg["metric_relabel_configs"] = m
	}
	out, err := yaml.Marshal([]any{cfg})
	if err != nil {
		t.Fatal(err)
	}
	return "  " + strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "\n  ") + "\n", target
}

// relabelConfigs turns the Operator's RelabelConfigs (sourceLabels,
// targetLabel...) into Prometheus's (source_labels, target_label...).
func relabelConfigs(in []map[string]any) []map[string]any {
	var out []map[string]any
	for _, rc := range in {
		m := make(map[string]any)
		for k, v := range rc {
			m[snake(k)] = v
		}
		out = append(out, m)
	}
	return out
}

var upper = regexp.MustCompile(`[A-Z]`)

func snake(s string) string {
	return upper.ReplaceAllStringFunc(s, func(u string) string { return "_" + strings.ToLower(u) })
}

// TestMonitoringOnServe: pipe serve after a real apply, scraped by a real
// Prometheus configured as the Operator would configure it from the
// ServiceMonitor (30 s interval: the test takes a minute or two). Every
// metric the dashboard and the alerts name is in serve's /metrics with the
// labels and label values they match on; the target labels reach every
// series without clashing with serve's own; and every panel's query
// answers with data, for the pipeline variable's All and for the pipeline
// itself.
func TestMonitoringOnServe(t *testing.T) {
	if testing.Short() && os.Getenv("PIPE_REQUIRE_PROMETHEUS") != "1" {
		t.Skip("runs pipe serve, an apply and Prometheus for a minute or two; skipped with -short")
	}
	prometheusTool(t, "prometheus")
	t.Parallel()
	// Prometheus first, so that its first scrapes come while serve is
	// being built and started.
	addr := freeAddr(t)
	scrape, target := monitorScrape(t, addr)
	prom := startPrometheus(t, scrape)
	s := startServe(t, addr)
	// The first scrape sees the run counters at zero, as a Prometheus
	// that scrapes serve all day does before the nightly run.
	prom.waitScraped(t, `pipe_runs_total`)
	s.apply(t)
	prom.waitScraped(t, `pipe_runs_total{status="succeeded"} > 0`)

	d, _ := readDashboard(t)
	t.Run("Exported", func(t *testing.T) { checkExported(t, s.families(t), d) })
	t.Run("TargetLabels", func(t *testing.T) { checkTargetLabels(t, prom, target) })
	t.Run("Panels", func(t *testing.T) { checkPanels(t, prom, d) })
}

// sampleValues returns the values of one series of a query's answer.
func sampleValues(s sample) ([]float64, error) {
	pairs := s.Values
	if s.Value != nil {
		pairs = append(pairs, s.Value)
	}
	var vals []float64
	for _, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("sample %v is not [time, value]", p)
		}
		str, _ := p[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// checkExported checks the contract of contractMetrics and every query of
// the dashboard and the alerts against serve's real /metrics.
func checkExported(t *testing.T, fams map[string]*dto.MetricFamily, d dashboard) {
	for name, want := range contractMetrics {
		f, ok := fams[name]
		if !ok {
			t.Errorf("serve does not export %s", name)
			continue
		}
		if got := strings.ToLower(f.GetType().String()); got != want.kind {
			t.Errorf("%s is a %s, the contract says %s", name, got, want.kind)
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName())
			}
			if !sameSet(labels, want.labels) {
				t.Errorf("%s has labels %v, the contract says %v", name, labels, want.labels)
				break
			}
		}
	}
	for name := range fams {
		if _, ok := contractMetrics[name]; strings.HasPrefix(name, "pipe_") && !ok {
			t.Errorf("serve exports %s, which contractMetrics lacks", name)
		}
	}
	for _, q := range monitoringQueries(t, d) {
		checkQueryExported(t, fams, q[0], q[1])
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// monitoringQueries returns every query of the dashboard and the alerts,
// each as [where, expr].
func monitoringQueries(t *testing.T, d dashboard) [][2]string {
	var qs [][2]string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			qs = append(qs, [2]string{fmt.Sprintf("panel %q, query %s", p.Title, tg.RefID), tg.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if m := labelValues.FindStringSubmatch(v.Query); m != nil {
			qs = append(qs, [2]string{"variable " + v.Name, m[1] + `{` + m[2] + `!=""}`})
		}
	}
	for _, g := range renderMonitoring(t).rule.Spec.Groups {
		for _, r := range g.Rules {
			qs = append(qs, [2]string{"alert " + r.Alert, r.Expr})
		}
	}
	return qs
}

// equalMatcher finds label="value" matchers.
var equalMatcher = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"$]*)"`)

// checkQueryExported checks that every metric expr names is in fams (a
// histogram's _bucket, _sum and _count included), and that some series of
// it has each label and each label="value" the query matches on.
func checkQueryExported(t *testing.T, fams map[string]*dto.MetricFamily, where, expr string) {
	t.Helper()
	names, err := metricNames(expr)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	var series []*dto.Metric
	for _, n := range names {
		f, ok := fams[n]
		if !ok {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, cut := strings.CutSuffix(n, suffix); cut && fams[base].GetType() == dto.MetricType_HISTOGRAM {
					f, ok = fams[base], true
				}
			}
		}
		if !ok {
			t.Errorf("%s: serve does not export %s (%s)", where, n, expr)
			continue
		}
		if len(f.GetMetric()) == 0 {
			t.Errorf("%s: serve exports %s with no series after an apply", where, n)
		}
		series = append(series, f.GetMetric()...)
	}
	has := func(label, value string) bool {
		for _, m := range series {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && (value == "" || l.GetValue() == value) {
					return true
				}
			}
		}
		return false
	}
	for _, l := range labelsUsed(expr) {
		if !has(l, "") {
			t.Errorf("%s: no series of %v has the label %s", where, names, l)
		}
	}
	for _, m := range equalMatcher.FindAllStringSubmatch(expr, -1) {
		if m[2] != "" && !has(m[1], m[2]) {
			t.Errorf("%s: no series of %v has %s=%q after an apply", where, names, m[1], m[2])
		}
	}
}

// checkTargetLabels checks that serve's series carry the ServiceMonitor's
// target labels and that none of serve's own labels clashed with them
// (Prometheus would rename it exported_NAME, and the queries would miss).
func checkTargetLabels(t *testing.T, prom *prometheus, target monitorTarget) {
	res, err := prom.query("/api/v1/query", url.Values{"query": {`{__name__=~"pipe_.+"}`}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 {
		t.Fatal("Prometheus has no pipe_ series")
	}
	for _, s := range res {
		if s.Metric["job"] != target.job {
			t.Errorf("%v: job %q, want %q", s.Metric, s.Metric["job"], target.job)
		}
		for k, v := range target.labels {
			if s.Metric[k] != v {
				t.Errorf("%v: %s=%q, want %q", s.Metric, k, s.Metric[k], v)
			}
		}
		for k := range s.Metric {
			if strings.HasPrefix(k, "exported_") {
				t.Errorf("%v: serve's label %s clashes with a target label", s.Metric, strings.TrimPrefix(k, "exported_"))
			}
		}
	}
}

// checkPanels runs every panel's queries as Grafana would, with the
// pipeline variable's values, and wants data from each: a finite value
// (NaN is what Grafana shows as no data).
func checkPanels(t *testing.T, prom *prometheus, d dashboard) {
	pipelines := panelVariable(t, prom, d)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, value := range pipelines {
				expr := strings.ReplaceAll(tg.Expr, "$pipeline", value)
				where := fmt.Sprintf("panel %q query %s (pipeline %s)", p.Title, tg.RefID, value)
				if strings.Contains(expr, "$") {
					t.Errorf("%s: %q uses a variable the test does not know", where, expr)
					continue
				}
				params := url.Values{"query": {expr}}
				path := "/api/v1/query"
				if !tg.Instant {
					// Grafana's last five minutes, ending now (to the
					// millisecond: the last scrape may be this second's).
					end := float64(time.Now().UnixMilli()) / 1000
					path = "/api/v1/query_range"
					params.Set("start", strconv.FormatFloat(end-300, 'f', 3, 64))
					params.Set("end", strconv.FormatFloat(end, 'f', 3, 64))
					params.Set("step", "15")
				}
				res, err := prom.query(path, params)
				if err != nil {
					t.Errorf("%s: %s: %v", where, expr, err)
					continue
				}
				if !hasFinite(res) {
					t.Errorf("%s: no data after an apply: %s answers %v", where, expr, res)
				}
			}
		}
	}
}

// panelVariable returns the values the test gives $pipeline: the
// variable's All value and each value its query lists, formatted as
// Grafana formats a multi-value variable for Prometheus (a regex).
func panelVariable(t *testing.T, prom *prometheus, d dashboard) []string {
	t.Helper()
	for _, v := range d.Templating.List {
		if v.Name != "pipeline" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Query)
		if m == nil {
			t.Fatalf("pipeline variable's query %q is not label_values(METRIC, LABEL)", v.Query)
		}
		res, err := prom.query("/api/v1/query", url.Values{"query": {m[1]}})
		if err != nil {
			t.Fatal(err)
		}
		values := []string{v.AllValue}
		for _, s := range res {
			values = append(values, regexp.QuoteMeta(s.Metric[m[2]]))
		}
		if !slices.Contains(values, "privacy-intent") {
			t.Fatalf("the pipeline variable (%s) does not list privacy-intent: %v", v.Query, values)
		}
		return values
	}
	t.Fatal("no pipeline variable")
	return nil
}

func hasFinite(res []sample) bool {
	for _, s := range res {
		vals, err := sampleValues(s)
		if err != nil {
			return false
		}
		for _, v := range vals {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				return true
			}
		}
	}
	return false
}
