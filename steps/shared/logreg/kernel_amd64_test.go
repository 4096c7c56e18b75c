//go:build !purego

package logreg

import "testing"

// TestFitSameWithoutAssembly fits with the assembly kernels and with the
// portable ones: the results must be the same bits, so that a machine
// without AVX2 computes the same models.
func TestFitSameWithoutAssembly(t *testing.T) {
	if !useAVX2 {
		t.Skip("this machine has no AVX2 and FMA")
	}
	data := propertyData(t)
	for name, params := range propertyParams {
		asm := mustFit(t, data, params, nil)
		useAVX2 = false
		portable := mustFit(t, data, params, nil)
		useAVX2 = true
		if !sameBits(asm, portable) {
			t.Errorf("%s: objective %.17g with assembly, %.17g without", name, asm.Objective, portable.Objective)
		}
	}
}
