package browsertest

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/serve/page"
)

// resourcesScript lists every resource the page loaded (stylesheet,
// scripts, images, the icon) as the browser fetched them.
const resourcesScript = `performance.getEntriesByType('resource').map(e => e.name)`

// TestSelfContained: every page comes with the strict
// Content-Security-Policy and nosniff, loads nothing from another origin
// (every resource the browser fetched is the site's own), and shows no
// path of the server, its host name or its user's home.
func TestSelfContained(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	host, _ := os.Hostname()
	secrets := map[string]string{"the site's folder": s.dir, "the temporary folder": os.TempDir() + "/"}
	if len(host) >= 6 {
		secrets["the host name"] = host
	}
	if u, err := user.Current(); err == nil && len(u.HomeDir) > 1 {
		secrets["the home folder"] = u.HomeDir
	}
	for _, path := range append(everyPage, "/runs/"+s.liveRun, "/runs/3/steps/publish.release", "/runs/1/steps/load.corpus") {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if got := h.Get("Content-Security-Policy"); got != page.ContentSecurityPolicy {
			t.Errorf("%s: Content-Security-Policy %q, want %q", path, got, page.ContentSecurityPolicy)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no X-Content-Type-Options: nosniff", path)
		}
		tb.open(path)
		loaded, _ := tb.eval(resourcesScript).([]any)
		for _, r := range loaded {
			u, err := url.Parse(r.(string))
			if err != nil || u.Scheme+"://"+u.Host != s.url {
				t.Errorf("%s loaded %v from outside the site", path, r)
			}
		}
		html, _ := tb.eval(`document.documentElement.outerHTML`).(string)
		for what, secret := range secrets {
			if strings.Contains(html, secret) || strings.Contains(html, url.PathEscape(secret)) {
				i := strings.Index(html, secret)
				t.Errorf("%s shows %s: …%s…", path, what, clipped(html[max(0, i-80):]))
			}
		}
	}
}

// TestScreenshot: what a failing test saves, a PNG of the whole page in
// PIPE_SCREENSHOTS named after the test, is really written.
func TestScreenshot(t *testing.T) {
	s := openSite(t)
	dir := t.TempDir()
	t.Setenv("PIPE_SCREENSHOTS", dir)
	tb := newTab(t, s)
	tb.open(secondRun)
	tb.screenshot()
	png, err := os.ReadFile(filepath.Join(dir, "TestScreenshot.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("the screenshot is %d bytes, not a PNG of the page", len(png))
	}
}
