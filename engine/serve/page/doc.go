// Package page is pipe serve's pages for people, server-rendered HTML
// (html/template; templates, stylesheet and scripts embedded in the
// binary):
//
//	/                           the overview: the pipeline and its validity,
//	                            the apply in progress, the latest runs, the
//	                            models with the champion's plot
//	/runs                       every run, 50 a page, filtered by pipeline,
//	                            status and trigger (a plain form), with
//	                            links to older and newer pages
//	/runs/{id}                  a run: its steps as a graph (SVG drawn here
//	                            from the engine's graph, engine/dag), each
//	                            coloured by how it went and linking its page;
//	                            a timeline of when each ran; a table of them
//	/runs/{id}/steps/{step}     a step: configuration as evaluated, outputs,
//	                            artifacts with digests, warnings, the error,
//	                            where it ran
//	/runs/{id}/steps/{step}/{output}
//	                            an artifact it made, with what its kind says
//	                            it holds (a search's trials: a sortable table
//	                            and a plot)
//	/models, /models/{name}     the models; a model's versions side by side
//	                            with each metric's change against the
//	                            champion, and its aliases' history
//	/models/{name}/versions/{v} a version, and its lineage as a graph
//
// A run in progress updates itself: live.js follows the run's server-sent
// events (engine/serve/api, from engine/serve/applies) and recolours its
// steps; with scripts off the page reloads every 5 seconds instead.
// Every control is a link, a button or a form field and works without
// scripts; focus is always visible; colours meet WCAG AA.
//
// Pages send a strict Content-Security-Policy (ContentSecurityPolicy):
// nothing from another origin, no inline script or style. A bad request
// (a run that does not exist, a malformed parameter) gets a 4xx page that
// says what is wrong and where to go on from; serve's own failures a 500
// that says no more, the details in the log. Pages read everything
// through engine/serve/api, so they show what the API shows; the tests in
// browsertest drive them in headless Chromium. BenchmarkRunsPage and
// BenchmarkRunsPageWalk get /runs from a server over 10,000 runs, each
// filter and every page in turn (the target: under 100 ms a page).
package page
