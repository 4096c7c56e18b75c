package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// StepAddr is a step's address: its kind and its name, written
// "train.model". Addresses are how users name steps on the command line
// (-target, -replace) and how the engine keys everything about a step.
type StepAddr struct {
	Kind string
	Name string
}

func (a StepAddr) String() string { return a.Kind + "." + a.Name }

// ParseStepAddr parses "KIND.NAME".
func ParseStepAddr(s string) (StepAddr, error) {
	kind, name, ok := strings.Cut(s, ".")
	if !ok || !hclsyntax.ValidIdentifier(kind) || !hclsyntax.ValidIdentifier(name) {
		return StepAddr{}, fmt.Errorf("config: %q is not a step address: write KIND.NAME, e.g. train.model", s)
	}
	return StepAddr{Kind: kind, Name: name}, nil
}
