package failpoint

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// EnvVar is the environment variable that arms a failpoint in a pipetest
// build.
const EnvVar = "PIPE_FAILPOINT"

// spec is a parsed PIPE_FAILPOINT: crash at the nth hit of name.
type spec struct {
	name string
	n    int64
}

// parseSpec parses NAME[:N]. An empty string is no failpoint (a zero
// spec and no error).
func parseSpec(s string) (spec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return spec{}, nil
	}
	name, count, hasCount := strings.Cut(s, ":")
	if !validName(name) {
		return spec{}, fmt.Errorf("failpoint: %s=%q: the name must be dotted words of letters, digits, '-' and '_', e.g. store.put.uploading", EnvVar, s)
	}
	n := int64(1)
	if hasCount {
		v, err := strconv.ParseInt(count, 10, 64)
		if err != nil || v < 1 {
			return spec{}, fmt.Errorf("failpoint: %s=%q: the count after ':' must be a whole number >= 1", EnvVar, s)
		}
		n = v
	}
	return spec{name: name, n: n}, nil
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, w := range strings.Split(name, ".") {
		if w == "" {
			return false
		}
		for _, c := range w {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// counter decides when an armed failpoint fires.
type counter struct {
	spec spec
	mu   sync.Mutex
	hits int64
}

// hit counts one hit of name and reports whether it is the one to crash
// at, and which hit it was.
func (c *counter) hit(name string) (bool, int64) {
	if c.spec.name == "" || name != c.spec.name {
		return false, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits++
	return c.hits == c.spec.n, c.hits
}
