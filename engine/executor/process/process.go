package process

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/tempfile"
)

// Executor runs steps as child processes. Its fields are read when a step
// runs; building one reaches nothing.
type Executor struct {
	// Binary is the pipe binary the children run; "" means this one.
	Binary string
	// Store is the URL of the store, as the children open it.
	Store string
	// Dir is the children's working folder: the pipeline's, so that a
	// step that reads local files finds them.
	Dir string
	// Env is the children's environment (os.Environ() when nil): store
	// credentials, STORAGE_EMULATOR_HOST.
	Env []string
	// MaxChildren bounds the shards run at once; 0 means the number of
	// CPUs.
	MaxChildren int
}

var _ executor.Executor = (*Executor)(nil)

// Name returns "process".
func (e *Executor) Name() string { return executor.ProcessName }

// Run runs the step, or its shards side by side, each in a child. The
// error of the first shard (by number) that failed is returned.
func (e *Executor) Run(ctx context.Context, task *executor.Task) error {
	if task.Input == "" {
		return fmt.Errorf("process: %s has no step-input document (a bug in pipe)", task.Step)
	}
	if task.Shards < 2 {
		return e.child(ctx, task, -1)
	}
	limit := e.MaxChildren
	if limit <= 0 {
		limit = runtime.NumCPU()
	}
	errs := make([]error, task.Shards)
	g := &errgroup.Group{}
	g.SetLimit(limit)
	for i := range task.Shards {
		g.Go(func() error {
			errs[i] = e.child(ctx, task, i)
			return nil
		})
	}
	g.Wait()
	return firstError(errs)
}

// firstError returns the first error, or nil.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// child runs `pipe step exec` for the task (one shard of it when shard
// is not -1) and turns how it exited into the error to report.
func (e *Executor) child(ctx context.Context, task *executor.Task, shard int) error {
	bin := e.Binary
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return fmt.Errorf("process: finding the pipe binary: %w", err)
		}
	}
	tmp, err := tempfile.MkdirTemp("")
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	defer tmp.Close()
	term := filepath.Join(tmp.Path, "termination-log")
	args := []string{"step", "exec", "-store=" + e.Store, "-termination-log=" + term}
	if shard >= 0 {
		args = append(args, "-shard="+strconv.Itoa(shard))
	}
	if task.Resources.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, task.Resources.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin, append(args, task.Input)...)
	cmd.Dir, cmd.Env = e.Dir, e.Env
	// Cancelled: ask the child to stop, as Ctrl-C would, then kill it.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("process: starting %s: %w", bin, err)
	}
	where := fmt.Sprintf("process %d", cmd.Process.Pid)
	task.Events(executor.Event{Type: executor.Started, Time: time.Now(), Shard: shard, Where: where})
	var lines sync.WaitGroup
	lines.Go(func() { forward(task, shard, where, stderr) })
	lines.Wait()
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && task.Resources.Timeout > 0 {
			return fmt.Errorf("process: %s ran longer than its timeout of %s and was stopped: raise resources { timeout }", task.Step, task.Resources.Timeout)
		}
		return ctx.Err()
	}
	if code < 0 {
		return fmt.Errorf("process: %s: the worker %s ended abnormally: %v", task.Step, where, err)
	}
	msg, _ := os.ReadFile(term)
	return executor.Exited(task, where, code, msg)
}

// forward sends the child's output as log events, line by line.
func forward(task *executor.Task, shard int, where string, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		task.Events(executor.Event{Type: executor.Log, Time: time.Now(), Shard: shard, Where: where, Line: sc.Text()})
	}
}
