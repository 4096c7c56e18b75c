// Package resources keeps the store and the registry of the last pipeline
// that loaded open for pipe serve's readers: the JSON API and the
// artifacts it serves (engine/serve/api), the page (engine/serve/page) and
// the metrics (engine/serve/metrics). It reopens them when a load names
// other ones (the pipeline's settings changed) and retries one that
// failed to open on the next read, so /readyz recovers by itself when the
// store comes back. The registry is the local index of the log in the
// store; readers bring it up to date (at most once a second), so the page
// and the API show the runs and versions of every machine that shares the
// store.
//
// It also answers whether another process holds the state lock for an
// apply. Applies open their own store and registry (engine/runner, called
// by engine/serve/applies); engine/serve calls Open after each good load.
package resources
