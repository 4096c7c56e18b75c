package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve/access"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/serve/metrics"
	"github.com/pipe-ml/pipe/engine/serve/page"
	"github.com/pipe-ml/pipe/engine/serve/redaction"
	"github.com/pipe-ml/pipe/engine/serve/resources"
	"github.com/pipe-ml/pipe/engine/serve/snapshot"
	"github.com/pipe-ml/pipe/engine/serve/trigger"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// Defaults.
const (
	// DefaultAddr is where serve listens unless told otherwise; the
	// Kubernetes manifests name this port "http".
	DefaultAddr = ":8080"
	// DefaultDebounce is how long watched folders must be quiet before a
	// change is checked.
	DefaultDebounce = 5 * time.Second
	// DefaultLockRetry is how long serve waits before checking again when
	// another apply held the state lock.
	DefaultLockRetry = 30 * time.Second
)

// Options configure a Server.
type Options struct {
	// Workspace says which pipeline to load and where its store, state
	// folder and registry are (flags and environment). The server loads
	// it afresh for every trigger. Its Env is also what runs record (CI
	// facts); it is never logged. Its Kinds describe the artifacts the
	// page shows.
	Workspace workspace.Options
	// PipeVersion is recorded with each run.
	PipeVersion string
	// Executors, when set, gives each apply the executors its steps may
	// run on (runner.Options.Executors), for the workspace it applies.
	Executors func(*workspace.Workspace) map[string]executor.Executor
	// Parallelism bounds the steps of an apply; 0 means the number of
	// CPUs.
	Parallelism int
	// Watch turns on the file trigger, and the check at start.
	Watch bool
	// Debounce: see DefaultDebounce. Zero means the default.
	Debounce time.Duration
	// Poll, when positive, makes a watch check at this interval whatever
	// the file events say: inotify does not see writes made by another
	// machine to a network file system (NFS, EFS, a FUSE-mounted bucket).
	// A check that finds nothing changed is cheap (the stat cache) and
	// runs nothing.
	Poll time.Duration
	// Schedule, when not nil, applies at each of its times.
	Schedule *trigger.Schedule
	// Grace is how long an apply in progress may go on after the context
	// of Run is cancelled before it is cancelled too. Zero cancels it at
	// once.
	Grace time.Duration
	// LockRetry: see DefaultLockRetry. Zero means the default.
	LockRetry time.Duration
	// Logger receives the server's structured logs; nil discards them.
	Logger *slog.Logger
	// TokenFile, when set, names a file holding the access token the API,
	// /artifacts and the pages ask for (engine/serve/access); the probes
	// stay open. MetricsTokenFile, when set, is the token /metrics asks
	// for; without it /metrics is open.
	TokenFile, MetricsTokenFile string

	// clock is time; tests replace it. Nil means the machine's.
	clock trigger.Clock
	// resolve is workspace.Resolve; tests wrap it. Nil means
	// workspace.Resolve.
	resolve func(workspace.Options) (*workspace.Workspace, hcl.Diagnostics)
}

// Server is `pipe serve`: it wires the triggers, the applies and the HTTP
// rooms together. Make one with New, then call Run.
type Server struct {
	opts Options
	log  *slog.Logger
	dir  string // the pipeline folder, absolute

	handler             http.Handler
	token, metricsToken *access.Token // nil when open

	secrets   redaction.Current
	res       resources.Resources
	loader    *snapshot.Loader
	queue     *applies.Queue
	applier   *applies.Applier
	scheduler *trigger.Scheduler // nil without a schedule
	met       *metrics.Metrics

	// stopping is closed when Run begins to shut down: live event streams
	// end then, so that the HTTP server's shutdown need not wait for them.
	stopping chan struct{}

	mu      sync.Mutex
	last    *snapshot.Snapshot // the last load
	watch   *trigger.Watcher   // nil when not watching
	closing bool
}

// New checks the options and makes a server. It loads nothing yet: Run
// does.
func New(opts Options) (*Server, error) {
	if opts.Workspace.Kinds == nil {
		return nil, errors.New("serve: Options.Workspace.Kinds is required")
	}
	defaults(&opts)
	dir, err := pipelineDir(opts.Workspace.Path)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, dir: dir, queue: applies.NewQueue(), stopping: make(chan struct{})}
	s.log = opts.Logger
	if s.token, err = access.Open(opts.TokenFile, s.log); err != nil {
		return nil, err
	}
	if s.metricsToken, err = access.Open(opts.MetricsTokenFile, s.log); err != nil {
		return nil, err
	}
	s.loader = &snapshot.Loader{Dir: dir, Options: opts.Workspace, Resolve: opts.resolve, Now: opts.clock.Now, Log: s.log, Secrets: &s.secrets}
	s.met = metrics.New(metrics.Options{Resources: &s.res, Applying: s.inProgress, Log: s.log})
	s.applier = applies.New(applies.Options{
		Queue: s.queue, Clock: opts.clock, Load: s.reload,
		PipeVersion: opts.PipeVersion, Env: opts.Workspace.Env, Parallelism: opts.Parallelism, Executors: opts.Executors,
		LockRetry: opts.LockRetry, Log: s.log, Applied: s.met.Sync,
	})
	if opts.Schedule != nil {
		s.scheduler = &trigger.Scheduler{Schedule: opts.Schedule, Clock: opts.clock, Push: s.queue.Push, Log: s.log}
	}
	s.routes()
	return s, nil
}

// defaults fills in the options left zero.
func defaults(opts *Options) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.LockRetry <= 0 {
		opts.LockRetry = DefaultLockRetry
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.NumCPU()
	}
	if opts.clock == nil {
		opts.clock = trigger.RealClock{}
	}
	if opts.resolve == nil {
		opts.resolve = workspace.Resolve
	}
}

