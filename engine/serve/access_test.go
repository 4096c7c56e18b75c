package serve

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/serve/applies"
)

// TestAccessToken: with -token-file, the API and the pages ask for the
// token; a browser signs in once on /login and carries a cookie; the
// probes stay open and /readyz keeps its reasons for those with the
// token; /metrics asks for its own token when given one.
func TestAccessToken(t *testing.T) {
	tokens := t.TempDir()
	write(t, filepath.Join(tokens, "api"), "the-api-token\n")
	write(t, filepath.Join(tokens, "metrics"), "the-metrics-token\n")
	dir := writePipeline(t, `pipeline "demo" {`)
	f := start(t, dir, func(o *Options) {
		o.TokenFile, o.MetricsTokenFile = filepath.Join(tokens, "api"), filepath.Join(tokens, "metrics")
	})
	f.expect(applies.OutcomeInvalid)
	bearer := []string{"Authorization", "Bearer the-api-token"}

	code, body, h := f.get("/api/runs")
	var e struct{ Error string }
	if code != 401 || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, "Authorization: Bearer") || h.Get("WWW-Authenticate") == "" {
		t.Errorf("/api/runs without the token: %d %s %v", code, body, h)
	}
	if code, _, _ := f.get("/api/status", bearer...); code != 200 {
		t.Errorf("/api/status with the token: %d", code)
	}
	if code, _, _ := f.get("/api/status", "Authorization", "Bearer the-metrics-token"); code != 401 {
		t.Errorf("/api/status with /metrics' token: %d", code)
	}
	code, page, _ := f.get("/runs")
	if code != 401 || !strings.Contains(page, `action="/login"`) || !strings.Contains(page, `value="/runs"`) {
		t.Errorf("/runs without the token: %d\n%s", code, page)
	}
	// The probes: open, and /readyz says what failed but not why.
	if code, _, _ := f.get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	code, ready, _ := f.get("/readyz")
	if code != 503 || !strings.Contains(ready, "pipeline: failed\n") || strings.Contains(ready, "main.pipe.hcl") {
		t.Errorf("/readyz without the token: %d\n%s", code, ready)
	}
	if _, ready, _ := f.get("/readyz", bearer...); !strings.Contains(ready, "main.pipe.hcl") {
		t.Errorf("/readyz with the token lacks the diagnostics:\n%s", ready)
	}
	// /metrics has its own token.
	if code, _, _ := f.get("/metrics"); code != 401 {
		t.Errorf("/metrics without its token: %d", code)
	}
	if code, metrics, _ := f.get("/metrics", "Authorization", "Bearer the-metrics-token"); code != 200 || !strings.Contains(metrics, "pipe_pipeline_valid") {
		t.Errorf("/metrics with its token: %d", code)
	}

	// Signing in: a wrong token is refused, the right one gives a cookie
	// and sends the browser where it was going, never elsewhere.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(f.url+"/login", url.Values{"token": {"guess"}, "next": {"/runs"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
		t.Errorf("a wrong token: %d %v", resp.StatusCode, resp.Cookies())
	}
	for next, want := range map[string]string{"/runs?status=failed": "/runs?status=failed", "//evil.example/": "/", "https://evil.example/": "/"} {
		resp, err = noRedirect.PostForm(f.url+"/login", url.Values{"token": {"the-api-token"}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 303 || resp.Header.Get("Location") != want || len(resp.Cookies()) != 1 {
			t.Errorf("signing in for %q: %d to %q, cookies %v", next, resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
		}
	}
	c := resp.Cookies()[0]
	if !c.HttpOnly || strings.Contains(c.Value, "the-api-token") {
		t.Errorf("cookie %+v", c)
	}
	if code, page, _ := f.get("/", "Cookie", c.Name+"="+c.Value); code != 200 || !strings.Contains(page, "does not load") {
		t.Errorf("/ with the cookie: %d", code)
	}
}
