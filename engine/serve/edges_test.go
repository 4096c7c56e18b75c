package serve

import (
	"encoding/json"
	"net/url"
	"os"
	"os/user"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/serve/applies"
)

// TestServeEdges: issue 20's edges of serve. Every bad question is a 4xx
// with a JSON error that says what to do and quotes at most a little of
// the request; no answer names the server's folders, host or user; every
// answer, the probes' and /metrics' included, says nosniff.
func TestServeEdges(t *testing.T) {
	dir := writePipeline(t, validPipeline)
	f := start(t, dir, nil)
	f.expect(applies.OutcomeApplied)

	huge := strings.Repeat("x", 1<<20)
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/api/lineage?ref=unknown", 404, "nothing in the registry matches"},
		{"/api/lineage?ref=nothing@champion", 404, `no model named "nothing"`},
		{"/api/lineage?ref=demo@99999999999999999999", 400, "versions are numbered from 1"},
		{"/api/lineage?ref=demo@v0", 400, "versions are numbered from 1"},
		{"/api/lineage?ref=sha256:zz", 400, "not a sha256 digest"},
		{"/api/lineage?ref=" + huge, 400, "bytes more"},
		{"/api/lineage?ref=data/a.txt&direction=" + huge, 400, "bytes more"},
		{"/api/runs?limit=" + huge, 400, "limit must be a whole number from 1 to 500"},
		{"/api/runs?limit=1000000", 400, "limit must be a whole number from 1 to 500"},
		{"/api/runs?status=happy", 400, `status "happy" is not one of`},
		{"/api/runs?trigger=" + huge, 400, "is not one of"},
		{"/api/runs?before=abc", 400, "before must be a run ID"},
		{"/api/runs?before=2&after=1", 400, "not both"},
		{"/api/runs/99999999999999999999", 400, "not a positive whole number"},
		{"/api/runs/" + huge[:4000], 400, "bytes more"},
		{"/api/runs/12345", 404, "no run 12345"},
		{"/api/models/nothing", 404, `no model named "nothing"`},
		{"/api/models/" + huge[:4000], 404, "bytes more"},
		{"/artifacts/" + huge[:4000], 400, "bytes more"},
		{"/artifacts/sha256:" + strings.Repeat("0", 64), 404, "not a model version's report"},
	} {
		code, body, h := f.get(c.path)
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || code != c.code || !strings.Contains(e.Error, c.want) {
			t.Errorf("%.80s: %d %q, want %d with %q", c.path, code, truncate(body), c.code, c.want)
		}
		if len(body) > 600 {
			t.Errorf("%.80s: a %d-byte error body", c.path, len(body))
		}
		if strings.Contains(body, "9223372036854775807") {
			t.Errorf("%.80s: the number overflowed: %s", c.path, body)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%.80s: headers %v", c.path, h)
		}
	}

	host, _ := os.Hostname()
	u, _ := user.Current()
	for _, path := range []string{"/healthz", "/readyz", "/readyz?format=json", "/metrics", "/api/status", "/api/runs", "/api/runs/1",
		"/api/lineage?ref=data/a.txt&direction=downstream", "/api/models", "/", "/nothing"} {
		code, body, h := f.get(path)
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s (%d): no X-Content-Type-Options", path, code)
		}
		for what, s := range map[string]string{"the pipeline folder": dir, "the state folder": f.state, "the temporary folder": os.TempDir() + "/"} {
			if strings.Contains(body, s) || strings.Contains(body, url.PathEscape(s)) {
				t.Errorf("%s shows %s:\n%s", path, what, grep(body, s))
			}
		}
		if strings.Contains(body, `"host"`) || strings.Contains(body, `"user"`) {
			t.Errorf("%s shows the host or the user:\n%s", path, body)
		}
		if len(host) >= 6 && strings.Contains(body, host) {
			t.Errorf("%s shows the host name %q", path, host)
		}
		if u != nil && len(u.HomeDir) > 1 && strings.Contains(body, u.HomeDir) {
			t.Errorf("%s shows the home folder %q", path, u.HomeDir)
		}
	}
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
