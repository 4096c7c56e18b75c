package main

import (
	"context"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/lock"
	"github.com/pipe-ml/pipe/engine/workspace"
)

type forceUnlockCmd struct{}

func (*forceUnlockCmd) Name() string     { return "force-unlock" }
func (*forceUnlockCmd) Synopsis() string { return "Remove a lock left by an apply that is gone" }
func (*forceUnlockCmd) Usage() string {
	return `Usage: pipe force-unlock [options] LOCK_ID [PATH]

Removes the lock on the state folder of the pipeline in PATH (default the
current folder) when its ID is LOCK_ID, the ID the error message of a
blocked apply names. Use it only when the process holding the lock is
gone: pipe takes over the locks of processes that died on this machine by
itself, but it cannot tell from here whether one on another machine is
still at work.

Options:
  -state-dir=DIR   The state folder. Default: PIPE_STATE_DIR, or .pipe
                   beside the pipeline.

Examples:
  pipe force-unlock 7f3c9a2e41d0b865
`
}

func (*forceUnlockCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseForceUnlock(args)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	w, diags := workspace.Resolve(workspace.Options{Path: a.Path, Kinds: c.kinds, AllowMissingVars: true, StateDir: a.StateDir, Env: c.env})
	if diags.HasErrors() {
		v.Diagnostics(diags, pipelineSources(w))
		return errReported
	}
	info, err := lock.ForceUnlock(w.StateDir, a.LockID)
	if err != nil {
		return err
	}
	views.NewForceUnlock(v).Removed(info)
	return nil
}
