package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"time"
	_ "time/tzdata" // -schedule-tz works in an image without zoneinfo

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/serve"
	"github.com/pipe-ml/pipe/engine/serve/trigger"
	"github.com/pipe-ml/pipe/engine/workspace"
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

Endpoints (on -addr):
  /healthz             200 while the process is alive
  /readyz              200 when the pipeline loads and the store and the
                       registry answer; else 503 naming the failing check
                       (?format=json for JSON)
  /metrics             Prometheus metrics (pipe_runs_total and friends)
  /api/status          the server's state, as JSON
  /api/runs            runs, newest first (?limit=50&pipeline=&status=)
  /api/runs/ID         one run with its steps
  /api/models          models with their versions, metrics and aliases
  /api/lineage?ref=R   lineage of NAME@ALIAS, NAME@VERSION, a file or a
                       digest (&direction=downstream)
  /                    a status page: runs, models, the champion's ROC

On SIGTERM or Ctrl-C serve stops taking triggers, cancels the apply in
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
  -parallelism=N      Steps run at once, and the cores each may use.
                      Default: the number of CPUs (` + fmt.Sprint(runtime.NumCPU()) + ` here).
  -grace=DUR          On SIGTERM, let a running apply go on this long
                      before cancelling it. Default 0: cancel at once.
  -lock-retry=DUR     When another apply holds the state lock, check again
                      after this long. Default ` + serve.DefaultLockRetry.String() + `.
` + workspaceUsage + `  -no-color           Never colour the output.

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

func (cmd *serveCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", serve.DefaultAddr, "")
	watch := fs.Bool("watch", true, "")
	debounce := fs.Duration("debounce", serve.DefaultDebounce, "")
	poll := fs.Duration("poll", 0, "")
	schedule := fs.String("schedule", "", "")
	scheduleTZ := fs.String("schedule-tz", "UTC", "")
	parallelism := fs.Int("parallelism", runtime.NumCPU(), "")
	grace := fs.Duration("grace", 0, "")
	lockRetry := fs.Duration("lock-retry", serve.DefaultLockRetry, "")
	var wf workspaceFlags
	wf.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	path, err := onePath(args, cmd.Usage())
	if err != nil {
		return err
	}
	switch {
	case *parallelism < 1:
		return withHint(fmt.Errorf("-parallelism must be at least 1, not %d", *parallelism), "-parallelism=%d", runtime.NumCPU())
	case *debounce <= 0:
		return withHint(fmt.Errorf("-debounce must be positive, not %s", *debounce), "-debounce=%s", serve.DefaultDebounce)
	case *lockRetry <= 0:
		return withHint(fmt.Errorf("-lock-retry must be positive, not %s", *lockRetry), "-lock-retry=%s", serve.DefaultLockRetry)
	case *poll < 0:
		return withHint(fmt.Errorf("-poll must not be negative, not %s", *poll), "-poll=5m, or 0 for file events only")
	case *grace < 0:
		return withHint(fmt.Errorf("-grace must not be negative, not %s", *grace), "-grace=0 cancels a running apply at once")
	}
	var sched *trigger.Schedule
	if *schedule != "" {
		loc, err := time.LoadLocation(*scheduleTZ)
		if err != nil {
			return withHint(fmt.Errorf("-schedule-tz: unknown time zone %q", *scheduleTZ), "use an IANA name such as UTC or Europe/Paris")
		}
		if sched, err = trigger.ParseSchedule(*schedule, loc); err != nil {
			return withHint(errors.New(strings.TrimPrefix(err.Error(), "serve: ")), "-schedule=\"0 2 * * *\" applies at 02:00 every day")
		}
	}
	if _, err := os.Stat(path); err != nil {
		return withHint(fmt.Errorf("no pipeline at %s: %w", path, errors.Unwrap(err)), "give the folder that holds the *.pipe.hcl files")
	}

	s, err := serve.New(serve.Options{
		Workspace: workspace.Options{
			Path:     path,
			Kinds:    c.kinds,
			Vars:     eval.VarInputs{Env: c.env, Args: wf.vars.args},
			Store:    wf.store,
			StateDir: wf.stateDir,
			Registry: wf.registry,
			Env:      c.env,
		},
		PipeVersion: currentBuild().Version,
		Parallelism: *parallelism,
		Watch:       *watch,
		Debounce:    *debounce,
		Poll:        *poll,
		Schedule:    sched,
		Grace:       *grace,
		LockRetry:   *lockRetry,
		Logger:      c.serveLogger(),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return withHint(fmt.Errorf("cannot listen on %s: %w", *addr, errors.Unwrap(err)), "choose another port with -addr=:PORT")
	}
	fmt.Fprintf(c.stdout, "Serving on http://%s (status page /, metrics /metrics). Stop with Ctrl-C or SIGTERM.\n", listenURL(ln.Addr()))
	if err := s.Run(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "Stopped.")
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
