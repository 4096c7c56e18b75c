//go:build !pipetest

package failpoint

import "testing"

// In a normal build a failpoint never fires, whatever the environment
// says.
func TestHitIsANoOpInNormalBuilds(t *testing.T) {
	t.Setenv(EnvVar, "test.point")
	Hit("test.point")
}
