package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/pipe-ml/pipe/engine/registry"
)

// maxWord is longer than any run status or trigger.
const maxWord = 32

// DefaultRunPage is how many runs a page of /api/runs holds unless
// ?limit says otherwise (at most registry.MaxRunPage).
const DefaultRunPage = 50

// RunsPage is the body of /api/runs: a page of runs, newest first, and
// the links to the pages beside it.
type RunsPage struct {
	Runs []registry.RunSummary `json:"runs"`
	// Older and Newer are the query strings of the pages of older and
	// newer runs ("pipeline=x&before=120"), empty when there is none.
	Older string `json:"older,omitempty"`
	Newer string `json:"newer,omitempty"`
}

// ParseRunQuery reads a runs list's query: pipeline, status, trigger,
// before or after (a run ID) and limit. It returns an error that names
// the parameter and what it takes.
func ParseRunQuery(v url.Values) (registry.RunQuery, error) {
	q := registry.RunQuery{Pipeline: v.Get("pipeline"), Status: v.Get("status"), Trigger: v.Get("trigger"), Limit: DefaultRunPage}
	if len(q.Pipeline) > maxRef {
		return q, fmt.Errorf("pipeline %s is longer than any pipeline's name", Echo(q.Pipeline))
	}
	// The registry quotes a status or trigger it does not know whole.
	for name, s := range map[string]string{"status": q.Status, "trigger": q.Trigger} {
		if len(s) > maxWord {
			return q, fmt.Errorf("%s %s is not one of those a run may have; leave it out for every run", name, Echo(s))
		}
	}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"before", &q.Before}, {"after", &q.After}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 1 {
				return q, fmt.Errorf("%s must be a run ID, a positive whole number, not %s", p.name, Echo(s))
			}
			*p.to = n
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > registry.MaxRunPage {
			return q, fmt.Errorf("limit must be a whole number from 1 to %d, not %s", registry.MaxRunPage, Echo(s))
		}
		q.Limit = n
	}
	if err := q.Check(); err != nil {
		return q, errors.New(registryText(err))
	}
	return q, nil
}

// registryText is a registry error's message without its prefix, for a
// person who asked through serve.
func registryText(err error) string {
	msg := err.Error()
	if len(msg) > len("registry: ") && msg[:len("registry: ")] == "registry: " {
		return msg[len("registry: "):]
	}
	return msg
}

// RunQueryString is the query string that asks for q: filters, the
// cursor, and the limit when it is not the default.
func RunQueryString(q registry.RunQuery) string {
	v := url.Values{}
	for name, s := range map[string]string{"pipeline": q.Pipeline, "status": q.Status, "trigger": q.Trigger} {
		if s != "" {
			v.Set(name, s)
		}
	}
	if q.Before > 0 {
		v.Set("before", strconv.FormatInt(q.Before, 10))
	}
	if q.After > 0 {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	if q.Limit != DefaultRunPage && q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v.Encode()
}

// Runs reads a page of runs, as they may be shown (Public).
func (a *API) Runs(ctx context.Context, q registry.RunQuery) (RunsPage, error) {
	var p *registry.RunPage
	err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) (err error) {
		p, err = db.RunPage(ctx, q)
		return err
	})
	if err != nil {
		return RunsPage{}, err
	}
	page := RunsPage{Runs: make([]registry.RunSummary, len(p.Runs))}
	for i, r := range p.Runs {
		r.Run = a.public.Run(r.Run)
		page.Runs[i] = r
	}
	if p.Older > 0 {
		o := q
		o.Before, o.After = p.Older, 0
		page.Older = RunQueryString(o)
	}
	if p.Newer > 0 {
		n := q
		n.Before, n.After = 0, p.Newer
		page.Newer = RunQueryString(n)
	}
	return page, nil
}

func (a *API) handleRuns(w http.ResponseWriter, r *http.Request) {
	q, err := ParseRunQuery(r.URL.Query())
	if err != nil {
		a.WriteError(w, http.StatusBadRequest, err)
		return
	}
	page, err := a.Runs(r.Context(), q)
	a.answer(w, page, err)
}

// ParseRunID reads a run ID from a path.
func ParseRunID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("run ID %s is not a positive whole number; /api/runs lists the runs", Echo(s))
	}
	return id, nil
}

// Run reads one run with its executions, as it may be shown (Public).
func (a *API) Run(ctx context.Context, id int64) (*registry.RunDetail, error) {
	var d *registry.RunDetail
	err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) (err error) {
		d, err = db.Run(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	pd := a.public.RunDetail(*d)
	return &pd, nil
}

func (a *API) handleRun(w http.ResponseWriter, r *http.Request) {
	id, err := ParseRunID(r.PathValue("id"))
	if err != nil {
		a.WriteError(w, http.StatusBadRequest, err)
		return
	}
	d, err := a.Run(r.Context(), id)
	a.answer(w, d, err)
}

// RunPipelines returns the names of the pipelines that have runs.
func (a *API) RunPipelines(ctx context.Context) ([]string, error) {
	var names []string
	err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) (err error) {
		names, err = db.RunPipelines(ctx)
		return err
	})
	return names, err
}
