package page

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/access"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
)

// Options configure the pages.
type Options struct {
	// API reads everything the pages show, as the API shows it.
	API *api.API
	// Snapshot returns the last load, or nil.
	Snapshot func() *snapshot.Snapshot
	// Current returns the apply in progress, or nil.
	Current func() *applies.Progress
	// Token is the access token, nil when serve has none: /login takes
	// it and gives a session cookie (engine/serve/access).
	Token *access.Token
	Log   *slog.Logger
}

// Page is serve's pages for people.
type Page struct{ opts Options }

// New returns the pages; Register mounts them.
func New(opts Options) *Page { return &Page{opts: opts} }

// Register adds the pages, their static files and the answer to any
// other path to mux.
func (p *Page) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", p.handlePage)
	mux.HandleFunc("GET /runs", p.handleRuns)
	mux.HandleFunc("GET /runs/{id}", p.handleRun)
	mux.HandleFunc("GET /runs/{id}/steps/{step}", p.handleStep)
	mux.HandleFunc("GET /runs/{id}/steps/{step}/{output}", p.handleOutput)
	mux.HandleFunc("GET /models", p.handleModels)
	mux.HandleFunc("GET /models/{name}", p.handleModel)
	mux.HandleFunc("GET /models/{name}/versions/{version}", p.handleVersion)
	mux.HandleFunc("GET /static/{file}", p.handleStatic)
	mux.HandleFunc("GET /login", p.handleSignIn)
	mux.HandleFunc("POST /login", p.handleSignIn)
	mux.HandleFunc("GET /", p.notFound)
}

// pageRuns is how many runs the overview shows.
const pageRuns = 10

// championAlias is the alias whose report's plot the overview shows, and
// that the model pages compare versions with.
const championAlias = "champion"

// pageData is what the overview shows.
type pageData struct {
	frame
	Status      api.Status
	Diagnostics string
	Runs        []registry.RunSummary
	Models      []pageModel
	Error       string
}

type pageModel struct {
	registry.ModelDetail
	// Champion is the version the champion alias points at (0: none);
	// Plot the picture of its report, if the kind that made the report
	// links one.
	Champion int
	Plot     *plot
}

// plot is an image the page shows: where it is and what it shows.
type plot struct {
	URL, Title string
}

// MetricOf is used by the template: a version's metric, or "".
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
	d.frame = frame{Title: d.Status.Pipeline, Heading: d.Status.Pipeline, Section: "overview", Refresh: 30}
	if l := p.opts.Snapshot(); l != nil && !l.Valid {
		var b bytes.Buffer
		diags, src := p.opts.API.Diagnostics(l)
		diagfmt.Text(&b, diags, src, false)
		d.Diagnostics = b.String()
	}
	runs, err := p.opts.API.Runs(ctx, registry.RunQuery{Limit: pageRuns})
	d.Runs = runs.Runs
	if err == nil {
		var page api.ModelsPage
		page, err = p.opts.API.Models(ctx)
		for _, m := range page.Models {
			d.Models = append(d.Models, p.pageModel(ctx, m))
		}
	}
	if err != nil {
		d.Error = p.opts.API.Public().Text(err.Error())
	}
	p.render(w, http.StatusOK, "page", d)
}

// pageModel finds the champion's plot: the image its report's summary
// links.
func (p *Page) pageModel(ctx context.Context, m registry.ModelDetail) pageModel {
	pm := pageModel{ModelDetail: m, Champion: championOf(m)}
	for _, v := range m.Versions {
		if v.Version != pm.Champion || v.ReportDigest == "" {
			continue
		}
		s, err := p.opts.API.Summary(ctx, v.ReportDigest)
		if err != nil {
			p.opts.Log.Warn("reading the champion's report", "model", m.Name, "version", v.Version, "error", err)
			break
		}
		if img := api.Plot(s); img != nil {
			pm.Plot = &plot{URL: "/artifacts/" + img.Digest, Title: img.Title}
		}
	}
	return pm
}

// championOf is the version the champion alias points at, or 0.
func championOf(m registry.ModelDetail) int {
	for _, a := range m.Aliases {
		if a.Name == championAlias {
			return a.Version
		}
	}
	return 0
}
