package access

import (
	"net/http"
	"strings"
)

// Rules say what a Guard lets through.
type Rules struct {
	// Token guards the API, /artifacts and the pages; nil guards nothing.
	Token *Token
	// Metrics guards /metrics; nil leaves it open.
	Metrics *Token
	// Denied writes the answer to a request without the token: a JSON
	// error for the API, the sign-in page for a page.
	Denied func(w http.ResponseWriter, r *http.Request)
}

// open are the paths anyone may reach: the probes (the kubelet has no
// token), the sign-in form and the files it needs. /readyz itself keeps
// its details for callers with the token (Token.Allowed).
func open(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/login" || strings.HasPrefix(path, "/static/")
}

// Guard wraps next so that only requests the rules allow reach it.
func Guard(next http.Handler, rules Rules) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := rules.Token
		switch {
		case r.URL.Path == "/metrics":
			token = rules.Metrics
		case open(r.URL.Path):
			token = nil
		}
		if !token.Allowed(r) {
			w.Header().Set("Cache-Control", "no-store")
			rules.Denied(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
