package deploy

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// Debian's prometheus package gives the alerts and the dashboard their
// real tools: promtool checks and unit-tests the rules, and a Prometheus
// server scrapes pipe serve and evaluates them.

// prometheusTool returns the path of Debian's promtool or prometheus.
// Without it the test skips; PIPE_REQUIRE_PROMETHEUS=1 (CI) or
// PIPE_REQUIRE_K8S=1 turns the skip into a failure.
func prometheusTool(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin
	}
	for _, v := range []string{"PIPE_REQUIRE_PROMETHEUS", "PIPE_REQUIRE_K8S"} {
		if os.Getenv(v) == "1" {
			t.Fatalf("%s is not installed (apt-get install prometheus); %s=1 requires it", name, v)
		}
	}
	t.Skipf("%s is not installed (apt-get install prometheus); set PIPE_REQUIRE_PROMETHEUS=1 to make this a failure", name)
	return ""
}

// rulesFile is the name promtool's test file gives the rules.
const rulesFile = "pipe-rules.yaml"

// writeRules writes the PrometheusRule's groups, as deploy/monitoring
// renders them, as a Prometheus rules file in dir.
func writeRules(t *testing.T, dir string) string {
	t.Helper()
	var rules struct {
		Groups any `json:"groups"`
	}
	rules.Groups = renderMonitoring(t).rule.Spec.Groups
	data, err := yaml.Marshal(rules)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, rulesFile)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// promtoolTests is deploy/monitoring/prometheusrule_test.yaml, as far as
// TestAlertRules reads it.
type promtoolTests struct {
	RuleFiles []string `json:"rule_files"`
	Tests     []struct {
		Name          string `json:"name"`
		AlertRuleTest []struct {
			Alertname string `json:"alertname"`
			ExpAlerts []any  `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// TestAlertRules runs promtool on the alerts as shipped: `check rules`
// (syntax, PromQL, templates) and `test rules` with
// deploy/monitoring/prometheusrule_test.yaml, where every alert has a case
// in which it fires and one in which it stays silent.
func TestAlertRules(t *testing.T) {
	promtool := prometheusTool(t, "promtool")
	dir := t.TempDir()
	rules := writeRules(t, dir)
	if out, err := exec.Command(promtool, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}

	src := filepath.Join(repoRoot, "deploy/monitoring/prometheusrule_test.yaml")
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var tests promtoolTests
	if err := yaml.Unmarshal(raw, &tests); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	if !slices.Equal(tests.RuleFiles, []string{rulesFile}) {
		t.Errorf("%s: rule_files %v, want [%s] (the file this test writes)", src, tests.RuleFiles, rulesFile)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	alerts := map[string]bool{}
	for _, g := range renderMonitoring(t).rule.Spec.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if !fires[r.Alert] || !silent[r.Alert] {
				t.Errorf("%s: alert %s needs a case where it fires and one where it stays silent (fires: %t, silent: %t)",
					src, r.Alert, fires[r.Alert], silent[r.Alert])
			}
		}
	}
	for name := range fires {
		if !alerts[name] {
			t.Errorf("%s tests %s, which the PrometheusRule does not define", src, name)
		}
	}

	if err := os.WriteFile(filepath.Join(dir, "prometheusrule_test.yaml"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "prometheusrule_test.yaml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules %s: %v\n%s", src, err, out)
	}
}

// prometheus is a Prometheus server (Debian's) with deploy/monitoring's
// rules loaded, evaluated every second.
type prometheus struct {
	base string
}

// fastScrape is a scrape configuration for serve at base every second, so
// that a test sees an alert within seconds.
func fastScrape(base string) string {
	return fmt.Sprintf("  - job_name: pipe\n    scrape_interval: 1s\n    static_configs: [{targets: [%q]}]\n",
		strings.TrimPrefix(base, "http://"))
}

// startPrometheus starts Prometheus on loopback with the scrape
// configurations scrape (YAML list items under scrape_configs). Without
// the prometheus binary the test skips (see prometheusTool).
func startPrometheus(t *testing.T, scrape string) *prometheus {
	t.Helper()
	bin := prometheusTool(t, "prometheus")
	dir := t.TempDir()
	rules := writeRules(t, dir)
	config := fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: [%s]\nscrape_configs:\n%s", rules, scrape)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	startProcess(t, cmd, filepath.Join(dir, "prometheus.log"), 10*time.Second, "prometheus's configuration:\n"+config)
	return &prometheus{base: "http://" + addr}
}

// sample is one series of a query's answer: its labels and its values
// (one for an instant query, several for a range query).
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
	Values [][]any           `json:"values"`
}

// query asks Prometheus's HTTP API path (/api/v1/query or
// /api/v1/query_range) with params and returns the series of the answer.
func (p *prometheus) query(path string, params url.Values) ([]sample, error) {
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []sample `json:"result"`
		} `json:"data"`
	}
	code, raw, err := get(context.Background(), p.base+path+"?"+params.Encode())
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("%d: %v: %s", code, err, raw)
	}
	if code != 200 || body.Status != "success" {
		return nil, fmt.Errorf("%d %s: %s", code, body.Status, body.Error)
	}
	return body.Data.Result, nil
}

// waitScraped waits until Prometheus has the series, so that an increase
// from its value now is seen.
func (p *prometheus) waitScraped(t *testing.T, series string) {
	t.Helper()
	eventually(t, 2*time.Minute, "scraped by Prometheus: "+series, func() (bool, string) {
		res, err := p.query("/api/v1/query", url.Values{"query": {series}})
		if err != nil {
			return false, err.Error()
		}
		return len(res) > 0, fmt.Sprint(res)
	})
}

// waitAlert waits until the alert fires with labels and its summary reads
// summary.
func (p *prometheus) waitAlert(t *testing.T, alert string, labels map[string]string, summary string) {
	t.Helper()
	eventually(t, 3*time.Minute, alert+" firing", func() (bool, string) {
		var body struct {
			Data struct {
				Alerts []struct {
					Labels      map[string]string `json:"labels"`
					Annotations map[string]string `json:"annotations"`
					State       string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		code, raw, err := get(context.Background(), p.base+"/api/v1/alerts")
		if err != nil || code != 200 || yaml.Unmarshal(raw, &body) != nil {
			return false, fmt.Sprintf("%d %v %s", code, err, raw)
		}
		for _, a := range body.Data.Alerts {
			if a.Labels["alertname"] != alert || a.State != "firing" || a.Annotations["summary"] != summary {
				continue
			}
			match := true
			for k, v := range labels {
				match = match && a.Labels[k] == v
			}
			if match {
				return true, ""
			}
		}
		return false, string(raw)
	})
}
