// Package page is pipe serve's status page at /: the pipeline and its
// validity (with the diagnostics when it does not load), the apply in
// progress, the latest runs with their steps, and every model with its
// versions' metrics side by side and the champion's plot.
//
// The page is server-rendered HTML (html/template, page.html embedded),
// refreshed by the browser every 30 seconds, with no script and nothing
// from another origin: its Content-Security-Policy allows images from
// serve itself and inline styles only. What it shows of a report it
// learns from engine/serve/api, which asks the kinds (steps.Catalog)
// rather than reading any kind's format. The page goes out through the
// redactor in force (engine/serve/redaction).
//
// More pages (a run, a search's trials, a model's versions) belong here,
// one file and one template each, reading through engine/serve/api as
// this one does; engine/serve/api owns the JSON they might share, and
// engine/serve mounts the page with Register.
package page
