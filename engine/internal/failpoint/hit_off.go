//go:build !pipetest

package failpoint

// Hit marks a failpoint. In a normal build it does nothing; see the
// package documentation for what it does in a pipetest build.
func Hit(name string) {}
