package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/lock"
	"github.com/pipe-ml/pipe/engine/runner"
)

// Exit codes. They follow Terraform's where Terraform has one.
const (
	exitOK      = 0
	exitError   = 1 // any failure, including invalid pipelines
	exitChanges = 2 // plan -detailed-exitcode: something would run
	exitFormat  = 3 // fmt -check: a file is not formatted
	// step exec: the step failed by itself, and the worker refused its
	// document; a remote executor retries neither (engine/executor).
	exitStepFailed = executor.ExitStepFailed // 4
	exitRefused    = executor.ExitRefused    // 5
)

// exitErr ends a command with an exit code, everything already printed.
type exitErr struct {
	code int
}

func (e *exitErr) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// errReported is returned after diagnostics were printed: exit 1, print
// nothing more.
var errReported = &exitErr{code: exitError}

// hintErr is an error with a suggestion of what to try.
type hintErr struct {
	err error
	try string
}

func (e *hintErr) Error() string { return e.err.Error() }
func (e *hintErr) Unwrap() error { return e.err }

// withHint wraps err with a "Try:" line.
func withHint(err error, format string, args ...any) error {
	return &hintErr{err: err, try: fmt.Sprintf(format, args...)}
}

// exitCode prints err, if it has anything left to say, and returns the
// code the process exits with. It is the only place errors become codes.
// usage is the command's: a request for help prints it to stdout, a
// command line the command cannot run to stderr after the error.
func exitCode(stdout, stderr io.Writer, usage string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, arguments.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	var ae *arguments.Error
	if errors.As(err, &ae) {
		fmt.Fprintf(stderr, "Error: %s\n", ae.Msg)
		if ae.Try != "" {
			fmt.Fprintf(stderr, "Try: %s\n", ae.Try)
		}
		if ae.Usage {
			fmt.Fprintf(stderr, "\n%s", usage)
		}
		return exitError
	}
	var (
		held  *lock.HeldError
		stale *runner.StaleError
	)
	switch {
	case errors.Is(err, runner.ErrInvalid):
		// The diagnostics were printed.
		return exitError
	case errors.As(err, &held):
		fmt.Fprintf(stderr, "Error: %s\n", strings.TrimPrefix(err.Error(), "lock: "))
		return exitError
	case errors.As(err, &stale):
		fmt.Fprintf(stderr, "Error: %s\n", stale.Error())
		return exitError
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(stderr, "Error: %s\n", strings.TrimSpace(err.Error()))
	var he *hintErr
	if errors.As(err, &he) && he.try != "" {
		fmt.Fprintf(stderr, "Try: %s\n", he.try)
	}
	return exitError
}
