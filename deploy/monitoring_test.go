package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// metric is one metric pipe serve exports (the contract serve is built
// against); alerts and dashboards may use these and nothing else.
type metric struct {
	kind   string // counter, gauge, histogram
	labels []string
}

var contractMetrics = map[string]metric{
	"pipe_runs_total":                     {"counter", []string{"pipeline", "status", "trigger"}},
	"pipe_run_duration_seconds":           {"histogram", []string{"pipeline", "status"}},
	"pipe_step_duration_seconds":          {"histogram", []string{"pipeline", "kind", "result"}},
	"pipe_cache_hits_total":               {"counter", []string{"pipeline", "kind"}},
	"pipe_cache_misses_total":             {"counter", []string{"pipeline", "kind"}},
	"pipe_last_success_timestamp_seconds": {"gauge", []string{"pipeline"}},
	"pipe_run_in_progress":                {"gauge", []string{"pipeline"}},
	"pipe_pipeline_valid":                 {"gauge", []string{"pipeline"}},
	"pipe_model_metric":                   {"gauge", []string{"model", "alias", "version", "metric"}},
}

// contractSeries maps every series name Prometheus stores for the
// contract's metrics (a histogram adds _bucket, _sum and _count) to its
// metric.
func contractSeries() map[string]string {
	series := make(map[string]string)
	for name, m := range contractMetrics {
		if m.kind == "histogram" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				series[name+suffix] = name
			}
			continue
		}
		series[name] = name
	}
	return series
}

// promqlWords are PromQL's keywords and aggregation operators: identifiers
// that are not metric names.
var promqlWords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "stddev": true, "stdvar": true,
	"topk": true, "bottomk": true, "quantile": true, "count_values": true, "group": true,
	"limitk": true, "limit_ratio": true, "inf": true, "nan": true,
}

// groupingWords take a parenthesised list of label names.
var groupingWords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// metricNames returns the metric names a PromQL expression selects, in
// order of appearance. It is a lexer, not a parser: it skips strings, label
// matchers ({...}), ranges ([...]), numbers, durations, Grafana variables,
// function names and the label lists of by, without, on and ignoring.
func metricNames(expr string) ([]string, error) {
	var names []string
	depth := map[byte]int{}
	i := 0
	skipTo := func(open, close byte) error {
		n := 0
		for ; i < len(expr); i++ {
			switch expr[i] {
			case '"', '\'', '`':
				q := expr[i]
				for i++; i < len(expr) && expr[i] != q; i++ {
					if expr[i] == '\\' {
						i++
					}
				}
			case open:
				n++
			case close:
				n--
				if n == 0 {
					i++
					return nil
				}
			}
		}
		return fmt.Errorf("unclosed %q in %q", open, expr)
	}
	isIdentStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isIdent := func(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == '{':
			if err := skipTo('{', '}'); err != nil {
				return nil, err
			}
		case c == '[':
			if err := skipTo('[', ']'); err != nil {
				return nil, err
			}
		case c == '"' || c == '\'' || c == '`':
			for i++; i < len(expr) && expr[i] != c; i++ {
				if expr[i] == '\\' {
					i++
				}
			}
			if i >= len(expr) {
				return nil, fmt.Errorf("unclosed string in %q", expr)
			}
			i++
		case c == '}' || c == ']':
			return nil, fmt.Errorf("unbalanced %q in %q", c, expr)
		case c == '(':
			depth['(']++
			i++
		case c == ')':
			depth['(']--
			if depth['('] < 0 {
				return nil, fmt.Errorf("unbalanced ')' in %q", expr)
			}
			i++
		case c == '$':
			for i++; i < len(expr) && (isIdent(expr[i]) || expr[i] == '{' || expr[i] == '}'); i++ {
			}
		case c >= '0' && c <= '9' || c == '.':
			for i++; i < len(expr) && (isIdent(expr[i]) || expr[i] == '.'); i++ {
			}
		case isIdentStart(c):
			start := i
			for i < len(expr) && isIdent(expr[i]) {
				i++
			}
			word := expr[start:i]
			j := i
			for j < len(expr) && (expr[j] == ' ' || expr[j] == '\n' || expr[j] == '\t') {
				j++
			}
			followedByParen := j < len(expr) && expr[j] == '('
			switch {
			case groupingWords[word] && followedByParen:
				i = j
				if err := skipTo('(', ')'); err != nil {
					return nil, err
				}
			case promqlWords[word], followedByParen:
				// a keyword, an aggregation or a function call
			default:
				names = append(names, word)
			}
		default:
			i++
		}
	}
	if depth['('] != 0 {
		return nil, fmt.Errorf("unbalanced parentheses in %q", expr)
	}
	return names, nil
}

