package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/serve"
)

type serveCmd struct{}

func (*serveCmd) Name() string { return "serve" }
func (*serveCmd) Synopsis() string {
	return "Apply when the pipeline or its data change; serve health, metrics, an API and a status page"
}
func (*serveCmd) Usage() string {
	return `Usage: pipe serve [options] [PATH]

Runs as a long-lived server for the pipeline in PATH (default the current
folder), as the Kubernetes Deployment does. It watches the pipeline folder
(a ConfigMap mount works: its ..data swaps are seen) and the folders the
pipeline reads its data from, and applies after they have been quiet for
-debounce when a step would run and the inputs differ from those last
applied: touching a file without changing it runs nothing. With -schedule
it also applies at the times of a cron expression, as the nightly CronJob
would. Applies never overlap, and one never runs beside another process's
apply: when the state lock is held, serve checks again after -lock-retry.
Runs are recorded with the trigger watch or schedule.

A pipeline that does not load is never run, neither in its new form nor
in its last good one: /readyz fails with the diagnostics until it is fixed.

` + serveEndpoints + `On SIGTERM or Ctrl-C serve stops taking triggers, cancels the apply in
progress (after -grace), which is recorded as cancelled with what
finished in the cache, and exits 0.

Options:
  -addr=HOST:PORT     Where to listen. Default ` + serve.DefaultAddr + `.
  -watch=false        Do not watch files (and do not check at start): apply
                      only on -schedule, or never, and serve the endpoints
                      (for runs made by a CronJob).
  -debounce=DUR       How long watched folders must be quiet before a
                      change is checked. Default ` + serve.DefaultDebounce.String() + `.
  -poll=DUR           Also check for changes at this interval (e.g. 5m):
                      file events do not report writes made by another
                      machine to a network file system (NFS, EFS, a
                      mounted bucket). Default 0: events only.
  -schedule=CRON      Also apply at these times: five fields, minute hour
                      day-of-month month day-of-week ("0 2 * * *" is 02:00
                      every day), or @daily, @hourly, @weekly, @monthly.
                      Such a run is recorded even when every step is cached.
  -schedule-tz=ZONE   Time zone of -schedule. Default UTC.
` + arguments.ParallelismHelp + `  -grace=DUR          On SIGTERM, let a running apply go on this long
                      before cancelling it. Default 0: cancel at once.
  -lock-retry=DUR     When another apply holds the state lock, check again
                      after this long. Default ` + serve.DefaultLockRetry.String() + `.
  -token-file=FILE    Ask for the token in FILE (one line; a Kubernetes
                      Secret can supply it) before answering the API and
                      the pages: Authorization: Bearer TOKEN, or sign in on
                      /login once in a browser. /healthz and /readyz stay
                      open (/readyz then says which check failed, not why).
  -metrics-token-file=FILE
                      Ask for this token on /metrics (Prometheus's
                      authorization.credentials_file). Default: open.
` + arguments.WorkspaceHelp + arguments.ExecutorHelp + `  -no-color           Never colour the output.

Environment: PIPE_STORE, PIPE_STATE_DIR, PIPE_REGISTRY and PIPE_VAR_NAME as
for apply; PIPE_LOG=debug|info|warn|error sets the log level (default info
for serve). PIPE_TRIGGER is ignored: serve's runs are watch or schedule.

Examples:
  pipe serve
  pipe serve -addr=127.0.0.1:9090 -debounce=2s examples/quickstart
  pipe serve -schedule="0 2 * * *" /etc/pipe/pipelines
  pipe serve -watch=false -schedule="@hourly" -schedule-tz=Europe/Paris
  pipe serve -poll=5m -var 'data_dir=/mnt/nfs/corpus'
`
}

// serveEndpoints lists what serve answers, for its usage.
const serveEndpoints = `Endpoints (on -addr):
  /healthz             200 while the process is alive
  /readyz              200 when the pipeline loads and the store and the
                       registry answer; else 503 naming the failing check
                       (?format=json for JSON)
  /metrics             Prometheus metrics (pipe_runs_total and friends)
  /api/status          the server's state, as JSON
  /api/runs            runs, newest first, 50 a page (?pipeline=&status=
                       &trigger=&limit=; ?before=ID for older ones)
  /api/runs/ID         one run with its steps (/events: server-sent
                       events while it runs)
  /api/models          models with their versions, metrics and aliases
  /api/models/NAME     one model with its aliases' history
  /api/lineage?ref=R   lineage of NAME@ALIAS, NAME@VERSION, a file or a
                       digest (&direction=downstream)
  /                    pages for people: the overview, /runs, a run's
                       graph and timeline, its steps, /models, a model's
                       versions against the champion and alias history

`

func (*serveCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseServe(args)
	if err != nil {
		return err
	}
	view := views.NewServe(c.view(a.View))
	if _, err := os.Stat(a.Path); err != nil {
		return withHint(fmt.Errorf("no pipeline at %s: %w", a.Path, errors.Unwrap(err)), "give the folder that holds the *.pipe.hcl files")
	}
	s, err := serve.New(serve.Options{
		Workspace:        c.workspaceOptions(a.Path, a.Workspace),
		PipeVersion:      currentBuild().Version,
		Parallelism:      a.Parallelism,
		Executors:        c.executors,
		Watch:            a.Watch,
		Debounce:         a.Debounce,
		Poll:             a.Poll,
		Schedule:         a.Schedule,
		Grace:            a.Grace,
		LockRetry:        a.LockRetry,
		TokenFile:        a.TokenFile,
		MetricsTokenFile: a.MetricsTokenFile,
		Logger:           c.serveLogger(),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Addr)
	if err != nil {
		return withHint(fmt.Errorf("cannot listen on %s: %w", a.Addr, errors.Unwrap(err)), "choose another port with -addr=:PORT")
	}
	view.Listening(listenURL(ln.Addr()))
	if err := s.Run(ctx, ln); err != nil {
		return err
	}
	view.Stopped()
	return nil
}

// listenURL names the address a person can open: the port on localhost
// when listening on every interface.
func listenURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}

// serveLogger is the CLI's logger, at info level unless PIPE_LOG says
// otherwise: a server's log is its record of what it did.
func (c *cli) serveLogger() *slog.Logger {
	if c.getenv("PIPE_LOG") != "" {
		return c.logger()
	}
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if f, ok := c.stderr.(*os.File); ok && c.color(f) {
		return slog.New(slog.NewTextHandler(c.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(c.stderr, opts))
}
