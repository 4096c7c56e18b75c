package page

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
)

// ContentSecurityPolicy is every page's policy: nothing from another
// origin, no inline script or style (the stylesheet and the scripts are
// files of serve's own, embedded in the binary), forms and live updates
// to serve itself only.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed static
var staticFiles embed.FS

//go:embed page.html templates/*.html
var templateFiles embed.FS

// assetVersions are the first hex digits of each static file's SHA-256,
// put in its URL so that a browser may keep it for good. Like pages, it
// is made when first used: every pipe command links this package, and
// only serve uses it.
var assetVersions = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	entries, _ := fs.ReadDir(staticFiles, "static")
	for _, e := range entries {
		b, _ := staticFiles.ReadFile("static/" + e.Name())
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return out
})

// asset is the URL of a static file.
func asset(name string) string {
	return "/static/" + name + "?v=" + assetVersions()[name]
}

// frame is what every page's layout shows: the title, where it is, and
// what it loads.
type frame struct {
	Title, Heading string
	// Section is the navigation entry it is under: overview, runs or
	// models.
	Section string
	Crumbs  []crumb
	// Scripts are static files to load (deferred): live.js, sort.js.
	Scripts []string
	// Live is the URL of the server-sent events live.js follows.
	Live string
	// Refresh reloads the page this often (seconds); on a page with Live,
	// only when scripts are off.
	Refresh int
}

type crumb struct{ Text, Href string }

var funcs = template.FuncMap{
	"asset": asset,
	"add":   func(a, b int) int { return a + b },
	"sub":   func(a, b int) int { return a - b },
	"deref": func(b *bool) bool { return b != nil && *b },
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"duration": func(a, b time.Time) string {
		if a.IsZero() || b.IsZero() {
			return ""
		}
		return humanDuration(b.Sub(a))
	},
	"seconds":   func(s float64) string { return humanDuration(time.Duration(s * float64(time.Second))) },
	"metric":    func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) },
	"short":     shortDigest,
	"bytes":     humanBytes,
	"pretty":    prettyJSON,
	"query":     func(s string) template.URL { return template.URL("?" + s) },
	"pathEsc":   url.PathEscape,
	"sortvalue": sortValue,
}

// pages are the page templates, each parsed with the layout when first
// used (1.5 ms and 1 MB that no other command should pay at start).
var pages = sync.OnceValue(func() map[string]*template.Template {
	layout := template.Must(template.New("layout").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html"))
	out := map[string]*template.Template{}
	names, _ := fs.Glob(templateFiles, "templates/*.html")
	names = append(names, "page.html")
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") {
			continue
		}
		t := template.Must(template.Must(layout.Clone()).ParseFS(templateFiles, n))
		out[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return out
})

// render writes the page name with data v and the headers every page
// has. A template that fails is a 500 that says no more; the log has it.
func (p *Page) render(w http.ResponseWriter, code int, name string, v any) {
	var b bytes.Buffer
	if err := pages()[name].ExecuteTemplate(&b, path.Base(name)+".html", v); err != nil {
		p.opts.Log.Error("rendering a page", "page", name, "error", err)
		http.Error(w, "serve: the page failed to render; the server's log says why", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// handleStatic serves the stylesheet and the scripts. With the version
// its URL names, a file may be kept for good.
func (p *Page) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	v, ok := assetVersions()[name]
	if !ok {
		p.notFound(w, r)
		return
	}
	b, _ := staticFiles.ReadFile("static/" + name)
	h := w.Header()
	switch path.Ext(name) {
	case ".css":
		h.Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		h.Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		h.Set("Content-Type", "image/svg+xml")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	}
	if r.URL.Query().Get("v") == v {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+v+`"`)
	w.Write(b)
}

// humanDuration rounds a duration for people: 840ms, 12.3s, 4m05s.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// shortDigest is a digest's algorithm and first 12 hex digits.
func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// humanBytes renders a size for people, in decimal units as the CLI
// does: 812 B, 1.4 kB.
func humanBytes(n int64) string { return humanize.Bytes(uint64(max(n, 0))) }

// prettyJSON indents a recorded JSON value for reading; numbers stay as
// recorded.
func prettyJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}