// pipelineDir is the absolute folder of the pipeline at path (a folder or
// one file).
func pipelineDir(path string) (string, error) {
	if path == "" {
		path = "."
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("serve: %w", err)
	}
	if info, err := os.Stat(abs); err == nil && !info.IsDir() {
		return filepath.Dir(abs), nil
	}
	return abs, nil
}

// routes mounts the rooms: the JSON API with the probes and the
// artifacts, the metrics and the page.
func (s *Server) routes() {
	mux := http.NewServeMux()
	a := api.New(api.Options{Resources: &s.res, Status: s.status, Snapshot: s.snapshot, Closing: s.isClosing, Dir: s.dir,
		Follow: s.applier.Follow, Stopping: func() <-chan struct{} { return s.stopping }, Kinds: s.opts.Workspace.Kinds, Token: s.token, Log: s.log})
	a.Register(mux)
	mux.Handle("GET "+api.PathMetrics, s.met.Handler())
	pg := page.New(page.Options{API: a, Snapshot: s.snapshot, Current: s.applier.Current, Token: s.token, Log: s.log})
	pg.Register(mux)
	s.handler = headers(access.Guard(a.Methods(mux), access.Rules{Token: s.token, Metrics: s.metricsToken, Denied: func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == api.PathMetrics:
			w.Header().Set("WWW-Authenticate", `Bearer realm="pipe serve metrics"`)
			http.Error(w, "serve: /metrics asks for its token (Authorization: Bearer TOKEN)", http.StatusUnauthorized)
		case strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/artifacts/"):
			w.Header().Set("WWW-Authenticate", `Bearer realm="pipe serve"`)
			a.WriteError(w, http.StatusUnauthorized, errors.New("serve: this API asks for its access token: send Authorization: Bearer TOKEN"))
		default:
			pg.SignIn(w, r)
		}
	}}))
}

// headers sets the headers every answer carries, the probes', /metrics'
// and every error's included: browsers must not guess another type than
// the one sent, nor send where a link came from.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// Handler is the server's HTTP handler, for tests and for callers that
// run their own http.Server.
func (s *Server) Handler() http.Handler { return s.handler }

// Run loads the pipeline, starts the watcher and the schedule, serves HTTP
// on ln and applies on triggers until ctx is cancelled. Then it cancels
// (after Grace) the apply in progress, waits for it to be recorded, shuts
// the HTTP server down and returns nil. It returns an error only when it
// cannot serve or watch at all.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	defer s.res.Close()
	if s.opts.Watch {
		if err := s.startWatching(); err != nil {
			ln.Close()
			return err
		}
	}
	// Load once before serving, so that /readyz, the metrics and the page
	// know the pipeline from the first request.
	s.reload(ctx)
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// runCtx ends the triggers and the loop: when ctx ends, or when the
	// HTTP server fails.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	s.log.Info("serving", "addr", ln.Addr().String(), "pipeline_dir", s.dir,
		"watch", s.opts.Watch, "poll", s.opts.Poll.String(), "schedule", scheduleString(s.opts.Schedule))
	applyCtx, cancelApply := s.applyContext(ctx, runCtx)
	defer cancelApply()
	triggers := s.startTriggers(runCtx)
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); s.applier.Loop(runCtx, applyCtx) }()

	var err error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "grace", s.opts.Grace.String())
	case err = <-served:
		err = fmt.Errorf("serve: %w", err)
	}
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	close(s.stopping)
	stop()
	<-loopDone
	cancelApply()
	triggers.Wait()
	return s.shutdown(srv, err)
}

// applyContext returns the context applies run under: it outlives ctx by
// Grace, so a shutdown can let an apply finish.
func (s *Server) applyContext(ctx, runCtx context.Context) (context.Context, context.CancelFunc) {
	applyCtx, cancelApply := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		<-runCtx.Done()
		if s.opts.Grace > 0 {
			select {
			case <-s.opts.clock.After(s.opts.Grace):
			case <-applyCtx.Done():
			}
		}
		cancelApply()
	}()
	return applyCtx, cancelApply
}

// startWatching starts watching the pipeline folder; reload adds the data
// folders of each load.
func (s *Server) startWatching() error {
	w, err := trigger.NewWatcher(trigger.WatcherOptions{
		Dir: s.dir, Debounce: s.opts.Debounce, Clock: s.opts.clock, Push: s.queue.Push, Log: s.log,
		StateDir: s.res.StateDir, RegistryPath: s.res.RegistryPath,
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.watch = w
	s.mu.Unlock()
	return nil
}

// startTriggers runs the watcher (with a check at start), the schedule
// and the poll until ctx ends.
func (s *Server) startTriggers(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	if w := s.watcher(); w != nil {
		wg.Go(func() { w.Run(ctx) })
		s.queue.Push(trigger.Request{Trigger: registry.TriggerWatch, Reason: "start"})
	}
	if s.scheduler != nil {
		wg.Go(func() { s.scheduler.Run(ctx) })
	}
	if s.opts.Poll > 0 {
		wg.Go(func() { trigger.Poll(ctx, s.opts.clock, s.opts.Poll, s.queue.Push) })
	}
	return &wg
}

// shutdown shuts the HTTP server down gracefully and returns err, or the
// shutdown's error.
func (s *Server) shutdown(srv *http.Server, err error) error {
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); serr != nil && err == nil {
		err = fmt.Errorf("serve: shutting down: %w", serr)
	}
	if err == nil {
		s.log.Info("stopped")
	}
	return err
}

func scheduleString(s *trigger.Schedule) string {
	if s == nil {
		return ""
	}
	return s.String()
}
