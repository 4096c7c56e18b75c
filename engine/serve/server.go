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
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/redact"
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

// Paths serve answers on. The Kubernetes probes use the first two.
const (
	PathHealth  = "/healthz"
	PathReady   = "/readyz"
	PathMetrics = "/metrics"
)

// Options configure a Server.
type Options struct {
	// Workspace says which pipeline to load and where its store, state
	// folder and registry are (flags and environment). The server loads
	// it afresh for every trigger. Its Env is also what runs record (CI
	// facts); it is never logged.
	Workspace workspace.Options
	// PipeVersion is recorded with each run.
	PipeVersion string
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
	Schedule *Schedule
	// Grace is how long an apply in progress may go on after the context
	// of Run is cancelled before it is cancelled too. Zero cancels it at
	// once.
	Grace time.Duration
	// LockRetry: see DefaultLockRetry. Zero means the default.
	LockRetry time.Duration
	// Logger receives the server's structured logs; nil discards them.
	Logger *slog.Logger
}

// Server is `pipe serve`: the trigger loop and the HTTP handlers. Make one
// with New, then call Run.
type Server struct {
	opts   Options
	log    *slog.Logger
	dir    string // the pipeline folder, absolute
	clock  clock
	kinds  []string
	mux    *http.ServeMux
	met    *metrics
	queue  queue
	report reportCache

	// afterCheck, when set (by tests), is called after each trigger is
	// handled.
	afterCheck func(Check)
	// loadWorkspace is workspace.Resolve; tests wrap it.
	loadWorkspace func(workspace.Options) (*workspace.Workspace, hcl.Diagnostics)

	mu       sync.Mutex
	last     *loaded   // the last load
	goodName string    // the pipeline's name in the last load without errors
	applied  string    // fingerprint of the last plan applied
	check    *Check    // the last check's outcome
	current  *Progress // the apply in progress, or nil
	watch    *watcher  // nil when not watching
	next     time.Time // next scheduled time
	closing  bool

	resMu sync.RWMutex
	res   resources

	// secrets redacts the values of the sensitive variables of the last
	// load that decoded a configuration; nil when there are none.
	secrets atomic.Pointer[redact.Redactor]
}

// clock is time, replaceable in tests.
type clock interface {
	Now() time.Time
	// After is time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// New checks the options and makes a server. It loads nothing yet: Run
// does.
func New(opts Options) (*Server, error) {
	if opts.Workspace.Kinds == nil {
		return nil, errors.New("serve: Options.Workspace.Kinds is required")
	}
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
	path := opts.Workspace.Path
	if path == "" {
		path = "."
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	dir := abs
	if info, err := os.Stat(abs); err == nil && !info.IsDir() {
		dir = filepath.Dir(abs)
	}
	s := &Server{
		opts:  opts,
		dir:   dir,
		clock: realClock{},
		kinds: opts.Workspace.Kinds.Names(),
		queue: newQueue(),

		loadWorkspace: workspace.Resolve,
	}
	// Everything serve and its applies log goes through the redactor.
	s.log = slog.New(redactingHandler{inner: opts.Logger.Handler(), r: s.secrets.Load})
	s.met = newMetrics(s)
	s.routes()
	return s, nil
}

// Handler is the server's HTTP handler, for tests and for callers that
// run their own http.Server.
func (s *Server) Handler() http.Handler { return s.mux }

// Run loads the pipeline, starts the watcher and the schedule, serves HTTP
// on ln and applies on triggers until ctx is cancelled. Then it cancels
// (after Grace) the apply in progress, waits for it to be recorded, shuts
// the HTTP server down and returns nil. It returns an error only when it
// cannot serve or watch at all.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	defer s.closeResources()
	var w *watcher
	if s.opts.Watch {
		var err error
		if w, err = newWatcher(s); err != nil {
			ln.Close()
			return err
		}
	}
	// Load once before serving, so that /readyz, the metrics and the page
	// know the pipeline from the first request.
	s.reload(ctx)
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// runCtx ends the watcher, the schedule and the loop: when ctx ends, or
	// when the HTTP server fails.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	s.log.Info("serving", "addr", ln.Addr().String(), "pipeline_dir", s.dir,
		"watch", s.opts.Watch, "poll", s.opts.Poll.String(), "schedule", scheduleString(s.opts.Schedule))

	// applyCtx outlives ctx by Grace, so a shutdown can let an apply finish.
	applyCtx, cancelApply := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelApply()
	go func() {
		<-runCtx.Done()
		if s.opts.Grace > 0 {
			select {
			case <-s.clock.After(s.opts.Grace):
			case <-applyCtx.Done():
			}
		}
		cancelApply()
	}()

	var wg sync.WaitGroup
	if w != nil {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(runCtx) }()
		s.queue.push(request{trigger: triggerWatch, reason: "start"})
	}
	if s.opts.Schedule != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.schedule(runCtx) }()
	}
	if s.opts.Poll > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); s.poll(runCtx) }()
	}
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); s.loop(runCtx, applyCtx) }()

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
	stop()
	<-loopDone
	cancelApply()
	wg.Wait()
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

// poll pushes a watch trigger every Poll.
func (s *Server) poll(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(s.opts.Poll):
			s.queue.push(request{trigger: triggerWatch, reason: "poll"})
		}
	}
}

func scheduleString(s *Schedule) string {
	if s == nil {
		return ""
	}
	return s.String()
}

// schedule pushes a schedule trigger at each time of the schedule.
func (s *Server) schedule(ctx context.Context) {
	from := s.clock.Now()
	for {
		next := s.opts.Schedule.Next(from)
		if next.IsZero() {
			s.log.Error("the schedule has no next time; scheduled applies stop", "schedule", s.opts.Schedule.String())
			return
		}
		s.mu.Lock()
		s.next = next
		s.mu.Unlock()
		s.log.Debug("next scheduled apply", "at", next.UTC().Format(time.RFC3339))
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(next.Sub(s.clock.Now())):
		}
		s.queue.push(request{trigger: triggerSchedule, reason: "schedule " + s.opts.Schedule.expr})
		from = next
	}
}
