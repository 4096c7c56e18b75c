//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// onTerminal runs pipe with its stderr on a terminal (openPTY is in
// runs_record_test.go) and returns what it wrote there.
func onTerminal(t *testing.T, env []string, args ...string) string {
	t.Helper()
	master, tty := openPTY(t)
	defer master.Close()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = "testdata/pipelines"
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=xterm"}, env...)
	cmd.Stdout = io.Discard
	cmd.Stderr = tty
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&out, master) // ends with EIO once the terminal is closed
		close(done)
	}()
	err := cmd.Run()
	tty.Close()
	<-done
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("pipe %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// Colour only on a terminal, and never with -no-color, NO_COLOR or in CI.
func TestColourOnlyOnATerminal(t *testing.T) {
	if got := onTerminal(t, nil, "validate", "broken"); !strings.Contains(got, "\x1b[1;31mError:") {
		t.Errorf("no colour on a terminal:\n%q", got)
	}
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"validate", "-no-color", "broken"}},
		{nil, []string{"-no-color", "validate", "broken"}},
		{[]string{"NO_COLOR=1"}, []string{"validate", "broken"}},
		{[]string{"CI=true"}, []string{"validate", "broken"}},
		{[]string{"GITHUB_ACTIONS=true"}, []string{"validate", "broken"}},
		{[]string{"GITLAB_CI=true"}, []string{"validate", "broken"}},
	} {
		got := onTerminal(t, c.env, c.args...)
		if !strings.Contains(got, "Error: Reference to unknown output") || strings.Contains(got, "\x1b[") {
			t.Errorf("%v %v: colour, or no diagnostics:\n%q", c.env, c.args, got)
		}
	}
	// Off a terminal, the same command prints no escape codes.
	r := pipe(t, "testdata/pipelines", []string{"TERM=xterm"}, "validate", "broken").expect(t, 1)
	if strings.Contains(r.stderr, "\x1b[") {
		t.Errorf("colour off a terminal:\n%q", r.stderr)
	}
}
