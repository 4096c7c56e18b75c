// Package access is who may read pipe serve: an optional bearer token,
// read from a file so that a Kubernetes Secret mounted as a volume can
// supply it (and rotate it: the file is read again when it changes).
//
// With a token (serve.Options.TokenFile, `pipe serve -token-file`), the
// JSON API, /artifacts and the pages answer only a request that carries
// it: as "Authorization: Bearer TOKEN" (scripts, curl), or as the session
// cookie a person gets by giving the token once on /login. The cookie
// holds an HMAC of the token, not the token; it is HttpOnly, SameSite
// Strict, Secure over TLS, and dies when the token changes. Without the
// token the API answers 401 with a JSON error and the pages 401 with the
// sign-in form.
//
// The probes stay open for the kubelet: /healthz, and /readyz, which
// then says which checks failed but not why (their errors and the
// pipeline's diagnostics go to callers with the token). /metrics stays
// open, or takes a token of its own (MetricsTokenFile, as Prometheus's
// authorization.credentials_file sends it). The stylesheet, scripts and
// icon (/static/) and /login are open. Tokens are compared in constant
// time.
//
// engine/serve wraps its handler in Guard; engine/serve/page draws the
// sign-in form and sets the cookie (Token.Cookie); engine/serve/api asks
// Allowed whether /readyz may show details.
package access
