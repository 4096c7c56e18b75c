package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/tempfile"
	"github.com/pipe-ml/pipe/engine/workspace"
	"github.com/pipe-ml/pipe/steps"
)

// command is one subcommand.
type command interface {
	// Name is the word that selects it.
	Name() string
	// Synopsis is one line for the command list.
	Synopsis() string
	// Usage is the hand-written help, with examples.
	Usage() string
	// Run runs the command with the arguments after its name.
	Run(ctx context.Context, c *cli, args []string) error
}

// cli is what every command shares: where output goes, the environment,
// and the global options.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            []string
	kinds          *steps.Catalog
	noColor        bool
	commands       []command
}

func newCLI(stdin io.Reader, stdout, stderr io.Writer, env []string) *cli {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, env: env, kinds: stepKinds()}
	c.commands = []command{
		// Writing and running pipelines.
		&validateCmd{}, &planCmd{}, &applyCmd{}, &outputCmd{}, &showCmd{},
		&graphCmd{}, &fmtCmd{}, &kindsCmd{},
		// What ran and what it made.
		&runsCmd{}, &modelsCmd{}, &lineageCmd{}, &registryCmd{},
		// Running it as a service.
		&serveCmd{},
		// Running a step away from the coordinator.
		&stepCmd{},
		&forceUnlockCmd{}, &versionCmd{},
	}
	return c
}

// getenv reads the environment the CLI was given.
func (c *cli) getenv(name string) string {
	prefix := name + "="
	for i := len(c.env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(c.env[i], prefix); ok {
			return v
		}
	}
	return ""
}

// color reports whether output to w may be coloured: only on a terminal,
// and not when -no-color, NO_COLOR or a CI environment says otherwise.
func (c *cli) color(w io.Writer) bool {
	if c.noColor || c.getenv("NO_COLOR") != "" || workspace.InCI(c.env) || c.getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

const globalUsage = `Usage: pipe [global options] <command> [options] [args]

pipe runs machine-learning pipelines written in HCL. Each step runs only
when something it depends on changed; every run goes into a lineage
registry.

Commands:
%s
Global options (before the command):
  -chdir=DIR   Switch to DIR before doing anything else.
  -no-color    Never colour the output.
  -help        Show this help. "pipe COMMAND -help" shows a command's.
  -version     Same as "pipe version".

Examples:
  pipe validate examples/quickstart
  pipe plan -out=plan.json
  pipe apply plan.json
`

func (c *cli) usage() string {
	var b strings.Builder
	width := 0
	for _, cmd := range c.commands {
		width = max(width, len(cmd.Name()))
	}
	for _, cmd := range c.commands {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, cmd.Name(), cmd.Synopsis())
	}
	return fmt.Sprintf(globalUsage, b.String())
}

// run parses the global options, runs a command and returns the exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	var chdir string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		switch name {
		case "chdir":
			if !hasValue {
				if len(args) < 2 {
					fmt.Fprintln(c.stderr, "Error: -chdir needs a folder: -chdir=DIR")
					return exitError
				}
				value, args = args[1], args[1:]
			}
			chdir = value
		case "no-color":
			c.noColor = true
		case "h", "help":
			fmt.Fprint(c.stdout, c.usage())
			return exitOK
		case "v", "version":
			args = []string{"version"}
			continue
		default:
			fmt.Fprintf(c.stderr, "Error: unknown global option %s\n\n%s", args[0], c.usage())
			return exitError
		}
		args = args[1:]
	}
	if chdir != "" {
		if err := os.Chdir(chdir); err != nil {
			return exitCode(c.stdout, c.stderr, "", withHint(fmt.Errorf("-chdir: %w", err), "give a folder that exists"))
		}
	}
	defer c.sweepTemps()()
	if len(args) == 0 {
		fmt.Fprint(c.stderr, c.usage())
		return exitError
	}
	name, rest := args[0], args[1:]
	if name == "help" {
		if len(rest) == 0 || rest[0] == "help" {
			fmt.Fprint(c.stdout, c.usage())
			return exitOK
		}
		name, rest = rest[0], []string{"-help"}
	}
	for _, cmd := range c.commands {
		if cmd.Name() == name {
			return exitCode(c.stdout, c.stderr, cmd.Usage(), cmd.Run(ctx, c, rest))
		}
	}
	names := make([]string, len(c.commands))
	for i, cmd := range c.commands {
		names[i] = cmd.Name()
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if s := closest(name, names); s != "" {
		msg += fmt.Sprintf(". Did you mean %q?", s)
	}
	fmt.Fprintf(c.stderr, "Error: %s\n\n%s", msg, c.usage())
	return exitError
}

// sweepTemps removes the temporary files and folders in TMPDIR that pipe
// processes now gone left behind (a kill, a crash, a restarted container
// whose /tmp survived): one listing of TMPDIR, whatever their age, never
// one whose process still runs (see engine/tempfile). Every command does
// it, so a machine or pod that keeps running pipe keeps no litter; the
// state folder's are swept when a command opens its workspace. The sweep
// runs beside the command, which does not need it (a busy TMPDIR takes a
// while to list); the returned function waits for it, and the command
// waits before it exits.
func (c *cli) sweepTemps() (wait func()) {
	dir := workspace.Getenv(c.env, "TMPDIR")
	if dir == "" {
		dir = os.TempDir()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = tempfile.Sweep(dir)
	}()
	return func() { <-done }
}

func closest(name string, names []string) string {
	best, dist := "", 3
	for _, n := range names {
		if d := editDistance(name, n); d < dist {
			best, dist = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// view is where a command prints, with its -no-color.
func (c *cli) view(a arguments.View) *views.View {
	if a.NoColor {
		c.noColor = true
	}
	out, err := c.color(c.stdout), c.color(c.stderr)
	return &views.View{Stdout: c.stdout, Stderr: c.stderr, ColorOut: out, ColorErr: err, Live: out && !workspace.InCI(c.env)}
}
