package arguments

import (
	"runtime"
	"strings"
	"time"
	_ "time/tzdata" // -schedule-tz works in an image without zoneinfo

	"github.com/pipe-ml/pipe/engine/serve"
	"github.com/pipe-ml/pipe/engine/serve/trigger"
)

// Serve is pipe serve's command line.
type Serve struct {
	View
	Workspace
	// Path is the pipeline folder.
	Path string
	// Addr is -addr: where to listen.
	Addr string
	// Watch is -watch (default on): apply when watched files change.
	Watch bool
	// Debounce is -debounce: how long watched folders must be quiet.
	Debounce time.Duration
	// Poll is -poll: also check at this interval; 0 for events only.
	Poll time.Duration
	// Schedule is -schedule in -schedule-tz, nil without one.
	Schedule *trigger.Schedule
	// Parallelism is -parallelism, as for apply.
	Parallelism int
	// Grace is -grace: how long a running apply may go on after SIGTERM.
	Grace time.Duration
	// LockRetry is -lock-retry: when the state lock is held, check again
	// after this long.
	LockRetry time.Duration
	// TokenFile is -token-file: the API's and the pages' access token;
	// MetricsTokenFile is -metrics-token-file, /metrics' own.
	TokenFile, MetricsTokenFile string
}

// ParseServe parses pipe serve's arguments.
func ParseServe(args []string) (*Serve, error) {
	a := &Serve{}
	fs := newFlags("serve")
	fs.StringVar(&a.Addr, "addr", serve.DefaultAddr, "")
	fs.BoolVar(&a.Watch, "watch", true, "")
	fs.DurationVar(&a.Debounce, "debounce", serve.DefaultDebounce, "")
	fs.DurationVar(&a.Poll, "poll", 0, "")
	schedule := fs.String("schedule", "", "")
	scheduleTZ := fs.String("schedule-tz", "UTC", "")
	fs.IntVar(&a.Parallelism, "parallelism", runtime.NumCPU(), "")
	fs.DurationVar(&a.Grace, "grace", 0, "")
	fs.DurationVar(&a.LockRetry, "lock-retry", serve.DefaultLockRetry, "")
	fs.StringVar(&a.TokenFile, "token-file", "", "")
	fs.StringVar(&a.MetricsTokenFile, "metrics-token-file", "", "")
	a.Workspace.register(fs)
	a.Workspace.registerExecutor(fs)
	var err error
	if a.Path, err = parsePath(fs, args, &a.View); err != nil {
		return nil, err
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	if *schedule != "" {
		if a.Schedule, err = parseSchedule(*schedule, *scheduleTZ); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// check refuses durations and parallelism serve cannot work with.
func (a *Serve) check() error {
	switch {
	case a.Parallelism < 1:
		return checkParallelism(a.Parallelism)
	case a.Debounce <= 0:
		return errorf("-debounce="+serve.DefaultDebounce.String(), "-debounce must be positive, not %s", a.Debounce)
	case a.LockRetry <= 0:
		return errorf("-lock-retry="+serve.DefaultLockRetry.String(), "-lock-retry must be positive, not %s", a.LockRetry)
	case a.Poll < 0:
		return errorf("-poll=5m, or 0 for file events only", "-poll must not be negative, not %s", a.Poll)
	case a.Grace < 0:
		return errorf("-grace=0 cancels a running apply at once", "-grace must not be negative, not %s", a.Grace)
	}
	return nil
}

// parseSchedule parses -schedule in the time zone -schedule-tz names.
func parseSchedule(expr, zone string) (*trigger.Schedule, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, errorf("use an IANA name such as UTC or Europe/Paris", "-schedule-tz: unknown time zone %q", zone)
	}
	s, err := trigger.ParseSchedule(expr, loc)
	if err != nil {
		return nil, &Error{Msg: strings.TrimPrefix(err.Error(), "serve: "), Try: `-schedule="0 2 * * *" applies at 02:00 every day`}
	}
	return s, nil
}
