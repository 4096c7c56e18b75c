//go:build pipetest

package failpoint

import (
	"fmt"
	"os"
	"sync"
	"time"
)

var armed = sync.OnceValue(func() *counter {
	s, err := parseSpec(os.Getenv(EnvVar))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return &counter{spec: s}
})

// Hit marks a failpoint. In this pipetest build, it kills the process
// with SIGKILL when PIPE_FAILPOINT names this point and this is the hit it
// counts to; see the package documentation.
func Hit(name string) {
	fire, n := armed().hit(name)
	if !fire {
		return
	}
	fmt.Fprintf(os.Stderr, "failpoint: %s hit %d, killing the process\n", name, n)
	if os.Getpid() == 1 {
		// A PID namespace's init (pipe as a container's first process)
		// never gets a signal it has no handler for from inside its
		// namespace, SIGKILL included: exit at once with SIGKILL's
		// status instead, running no deferred function either.
		os.Exit(137)
	}
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		err = p.Kill() // SIGKILL on Unix: no deferred function runs
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "failpoint: %s: cannot kill the process: %v\n", name, err)
		os.Exit(137)
	}
	// The signal is on its way; never go past the point meanwhile.
	for {
		time.Sleep(time.Hour)
	}
}
