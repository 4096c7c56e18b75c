package page

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/api"
)

// modelsPage lists the models.
type modelsPage struct {
	frame
	Models []pageModel
}

func (p *Page) handleModels(w http.ResponseWriter, r *http.Request) {
	page, err := p.opts.API.Models(r.Context())
	if err != nil {
		p.registryProblem(w, err)
		return
	}
	mp := modelsPage{frame: frame{Title: "Models", Heading: "Models", Section: "models"}}
	for _, m := range page.Models {
		mp.Models = append(mp.Models, pageModel{ModelDetail: m, Champion: championOf(m)})
	}
	p.render(w, http.StatusOK, "models", mp)
}

// modelPage is one model: its versions side by side against the
// champion, and its aliases' history.
type modelPage struct {
	frame
	Model    *api.ModelPage
	Champion int
	// Rows are the versions, newest first, with each metric and its change
	// against the champion's.
	Rows []versionRow
	// Moves are the aliases' moves, newest first.
	Moves []registry.AliasMove
	// Plot pictures the champion's report, if its kind links a picture.
	Plot *plot
}

type versionRow struct {
	registry.ModelVersion
	Href  string
	Cells []metricCell
}

// metricCell is a version's value of a metric and its change against
// the champion's, in words for the eye and for a screen reader.
type metricCell struct {
	Value, Delta, Spoken string
}

func (p *Page) handleModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	m, err := p.opts.API.Model(r.Context(), name)
	if err != nil {
		p.registryProblem(w, err, crumb{"the models", "/models"})
		return
	}
	mp := modelPage{
		frame: frame{Title: m.Name, Heading: "Model " + m.Name, Section: "models", Crumbs: []crumb{{"Models", "/models"}}},
		Model: m, Champion: championOf(m.ModelDetail),
		Plot: p.pageModel(r.Context(), m.ModelDetail).Plot,
	}
	champion := versionOf(m.ModelDetail, mp.Champion)
	for i := len(m.Versions) - 1; i >= 0; i-- {
		v := m.Versions[i]
		mp.Rows = append(mp.Rows, versionRow{ModelVersion: v, Href: versionHref(m.Name, v.Version), Cells: compare(v, champion, m.MetricNames)})
	}
	mp.Moves = slices.Clone(m.History)
	slices.Reverse(mp.Moves)
	p.render(w, http.StatusOK, "model", mp)
}

// versionOf returns the version numbered n, or nil.
func versionOf(m registry.ModelDetail, n int) *registry.ModelVersion {
	for i := range m.Versions {
		if m.Versions[i].Version == n {
			return &m.Versions[i]
		}
	}
	return nil
}

// compare gives v's value of each metric and its change against the
// champion's.
func compare(v registry.ModelVersion, champion *registry.ModelVersion, names []string) []metricCell {
	var out []metricCell
	for _, name := range names {
		x, ok := v.Metrics[name]
		if !ok {
			out = append(out, metricCell{})
			continue
		}
		c := metricCell{Value: strconv.FormatFloat(x, 'g', 4, 64)}
		if champion != nil && champion.Version != v.Version {
			if y, ok := champion.Metrics[name]; ok {
				d := x - y
				c.Delta = strconv.FormatFloat(d, 'f', 4, 64)
				switch {
				case d > 0:
					c.Delta, c.Spoken = "+"+c.Delta, c.Delta+" more than the champion"
				case d < 0:
					c.Delta, c.Spoken = "−"+strings.TrimPrefix(c.Delta, "-"), strings.TrimPrefix(c.Delta, "-")+" less than the champion"
				default:
					c.Delta, c.Spoken = "±0", "the same as the champion"
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// versionHref is the page of a model version.
func versionHref(model string, version int) string {
	return fmt.Sprintf("/models/%s/versions/%d", url.PathEscape(model), version)
}

// versionPage is one model version: its metrics against the champion and
// its lineage as a graph.
type versionPage struct {
	frame
	Model    string
	Version  registry.ModelVersion
	Champion int
	Names    []string
	Cells    []metricCell
	Lineage  drawing
}

func (p *Page) handleVersion(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	back := crumb{"the model", "/models/" + url.PathEscape(name)}
	n, err := strconv.Atoi(strings.TrimPrefix(r.PathValue("version"), "v"))
	if err != nil || n < 1 {
		p.problem(w, http.StatusBadRequest, fmt.Errorf("version %s is not a version number (1, 2, ...)", api.Echo(r.PathValue("version"))), back)
		return
	}
	m, err := p.opts.API.Model(r.Context(), name)
	if err != nil {
		p.registryProblem(w, err, crumb{"the models", "/models"})
		return
	}
	v := versionOf(m.ModelDetail, n)
	if v == nil {
		p.problem(w, http.StatusNotFound, fmt.Errorf("model %s has no version %d", m.Name, n), back)
		return
	}
	g, err := p.opts.API.Lineage(r.Context(), fmt.Sprintf("%s@%d", m.Name, n), false)
	if err != nil {
		p.registryProblem(w, err, back)
		return
	}
	champion := championOf(m.ModelDetail)
	p.render(w, http.StatusOK, "version", versionPage{
		frame: frame{Title: fmt.Sprintf("%s v%d", m.Name, n), Heading: fmt.Sprintf("%s v%d", m.Name, n), Section: "models",
			Crumbs: []crumb{{"Models", "/models"}, {m.Name, "/models/" + url.PathEscape(m.Name)}}},
		Model: m.Name, Version: *v, Champion: champion, Names: m.MetricNames,
		Cells:   compare(*v, versionOf(m.ModelDetail, champion), m.MetricNames),
		Lineage: drawLineage(g),
	})
}
