package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/serve/resources"
)

// maxEcho is how much of a request's own text an error answer quotes.
const maxEcho = 64

// Echo quotes text from a request for an error answer: at most maxEcho
// bytes of it, cut on a character boundary, with how much was left out.
func Echo(s string) string { return diagfmt.Clip(s, maxEcho) }

// maxRef caps a reference (a model, a digest, a file path): the longest
// that can name anything is far shorter.
const maxRef = 1024

// ErrorStatus says which HTTP status an error from the registry or the store
// calls for: 503 while no registry is known, 404 for a thing that is not
// there, 400 for a question the registry cannot take (a malformed
// reference, an ambiguous digest), else 500.
func ErrorStatus(err error) int {
	if errors.Is(err, resources.ErrNotLoaded) {
		return http.StatusServiceUnavailable
	}
	msg := err.Error()
	for _, s := range notFound {
		if strings.Contains(msg, s) {
			return http.StatusNotFound
		}
	}
	for _, s := range badRequest {
		if strings.Contains(msg, s) {
			return http.StatusBadRequest
		}
	}
	return http.StatusInternalServerError
}

// What the registry says when a thing is not there, and when a question
// is malformed; tests ask each endpoint for both kinds.
var (
	notFound = []string{
		"registry: no ", "nothing in the registry matches", " has no version", " has no versions",
		" has no alias", "is not in the registry", "no file recorded at that path",
	}
	badRequest = []string{
		"is not a model reference", "is not a sha256 digest", "is too short", "is ambiguous",
		"is not valid", "is not one of",
	}
)

// registryError writes err with the status ErrorStatus gives it. A 500 is
// logged, and its answer says no more than that it happened: its text
// may name the server's files.
func (a *API) registryError(w http.ResponseWriter, err error) {
	code := ErrorStatus(err)
	if code == http.StatusInternalServerError {
		a.opts.Log.Error("answering from the registry", "error", err)
		a.WriteError(w, code, errors.New("serve: the registry failed to answer; the server's log says why"))
		return
	}
	a.WriteError(w, code, errors.New(a.public.Text(err.Error())))
}

// answer writes v, or the error the registry or the store gave instead.
func (a *API) answer(w http.ResponseWriter, v any, err error) {
	if err != nil {
		a.registryError(w, err)
		return
	}
	a.WriteJSON(w, http.StatusOK, v)
}
