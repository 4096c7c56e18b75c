package houserules

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMakefileHelp checks that every target of the Makefile has a
// "## target: what it does" line just above it and is .PHONY, so that
// `make help` lists it, and that make help prints every one.
func TestMakefileHelp(t *testing.T) {
	dir := root(t)
	b, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	rule := regexp.MustCompile(`^([a-z][a-z0-9-]*):([^=]|$)`)
	var targets, phony []string
	for i, line := range lines {
		if strings.HasPrefix(line, ".PHONY:") {
			phony = append(phony, strings.Fields(strings.TrimPrefix(line, ".PHONY:"))...)
		}
		m := rule.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		targets = append(targets, m[1])
		if i == 0 || !strings.HasPrefix(lines[i-1], "## "+m[1]+": ") {
			t.Errorf("Makefile:%d: target %s has no \"## %s: what it does\" line just above it, so make help does not list it", i+1, m[1], m[1])
		}
	}
	if len(targets) < 5 {
		t.Fatalf("found only %d targets in the Makefile: %v", len(targets), targets)
	}
	for _, target := range targets {
		if !slices.Contains(phony, target) {
			t.Errorf("Makefile: target %s is not in .PHONY", target)
		}
	}

	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make on PATH to run make help")
	}
	cmd := exec.Command("make", "--no-print-directory", "help")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make help: %v", err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			listed[f[0]] = true
		}
	}
	for _, target := range targets {
		if !listed[target] {
			t.Errorf("make help does not list %s:\n%s", target, out)
		}
	}
}
