package page

import (
	"bytes"
	"context"
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/resources"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
)

// Options configure the page.
type Options struct {
	// API reads the models and the reports' plots.
	API *api.API
	// Resources give the registry the runs are read from.
	Resources *resources.Resources
	// Snapshot returns the last load, or nil.
	Snapshot func() *snapshot.Snapshot
	Log      *slog.Logger
}

// Page is the status page.
type Page struct{ opts Options }

// New returns the page; Register mounts it.
func New(opts Options) *Page { return &Page{opts: opts} }

// Register adds the page at / to mux.
func (p *Page) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", p.handlePage)
}

//go:embed page.html
var pageHTML string

// pageRuns is how many runs the page shows.
const pageRuns = 10

// championAlias is the alias whose ROC plot the page shows.
const championAlias = "champion"

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
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
	"seconds": func(s float64) string { return humanDuration(time.Duration(s * float64(time.Second))) },
	"metric":  func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) },
	"short": func(d string) string {
		if len(d) > 19 {
			return d[:19]
		}
		return d
	},
}).Parse(pageHTML))

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

// pageData is what the template shows.
type pageData struct {
	Status      api.Status
	Diagnostics string
	Runs        []registry.RunDetail
	Models      []pageModel
	Error       string
}

type pageModel struct {
	registry.ModelDetail
	// Champion is the version the champion alias points at (0: none);
	// Plot the URL of its ROC plot, if its report names one.
	Champion int
	Plot     string
}

// metricOf is used by the template: a version's metric, or "".
func (m pageModel) MetricOf(v registry.ModelVersion, name string) string {
	x, ok := v.Metrics[name]
	if !ok {
		return ""
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

func (p *Page) handlePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := pageData{Status: p.opts.API.Status()}
	if l := p.opts.Snapshot(); l != nil && !l.Valid {
		var b bytes.Buffer
		diags, src := p.opts.API.Diagnostics(l)
		diagfmt.Text(&b, diags, src, false)
		d.Diagnostics = b.String()
	}
	runs, err := p.opts.API.Runs(ctx, registry.RunQuery{Limit: pageRuns})
	for _, run := range runs.Runs {
		if err != nil {
			break
		}
		var rd *registry.RunDetail
		if rd, err = p.opts.API.Run(ctx, run.ID); err == nil {
			d.Runs = append(d.Runs, *rd)
		}
	}
	if err == nil {
		var page api.ModelsPage
		page, err = p.opts.API.Models(ctx)
		for _, m := range page.Models {
			d.Models = append(d.Models, p.pageModel(ctx, m))
		}
	}
	if err != nil {
		d.Error = err.Error()
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		p.opts.Log.Error("rendering the status page", "error", err)
		http.Error(w, "the status page failed to render; see the logs", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.Write(b.Bytes())
}

// pageModel finds the champion's plot.
func (p *Page) pageModel(ctx context.Context, m registry.ModelDetail) pageModel {
	pm := pageModel{ModelDetail: m}
	for _, a := range m.Aliases {
		if a.Name == championAlias {
			pm.Champion = a.Version
		}
	}
	for _, v := range m.Versions {
		if v.Version != pm.Champion || v.ReportDigest == "" {
			continue
		}
		plot, err := p.opts.API.PlotOf(ctx, v.ReportDigest)
		if err != nil {
			p.opts.Log.Warn("reading the champion's report", "model", m.Name, "version", v.Version, "error", err)
			break
		}
		if plot != nil {
			pm.Plot = "/artifacts/" + plot.Digest
		}
	}
	return pm
}
