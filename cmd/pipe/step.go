package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/stepinput"
	"github.com/pipe-ml/pipe/engine/steprun"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/engine/workspace"
)

type stepCmd struct{}

func (*stepCmd) Name() string     { return "step" }
func (*stepCmd) Synopsis() string { return "Run one step from the store, as a worker (step exec)" }
func (*stepCmd) Usage() string {
	return `Usage: pipe step exec [options] DIGEST

Runs one step away from the coordinator, the way a pod of the kubernetes
executor does: reads the step-input document DIGEST from the store (the
step's kind and versions, its evaluated configuration and input digests,
its cache key, written there by "pipe apply"), checks it (the same pipe
version and kind version as this binary, a key that matches its content),
exits at once when the step's cache entry is already in the store, and
otherwise runs the step and writes its artifacts and cache entry as a
local apply would. It never opens the registry nor takes the state lock:
the apply that handed the step out records it.

Exit status: 0 when the entry is in the store; 4 when the step itself
failed (bad data; retrying cannot help) and 5 when this worker refused
the document (another pipe version, a tampered or missing document):
both with the error as JSON in the termination message; 1 for anything
else (the store unreachable), which is worth a retry.

Options:
  -store=URL             The store. Default: PIPE_STORE.
  -shard=N               Run shard N (from 0) of a step that runs as
                         shards (resources { shards = ... }), and keep
                         its partial result; the coordinator assembles.
  -termination-log=FILE  Where to write the termination message. Default:
                         /dev/termination-log, when it exists (in a pod).
` + arguments.ParallelismHelp + `
Examples:
  pipe step exec -store=gs://bucket/pipe sha256:3f2a…
  pipe step exec -shard=$JOB_COMPLETION_INDEX sha256:3f2a…
`
}

func (*stepCmd) Run(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		return arguments.ErrHelp
	}
	if len(args) == 0 || args[0] != "exec" {
		return &arguments.Error{Msg: "pipe step needs a subcommand: exec", Usage: true}
	}
	a, err := arguments.ParseStepExec(args[1:])
	if err != nil {
		return err
	}
	url := a.Store
	if url == "" {
		url = c.getenv(workspace.EnvStore)
	}
	if url == "" {
		return &arguments.Error{Msg: "step exec needs the store the coordinator wrote the document to", Try: "pipe step exec -store=URL DIGEST, or set PIPE_STORE"}
	}
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	// The coordinator trusts only entries signed with its team key: a
	// worker signs with the same one (PIPE_KEY_FILE, from the Secret the
	// executor mounts).
	key, err := signing.FromEnv(c.env)
	if err != nil {
		return withHint(err, "give the worker the coordinator's team key (PIPE_KEY_FILE; docs/security.md, \"The team key\")")
	}
	s, err := store.OpenOptions(ctx, url, dir, &store.Options{Key: key})
	if err != nil {
		return withHint(err, "check -store or PIPE_STORE, and the worker's credentials")
	}
	defer s.Close()
	view := views.NewStepExec(c.view(a.View))
	view.Step("", -1)
	done, err := steprun.Exec(ctx, steprun.Work{
		Store: s, Kinds: c.kinds, PipeVersion: currentBuild().Version, Input: a.Input, Shard: a.Shard, Dir: dir,
		Logger: c.logger(), Parallelism: a.Parallelism, Progress: view.Progress, Warn: view.Warning,
	})
	if done != nil && done.Step != "" {
		view.Step(done.Step, a.Shard)
	}
	if err == nil {
		view.Done(done.Key, done.Done)
		return nil
	}
	return stepExecFailed(view, a, done, err)
}

// stepExecFailed reports a worker's failure: a step error or a refusal
// with its termination message and exit code of its own, anything else
// as an error worth a retry.
func stepExecFailed(view *views.StepExec, a *arguments.StepExec, done *steprun.Worked, err error) error {
	var (
		refusal *stepinput.Refusal
		stepErr *executor.StepError
		code    int
	)
	switch {
	case errors.As(err, &refusal):
		code = exitRefused
	case errors.As(err, &stepErr) && !errors.Is(err, context.Canceled):
		code = exitStepFailed
		err = stepErr.Err
	default:
		return err
	}
	view.Failed(err)
	step := ""
	if done != nil {
		step = done.Step
	}
	msg := executor.NewTermination(step, err, code == exitRefused).Encode()
	if werr := writeTermination(a, msg); werr != nil {
		fmt.Fprintf(view.Stderr, "pipe: cannot write the termination message: %v\n", werr)
	}
	return &exitErr{code: code}
}

// writeTermination writes the termination message where -termination-log
// says; the default file only when it exists, as in a pod.
func writeTermination(a *arguments.StepExec, msg []byte) error {
	flags := os.O_WRONLY | os.O_TRUNC
	if a.TerminationLogSet {
		flags |= os.O_CREATE
	} else if _, err := os.Stat(a.TerminationLog); err != nil {
		return nil
	}
	f, err := os.OpenFile(a.TerminationLog, flags, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(msg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