func TestMetricNames(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`sum by (pipeline, trigger) (increase(pipe_runs_total{status="failed"}[1h])) > 0`, []string{"pipe_runs_total"}},
		{`time() - max by (pipeline) (pipe_last_success_timestamp_seconds) > 26 * 3600`, []string{"pipe_last_success_timestamp_seconds"}},
		{`histogram_quantile(0.95, sum by (le, kind) (rate(pipe_step_duration_seconds_bucket{pipeline=~"$pipeline"}[$__rate_interval])))`, []string{"pipe_step_duration_seconds_bucket"}},
		{`a / on (job) group_left (le) b offset 1h`, []string{"a", "b"}},
		{`up{job="x}"} == bool 1 unless absent(foo)`, []string{"up", "foo"}},
		{`sum(x) without (instance)`, []string{"x"}},
	}
	for _, tc := range cases {
		got, err := metricNames(tc.expr)
		if err != nil {
			t.Errorf("metricNames(%q): %v", tc.expr, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("metricNames(%q) (-want +got):\n%s", tc.expr, diff)
		}
	}
	for _, bad := range []string{`sum(x`, `x{a="b"`, `x[5m`, `x)`} {
		if _, err := metricNames(bad); err == nil {
			t.Errorf("metricNames(%q) accepted an unbalanced expression", bad)
		}
	}
}

// checkExpr checks that expr selects only contract metrics, and that at
// least one.
func checkExpr(t *testing.T, where, expr string) []string {
	t.Helper()
	names, err := metricNames(expr)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return nil
	}
	if len(names) == 0 {
		t.Errorf("%s: %q selects no metric", where, expr)
	}
	series := contractSeries()
	var metrics []string
	for _, n := range names {
		m, ok := series[n]
		if !ok {
			t.Errorf("%s: %q is not a metric pipe serve exports (see contractMetrics)", where, n)
			continue
		}
		metrics = append(metrics, m)
	}
	return metrics
}

// labelsUsed returns the label names matched in expr's selectors and named
// in its by (...) lists, for checking against the contract.
var labelName = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"`)
var byList = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)

func labelsUsed(expr string) []string {
	var labels []string
	for _, m := range labelName.FindAllStringSubmatch(expr, -1) {
		labels = append(labels, m[1])
	}
	for _, m := range byList.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" && l != "le" {
				labels = append(labels, l)
			}
		}
	}
	return labels
}

// checkLabels checks that every label expr uses belongs to one of the
// metrics it selects.
func checkLabels(t *testing.T, where, expr string, metrics []string) {
	t.Helper()
	for _, l := range labelsUsed(expr) {
		found := false
		for _, m := range metrics {
			found = found || slices.Contains(contractMetrics[m].labels, l)
		}
		if !found {
			t.Errorf("%s: label %q is not a label of %v", where, l, metrics)
		}
	}
}

// The Prometheus Operator's kinds, as far as these manifests use them.
// Decoding is strict: a field not listed here fails.
type crMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type prometheusRule struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   crMeta `json:"metadata"`
	Spec       struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for,omitempty"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

