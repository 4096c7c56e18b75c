//go:build pipetest && unix

package failpoint

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestHitKills runs this test binary again as a child that hits a point
// three times; armed at the second hit, the child must die of SIGKILL
// right there.
func TestHitKills(t *testing.T) {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		for i := 1; i <= 3; i++ {
			Hit("test.point")
			os.Stdout.WriteString("survived hit " + string(rune('0'+i)) + "\n")
		}
		return
	}
	for _, tc := range []struct {
		spec, stdout string
		killed       bool
	}{
		{"test.point:2", "survived hit 1\n", true},
		{"other.point", "survived hit 1\nsurvived hit 2\nsurvived hit 3\n", false},
		{"test.point:4", "survived hit 1\nsurvived hit 2\nsurvived hit 3\n", false},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHitKills$")
		cmd.Env = append(os.Environ(), "FAILPOINT_CHILD=1", EnvVar+"="+tc.spec)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var ee *exec.ExitError
		killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
		if killed != tc.killed || !strings.HasPrefix(string(out), tc.stdout) {
			t.Errorf("%s: killed %v (err %v), stdout %q; want killed %v, stdout starting %q", tc.spec, killed, err, out, tc.killed, tc.stdout)
		}
		if tc.killed && !strings.Contains(stderr.String(), "failpoint: test.point hit 2, killing the process") {
			t.Errorf("%s: stderr %q", tc.spec, stderr.String())
		}
	}
}
