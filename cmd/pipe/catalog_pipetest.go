//go:build pipetest

package main

import (
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/builtin"
)

// registry adds the engine's test kinds to the built-in ones, for the
// CLI's own tests, which build pipe with -tags pipetest.
func stepKinds() *steps.Catalog {
	r := builtin.Catalog()
	for _, name := range testkinds.Catalog(nil).Names() {
		k, _ := testkinds.Catalog(nil).Lookup(name)
		r.Register(k)
	}
	return r
}
