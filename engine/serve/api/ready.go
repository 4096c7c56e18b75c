package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
	"github.com/pipe-ml/pipe/engine/store"
)

// readyTimeout bounds each readiness check; Kubernetes' probe gives up
// after its own timeout (5 s in the manifests).
const readyTimeout = 3 * time.Second

// Readiness is the body of /readyz.
type Readiness struct {
	Ready  bool         `json:"ready"`
	Checks []ReadyCheck `json:"checks"`
}

// ReadyCheck is one check of /readyz: "pipeline", "store", "registry" or
// "shutdown".
type ReadyCheck struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Diagnostics are the pipeline's, when it does not load.
	Diagnostics []diagfmt.JSONDiagnostic `json:"diagnostics,omitempty"`
	// Text is the diagnostics rendered as `pipe validate` prints them.
	Text string `json:"text,omitempty"`
}

// readiness runs the checks.
func (a *API) readiness(ctx context.Context) Readiness {
	l, closing := a.opts.Snapshot(), a.opts.Closing()
	var rd Readiness
	add := func(c ReadyCheck) { rd.Checks = append(rd.Checks, c) }

	pc := ReadyCheck{Name: "pipeline", OK: l != nil && l.Valid}
	switch {
	case l == nil:
		pc.Error = "the pipeline has not been read yet"
	case !l.Valid:
		diags, src := a.Diagnostics(l)
		pc.Error = l.NotLoading()
		pc.Diagnostics = diagfmt.JSON(diags, src)
		var b bytes.Buffer
		diagfmt.Text(&b, diags, src, false)
		pc.Text = b.String()
	}
	add(pc)

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	sc := ReadyCheck{Name: "store", OK: true}
	if err := a.opts.Resources.WithStore(ctx, func(st *store.Store) error { return st.Ping(ctx) }); err != nil {
		sc.OK, sc.Error = false, a.checkError(l, err)
	}
	add(sc)
	rc := ReadyCheck{Name: "registry", OK: true}
	if err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) error {
		_, err := db.Runs(ctx, registry.RunFilter{Limit: 1})
		return err
	}); err != nil {
		rc.OK, rc.Error = false, a.checkError(l, err)
	}
	add(rc)
	if closing {
		add(ReadyCheck{Name: "shutdown", Error: "serve is shutting down"})
	}
	rd.Ready = true
	for _, c := range rd.Checks {
		rd.Ready = rd.Ready && c.OK
	}
	return rd
}

// checkError is a failed check's error as /readyz shows it: without the
// values of sensitive variables (a store's URL may come from one) and
// with paths as Public shows them.
func (a *API) checkError(l *snapshot.Snapshot, err error) string {
	if l != nil {
		err = l.Redactor.Error(err)
	}
	return a.public.Text(err.Error())
}

func (a *API) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (a *API) handleReady(w http.ResponseWriter, r *http.Request) {
	rd := a.readiness(r.Context())
	if !a.opts.Token.Allowed(r) {
		// The kubelet needs the status alone; why is for those with the
		// token.
		for i := range rd.Checks {
			rd.Checks[i].Error, rd.Checks[i].Diagnostics, rd.Checks[i].Text = "", nil, ""
		}
	}
	code := http.StatusOK
	if !rd.Ready {
		code = http.StatusServiceUnavailable
	}
	if wantsJSON(r) {
		a.WriteJSON(w, code, rd)
		return
	}
	var b strings.Builder
	if rd.Ready {
		fmt.Fprintln(&b, "ready")
	} else {
		fmt.Fprintln(&b, "not ready")
	}
	for _, c := range rd.Checks {
		if c.OK {
			fmt.Fprintf(&b, "%s: ok\n", c.Name)
			continue
		}
		if c.Error == "" {
			fmt.Fprintf(&b, "%s: failed\n", c.Name)
			continue
		}
		fmt.Fprintf(&b, "%s: failed: %s\n", c.Name, c.Error)
		if c.Text != "" {
			fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(c.Text, "\n"))
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, b.String())
}

// wantsJSON reports whether the client asked for JSON: ?format=json or an
// Accept header naming application/json.
func wantsJSON(r *http.Request) bool {
	return r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
}
