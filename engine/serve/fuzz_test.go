package serve

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/serve/applies"
)

// fuzzMethods are the methods FuzzServeHandlers asks with.
var fuzzMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}

// maxFuzzBody bounds any answer; maxFuzzError a JSON error's.
const maxFuzzBody, maxFuzzError = 1 << 20, 1 << 10

// FuzzServeHandlers asks a running server (on loopback, over a pipeline
// applied once, with a real registry file and an access token) questions
// with any method, path, query, body and token. Every answer must come
// (a handler's panic drops the connection), none is a 5xx but /readyz's
// documented 503, every answer under /api/ is valid JSON (the event
// stream aside), errors are short and no answer is large or quotes much
// of the question.
func FuzzServeHandlers(f *testing.F) {
	for _, seed := range []struct {
		method    uint8
		path, q   string
		body      string
		withToken bool
	}{
		{0, "healthz", "", "", false},
		{0, "readyz", "format=json", "", true},
		{0, "metrics", "", "", false},
		{0, "api/status", "", "", true},
		{0, "api/runs", "limit=2&status=succeeded&trigger=manual&before=9", "", true},
		{0, "api/runs", "limit=-1&after=x", "", true},
		{0, "api/runs/1", "", "", true},
		{0, "api/runs/1/events", "", "", true},
		{0, "api/runs/99999999999999999999", "", "", true},
		{0, "api/models", "", "", true},
		{0, "api/models/demo", "", "", true},
		{0, "api/lineage", "ref=data/a.txt&direction=downstream", "", true},
		{0, "api/lineage", "ref=demo@99999999999999999999", "", true},
		{0, "api/lineage", "ref=sha256:zz", "", true},
		{0, "artifacts/sha256:" + strings.Repeat("0", 64), "", "", true},
		{0, "", "", "", true},
		{0, "runs/1/steps/transform.shout/out", "", "", true},
		{0, "models/demo/versions/1", "", "", true},
		{0, "static/style.css", "", "", true},
		{0, "login", "next=//evil.example", "", false},
		{2, "login", "", "token=wrong&next=%2Fruns", false},
		{2, "login", "", "token=" + fuzzToken + "&next=/runs", false},
		{2, "login", "", strings.Repeat("token=x&", 2000), false},
		{2, "api/runs", "", "{}", true},
		{4, "api/runs/1", "", "", true},
		{0, "api/../../etc/passwd", "", "", true},
		{0, "api/nothing", "", "", true},
		{5, "api/nothing", "", "", false},
		{0, "api/runs/%00", "a=%zz&%", "", true},
	} {
		f.Add(seed.method, seed.path, seed.q, []byte(seed.body), seed.withToken)
	}
	tokens := f.TempDir()
	write(f, filepath.Join(tokens, "api"), fuzzToken+"\n")
	fx := start(f, writePipeline(f, validPipeline), func(o *Options) { o.TokenFile = filepath.Join(tokens, "api") })
	fx.expect(applies.OutcomeApplied)
	base, _ := url.Parse(fx.url)
	client := &http.Client{
		Timeout:       30 * time.Second, // a hang is a failure, not a wait
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	f.Fuzz(func(t *testing.T, method uint8, path, query string, body []byte, withToken bool) {
		u := *base
		u.Path = "/" + path
		u.RawQuery = strings.Map(func(r rune) rune {
			if r <= ' ' || r == 0x7f || r == '#' || r == 0xfffd {
				return -1 // a request line cannot carry them; the client refuses
			}
			return r
		}, query)
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		req, err := http.NewRequest(m, u.String(), bytes.NewReader(body))
		if err != nil {
			return // not a request a client can send
		}
		if m == "POST" && !strings.HasPrefix(string(body), "{") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if withToken {
			req.Header.Set("Authorization", "Bearer "+fuzzToken)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: no answer (a panic in a handler drops the connection): %v", m, u.RequestURI(), err)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxFuzzBody+1))
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s %s: the answer broke off: %v", m, u.RequestURI(), err)
		}
		checkFuzzAnswer(t, m, req.URL, resp, b, query, body)
	})
}

// fuzzToken is the access token of FuzzServeHandlers' server.
const fuzzToken = "fuzz-token-0123456789"

// checkFuzzAnswer checks one answer of FuzzServeHandlers.
func checkFuzzAnswer(t *testing.T, method string, u *url.URL, resp *http.Response, b []byte, query string, body []byte) {
	t.Helper()
	where := method + " " + u.RequestURI()
	ct := resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable && u.Path == "/readyz":
	case resp.StatusCode >= 500:
		t.Errorf("%s: %d\n%.300s", where, resp.StatusCode, b)
	}
	if len(b) > maxFuzzBody {
		t.Errorf("%s: an answer of more than %d bytes", where, maxFuzzBody)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: %d without X-Content-Type-Options: nosniff", where, resp.StatusCode)
	}
	api := strings.HasPrefix(u.Path, "/api/") && resp.StatusCode/100 != 3 && method != "HEAD" && ct != "text/event-stream"
	if api && (!strings.HasPrefix(ct, "application/json") || !json.Valid(b)) {
		t.Errorf("%s: %d %q is not JSON:\n%.300s", where, resp.StatusCode, ct, b)
	}
	if api && resp.StatusCode >= 400 && len(b) > maxFuzzError {
		t.Errorf("%s: a %d-byte error", where, len(b))
	}
	for _, asked := range []string{u.Path, query, string(body)} {
		if len(asked) >= 512 && bytes.Contains(b, []byte(asked[:512])) {
			t.Errorf("%s: the answer quotes 512 bytes of the question", where)
		}
	}
}
