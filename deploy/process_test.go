package deploy

import (
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/deploy/k8stest"
)

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startProcess starts cmd with its output in the file log and stops it
// when the test ends: an interrupt, then a kill after grace. When the test
// failed it logs what says how the process was started and the log's
// last lines.
func startProcess(t *testing.T, cmd *exec.Cmd, log string, grace time.Duration, what string) {
	t.Helper()
	logf, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(grace):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			t.Logf("%s\nits log:\n%s", what, k8stest.Tail(log, 30))
		}
	})
}
