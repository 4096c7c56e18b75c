package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/engine/registry"
)

// ModelsPage is the body of /api/models.
type ModelsPage struct {
	Models []registry.ModelDetail `json:"models"`
}

// Models reads every model with its versions and aliases, as they may be
// shown (Public).
func (a *API) Models(ctx context.Context) (ModelsPage, error) {
	page := ModelsPage{Models: []registry.ModelDetail{}}
	err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) error {
		sums, err := db.Models(ctx)
		if err != nil {
			return err
		}
		for _, sum := range sums {
			d, err := db.Model(ctx, sum.Name)
			if err != nil {
				return err
			}
			page.Models = append(page.Models, a.public.Model(*d))
		}
		return nil
	})
	return page, err
}

func (a *API) handleModels(w http.ResponseWriter, r *http.Request) {
	page, err := a.Models(r.Context())
	a.answer(w, page, err)
}

// ModelPage is the body of /api/models/{name}: a model with its versions
// and aliases, and every move of its aliases, oldest first.
type ModelPage struct {
	registry.ModelDetail
	History []registry.AliasMove `json:"history"`
}

// Model reads one model with its versions, aliases and alias history.
func (a *API) Model(ctx context.Context, name string) (*ModelPage, error) {
	if len(name) > maxRef {
		return nil, fmt.Errorf("registry: no model named %s", Echo(name))
	}
	var page ModelPage
	err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) error {
		d, err := db.Model(ctx, name)
		if err != nil {
			return err
		}
		page.ModelDetail = a.public.Model(*d)
		page.History, err = db.AliasHistory(ctx, name, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

func (a *API) handleModel(w http.ResponseWriter, r *http.Request) {
	page, err := a.Model(r.Context(), r.PathValue("name"))
	a.answer(w, page, err)
}

// versionSelector is a version after '@': 3 or v3.
var versionSelector = regexp.MustCompile(`^v?[0-9]+$`)

// maxVersion is the largest version number a reference may name: versions
// count up from 1, one per model published.
const maxVersion = 1<<31 - 1

// CheckRef checks a lineage reference before the registry sees it: not
// empty, not longer than any name, and a version number that fits.
func CheckRef(ref string) error {
	switch {
	case ref == "":
		return errors.New("name what to trace: ?ref=NAME@ALIAS, NAME@VERSION, a file path or a digest")
	case len(ref) > maxRef:
		return fmt.Errorf("ref %s is longer than anything the registry names (%d bytes at most)", Echo(ref), maxRef)
	}
	i := strings.LastIndexByte(ref, '@')
	if i < 0 || !versionSelector.MatchString(ref[i+1:]) {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(ref[i+1:], "v"), 10, 64)
	if err != nil || n < 1 || n > maxVersion {
		return fmt.Errorf("%s names version %s, which no model has: versions are numbered from 1 to %d", Echo(ref), Echo(ref[i+1:]), maxVersion)
	}
	return nil
}

// Lineage reads the lineage of ref, upstream or downstream, as it may be
// shown (Public).
func (a *API) Lineage(ctx context.Context, ref string, downstream bool) (*registry.Graph, error) {
	if err := CheckRef(ref); err != nil {
		return nil, err
	}
	var g *registry.Graph
	err := a.opts.Resources.WithRegistry(ctx, func(db *registry.DB) (err error) {
		if downstream {
			g, err = db.Downstream(ctx, ref, nil)
		} else {
			g, err = db.Upstream(ctx, ref, nil)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	pg := a.public.Graph(*g)
	return &pg, nil
}

func (a *API) handleLineage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ref := q.Get("ref")
	if err := CheckRef(ref); err != nil {
		a.WriteError(w, http.StatusBadRequest, err)
		return
	}
	dir := q.Get("direction")
	if dir != "" && dir != "upstream" && dir != "downstream" {
		a.WriteError(w, http.StatusBadRequest, fmt.Errorf("direction is upstream (the default) or downstream, not %s", Echo(dir)))
		return
	}
	g, err := a.Lineage(r.Context(), ref, dir == "downstream")
	a.answer(w, g, err)
}
