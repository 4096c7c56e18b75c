package page

import (
	"errors"
	"net/http"
	"strings"

	"github.com/pipe-ml/pipe/engine/serve/api"
)

// problemPage is a page that says what went wrong with a request and
// what to do instead.
type problemPage struct {
	frame
	Code    int
	Message string
	// Next are links to go on from.
	Next []crumb
}

// problem writes a 4xx or 5xx page: the message, and links to go on
// from. A 5xx says no more than that it happened; the log has the error.
func (p *Page) problem(w http.ResponseWriter, code int, err error, next ...crumb) {
	msg := err.Error()
	if code >= 500 && code != http.StatusServiceUnavailable {
		p.opts.Log.Error("answering a page", "error", err)
		msg = "serve failed to answer; the server's log says why."
	}
	msg = strings.TrimPrefix(msg, "registry: ")
	next = append(next, crumb{"the overview", "/"})
	title := http.StatusText(code)
	p.render(w, code, "problem", problemPage{
		frame: frame{Title: title, Heading: title}, Code: code, Message: p.opts.API.Public().Text(msg), Next: next,
	})
}

// registryProblem writes the page for an error of the registry, with the
// status api.ErrorStatus gives it.
func (p *Page) registryProblem(w http.ResponseWriter, err error, next ...crumb) {
	p.problem(w, api.ErrorStatus(err), err, next...)
}

// notFound answers a path serve does not have: a JSON error under /api/,
// else a page.
func (p *Page) notFound(w http.ResponseWriter, r *http.Request) {
	err := errors.New("serve has no page at " + api.Echo(r.URL.Path))
	if strings.HasPrefix(r.URL.Path, "/api/") {
		p.opts.API.WriteError(w, http.StatusNotFound, errors.New(err.Error()+"; the API is /api/status, /api/runs, /api/models and /api/lineage"))
		return
	}
	p.problem(w, http.StatusNotFound, err, crumb{"the runs", "/runs"}, crumb{"the models", "/models"})
}
