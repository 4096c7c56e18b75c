//go:build !purego

package logreg

import (
	"math/rand/v2"
	"testing"
)

// TestFitSameWithoutAssembly fits with the assembly kernels and with the
// portable ones, plain and preconditioned: the results must be the same
// bits, so that a machine without AVX2 computes the same models.
func TestFitSameWithoutAssembly(t *testing.T) {
	if !useAVX2 {
		t.Skip("this machine has no AVX2 and FMA")
	}
	data := propertyData(t)
	compare := func(name string, params Params, s *Settings) {
		asm := mustFit(t, data, params, s)
		useAVX2 = false
		portable := mustFit(t, data, params, s)
		useAVX2 = true
		if !sameBits(asm, portable) {
			t.Errorf("%s: objective %.17g with assembly, %.17g without", name, asm.Objective, portable.Objective)
		}
	}
	for name, params := range propertyParams {
		compare(name, params, nil)
	}
	for name, params := range preconditionParams {
		compare(name+", preconditioned", params, &Settings{Precondition: true})
	}
}

// TestGram8x8AVX2 checks gram8x8's AVX2 version on a machine that would
// use the AVX-512 one.
func TestGram8x8AVX2(t *testing.T) {
	if !useAVX2 {
		t.Skip("this machine has no AVX2 and FMA")
	}
	saved := useAVX512
	useAVX512 = false
	defer func() { useAVX512 = saved }()
	checkGram8x8(t, rand.New(rand.NewPCG(3, 4)))
}
