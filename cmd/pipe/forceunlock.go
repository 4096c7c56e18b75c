package main

import (
	"context"
	"flag"
	"fmt"

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

func (cmd *forceUnlockCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("force-unlock", flag.ContinueOnError)
	stateDir := fs.String("state-dir", "", "")
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	if len(args) < 1 || len(args) > 2 {
		return &exitErr{code: exitError, msg: "force-unlock needs the LOCK_ID\n\n" + cmd.Usage()}
	}
	path := "."
	if len(args) == 2 {
		path = args[1]
	}
	w, diags := workspace.Resolve(workspace.Options{Path: path, Kinds: c.kinds, AllowMissingVars: true, StateDir: *stateDir, Env: c.env})
	if diags.HasErrors() {
		c.printLoadDiagnostics(w, diags)
		return errReported
	}
	info, err := lock.ForceUnlock(w.StateDir, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Removed the lock held by %s.\n", info)
	return nil
}