type serviceMonitor struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   crMeta `json:"metadata"`
	Spec       struct {
		JobLabel string `json:"jobLabel,omitempty"`
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Endpoints []struct {
			Port              string           `json:"port"`
			Path              string           `json:"path"`
			Interval          string           `json:"interval"`
			ScrapeTimeout     string           `json:"scrapeTimeout"`
			Scheme            string           `json:"scheme,omitempty"`
			HonorLabels       bool             `json:"honorLabels,omitempty"`
			Relabelings       []map[string]any `json:"relabelings,omitempty"`
			MetricRelabelings []map[string]any `json:"metricRelabelings,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// monitoring is deploy/monitoring, rendered and decoded.
type monitoring struct {
	rule      prometheusRule
	monitor   serviceMonitor
	dashboard *corev1.ConfigMap
}

func renderMonitoring(t *testing.T) monitoring {
	t.Helper()
	docs, err := splitDocuments(mustKustomize(t, filepath.Join(repoRoot, "deploy/monitoring")))
	if err != nil {
		t.Fatal(err)
	}
	var mon monitoring
	var seen []string
	for _, doc := range docs {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, head.Kind)
		switch head.Kind {
		case "PrometheusRule":
			err = yaml.UnmarshalStrict(doc, &mon.rule)
		case "ServiceMonitor":
			err = yaml.UnmarshalStrict(doc, &mon.monitor)
		case "ConfigMap":
			obj, derr := decodeStrict(doc)
			err = derr
			if derr == nil {
				mon.dashboard = obj.(*corev1.ConfigMap)
			}
		default:
			t.Errorf("unexpected %s in deploy/monitoring", head.Kind)
		}
		if err != nil {
			t.Fatalf("%s does not decode strictly: %v", head.Kind, err)
		}
	}
	slices.Sort(seen)
	if want := []string{"ConfigMap", "PrometheusRule", "ServiceMonitor"}; !slices.Equal(seen, want) {
		t.Fatalf("deploy/monitoring renders %v, want %v", seen, want)
	}
	return mon
}

func TestStrictCustomResources(t *testing.T) {
	doc := []byte("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: A\n      expr: up\n      fro: 5m\n")
	var r prometheusRule
	if err := yaml.UnmarshalStrict(doc, &r); err == nil {
		t.Error("a misspelt rule field (fro) decoded without error")
	}
}

var promDuration = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)

func TestPrometheusRule(t *testing.T) {
	mon := renderMonitoring(t)
	r := mon.rule
	if r.APIVersion != "monitoring.coreos.com/v1" || r.Metadata.Namespace != namespace {
		t.Errorf("PrometheusRule is %s in %q, want monitoring.coreos.com/v1 in %q", r.APIVersion, r.Metadata.Namespace, namespace)
	}
	alerts := make(map[string]string)
	for _, g := range r.Spec.Groups {
		for _, rule := range g.Rules {
			where := "alert " + rule.Alert
			if rule.Alert == "" {
				t.Errorf("group %s has a rule with no alert name", g.Name)
			}
			if _, dup := alerts[rule.Alert]; dup {
				t.Errorf("%s is defined twice", where)
			}
			alerts[rule.Alert] = rule.Expr
			metrics := checkExpr(t, where, rule.Expr)
			checkLabels(t, where, rule.Expr, metrics)
			if rule.For != "" && !promDuration.MatchString(rule.For) {
				t.Errorf("%s: for %q is not a Prometheus duration", where, rule.For)
			}
			if s := rule.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", where, s)
			}
			if rule.Annotations["summary"] == "" || rule.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description", where)
			}
			for k, v := range rule.Annotations {
				if strings.Count(v, "{{") != strings.Count(v, "}}") {
					t.Errorf("%s: annotation %s has unbalanced template braces", where, k)
				}
			}
			if u := rule.Annotations["runbook_url"]; u != "" {
				checkDocLink(t, where, u)
			}
		}
	}
	// The three alerts the issue asks for, and what each must watch.
	for alert, want := range map[string]string{
		"PipeRunFailed":         `pipe_runs_total{status=~"failed|interrupted"}`,
		"PipeNoRecentSuccess":   "pipe_last_success_timestamp_seconds",
		"PipeChampionMetricLow": `alias="champion"`,
	} {
		expr, ok := alerts[alert]
		if !ok {
			t.Errorf("no %s alert", alert)
		} else if !strings.Contains(expr, want) {
			t.Errorf("%s: %q does not watch %s", alert, expr, want)
		}
	}
	if !strings.Contains(alerts["PipeNoRecentSuccess"], "26 * 3600") {
		t.Errorf("PipeNoRecentSuccess should fire after 26 hours: %q", alerts["PipeNoRecentSuccess"])
	}
	// pipe_last_success_timestamp_seconds exists only after a success:
	// a pipeline that never succeeded needs an alert of its own, or no
	// alert would ever say that nothing succeeds.
	never, ok := alerts["PipeNeverSucceeded"]
	if !ok || !strings.Contains(never, "unless on (pipeline) pipe_last_success_timestamp_seconds") {
		t.Errorf("no alert for a pipeline that never succeeded (PipeNeverSucceeded: %q)", never)
	}
	for _, g := range r.Spec.Groups {
		for _, rule := range g.Rules {
			if rule.Alert == "PipeNeverSucceeded" && rule.For != "26h" {
				t.Errorf("PipeNeverSucceeded fires after %q, want 26h like PipeNoRecentSuccess", rule.For)
			}
		}
	}
}

// checkDocLink checks that a link into docs/deployment.md names a heading
// that exists.
func checkDocLink(t *testing.T, where, u string) {
	t.Helper()
	const prefix = "https://github.com/pipe-ml/pipe/blob/main/docs/deployment.md#"
	anchor, ok := strings.CutPrefix(u, prefix)
	if !ok {
		t.Errorf("%s: runbook_url %q should point into docs/deployment.md", where, u)
		return
	}
	if !slices.Contains(docAnchors(t), anchor) {
		t.Errorf("%s: docs/deployment.md has no heading with anchor #%s", where, anchor)
	}
}

func TestServiceMonitor(t *testing.T) {
	mon := renderMonitoring(t).monitor
	in := indexInstall(t, renderObjects(t, filepath.Join(repoRoot, "deploy/overlays/prod")))
	if mon.Metadata.Namespace != in.service.Namespace {
		t.Errorf("ServiceMonitor in %q, Service in %q", mon.Metadata.Namespace, in.service.Namespace)
	}
	if !labelsMatch(mon.Spec.Selector.MatchLabels, in.service.Labels) {
		t.Errorf("ServiceMonitor selector %v does not select the Service (labels %v)", mon.Spec.Selector.MatchLabels, in.service.Labels)
	}
	if len(mon.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor has %d endpoints, want 1", len(mon.Spec.Endpoints))
	}
	ep := mon.Spec.Endpoints[0]
	if ep.Port != "http" || ep.Path != "/metrics" {
		t.Errorf("ServiceMonitor scrapes port %q path %q, want http /metrics", ep.Port, ep.Path)
	}
	if !promDuration.MatchString(ep.Interval) {
		t.Errorf("ServiceMonitor interval %q is not a duration", ep.Interval)
	}
}

// The Grafana dashboard model, as far as the dashboard uses it. Decoding
// is strict: a field not listed here fails. Panel options and field
// configuration vary by panel type and are kept raw.
type dashboard struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Description   string   `json:"description"`
	Tags          []string `json:"tags"`
	Timezone      string   `json:"timezone"`
	Editable      bool     `json:"editable"`
	GraphTooltip  int      `json:"graphTooltip"`
	Refresh       string   `json:"refresh"`
	SchemaVersion int      `json:"schemaVersion"`
	Version       int      `json:"version"`
	Time          struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Annotations struct {
		List []json.RawMessage `json:"list"`
	} `json:"annotations"`
	Templating struct {
		List []templateVariable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type templateVariable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	Query      string          `json:"query"`
	Definition string          `json:"definition,omitempty"`
	Datasource *datasourceRef  `json:"datasource,omitempty"`
	Refresh    int             `json:"refresh,omitempty"`
	IncludeAll bool            `json:"includeAll,omitempty"`
	Multi      bool            `json:"multi,omitempty"`
	AllValue   string          `json:"allValue,omitempty"`
	Sort       int             `json:"sort,omitempty"`
	Hide       int             `json:"hide"`
	Current    json.RawMessage `json:"current"`
}

type panel struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	GridPos     struct{ H, W, X, Y int } `json:"gridPos"`
	Datasource  datasourceRef            `json:"datasource"`
	Targets     []struct {
		RefID        string        `json:"refId"`
		Datasource   datasourceRef `json:"datasource"`
		Expr         string        `json:"expr"`
		LegendFormat string        `json:"legendFormat,omitempty"`
		Instant      bool          `json:"instant,omitempty"`
		Format       string        `json:"format,omitempty"`
	} `json:"targets"`
	FieldConfig json.RawMessage `json:"fieldConfig"`
	Options     json.RawMessage `json:"options"`
}

var labelValues = regexp.MustCompile(`^label_values\(([a-z_:][a-z0-9_:]*),\s*([a-z_][a-z0-9_]*)\)$`)

// readDashboard decodes deploy/monitoring/grafana-dashboard.json strictly
// and returns it with the file's bytes.
func readDashboard(t *testing.T) (dashboard, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deploy/monitoring/grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d dashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("grafana-dashboard.json does not decode strictly: %v", err)
	}
	if dec.More() {
		t.Fatal("grafana-dashboard.json holds more than one JSON value")
	}
	return d, raw
}

func TestGrafanaDashboard(t *testing.T) {
	d, raw := readDashboard(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion == 0 {
		t.Errorf("dashboard needs a uid, a title and a schemaVersion: %q %q %d", d.UID, d.Title, d.SchemaVersion)
	}

	// The ConfigMap Grafana's sidecar loads holds this very file.
	cm := renderMonitoring(t).dashboard
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap is not labelled grafana_dashboard=1 (labels %v)", cm.Labels)
	}
	if len(cm.Data) != 1 {
		t.Errorf("dashboard ConfigMap holds %d files, want 1", len(cm.Data))
	}
	for _, v := range cm.Data {
		if v != string(raw) {
			t.Error("dashboard ConfigMap does not hold grafana-dashboard.json as it is")
		}
	}

	vars := make(map[string]templateVariable)
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.Query != "prometheus" {
		t.Errorf("no Prometheus datasource variable: %+v", v)
	}
	p, ok := vars["pipeline"]
	if !ok {
		t.Fatal("no pipeline variable in the dashboard's templating")
	}
	m := labelValues.FindStringSubmatch(p.Query)
	if p.Type != "query" || m == nil {
		t.Errorf("pipeline variable's query %q is not label_values(METRIC, pipeline)", p.Query)
	} else if met, ok := contractMetrics[m[1]]; !ok || m[2] != "pipeline" || !slices.Contains(met.labels, "pipeline") {
		t.Errorf("pipeline variable's query %q does not list the pipeline label of a contract metric", p.Query)
	}
	if !p.IncludeAll || !p.Multi {
		t.Error("the pipeline variable should allow All and several values")
	}

	ids := make(map[int]bool)
	var cells [][4]int
	for _, pn := range d.Panels {
		where := fmt.Sprintf("panel %d %q", pn.ID, pn.Title)
		if ids[pn.ID] || pn.ID == 0 {
			t.Errorf("%s: id missing or repeated", where)
		}
		ids[pn.ID] = true
		if pn.Datasource.UID != "${datasource}" {
			t.Errorf("%s: datasource %q, want the ${datasource} variable", where, pn.Datasource.UID)
		}
		g := pn.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v off the 24-column grid", where, g)
		}
		for _, c := range cells {
			if g.X < c[0]+c[2] && c[0] < g.X+g.W && g.Y < c[1]+c[3] && c[1] < g.Y+g.H {
				t.Errorf("%s: overlaps another panel", where)
			}
		}
		cells = append(cells, [4]int{g.X, g.Y, g.W, g.H})
		if len(pn.Targets) == 0 {
			t.Errorf("%s: no queries", where)
		}
		refs := make(map[string]bool)
		for _, tg := range pn.Targets {
			if refs[tg.RefID] || tg.RefID == "" {
				t.Errorf("%s: refId %q missing or repeated", where, tg.RefID)
			}
			refs[tg.RefID] = true
			metrics := checkExpr(t, where, tg.Expr)
			checkLabels(t, where, tg.Expr, metrics)
			// Queries on metrics that carry a pipeline label follow the
			// dashboard's pipeline variable.
			for _, mn := range metrics {
				if slices.Contains(contractMetrics[mn].labels, "pipeline") && !strings.Contains(tg.Expr, `pipeline=~"$pipeline"`) {
					t.Errorf("%s: %q ignores the pipeline variable", where, tg.Expr)
					break
				}
			}
		}
	}
	// Every contract metric is on the dashboard somewhere.
	used := make(map[string]bool)
	for _, pn := range d.Panels {
		for _, tg := range pn.Targets {
			names, _ := metricNames(tg.Expr)
			for _, n := range names {
				used[contractSeries()[n]] = true
			}
		}
	}
	for name := range contractMetrics {
		if !used[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}
