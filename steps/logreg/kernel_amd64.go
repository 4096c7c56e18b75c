//go:build !purego

package logreg

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; they need AVX2 and FMA.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAVX2(x []float32, w []float64) float64

//go:noescape
func axpyAVX2(a float64, x []float32, y []float64)

// dot returns Σⱼ xⱼ·wⱼ as specified in kernel.go. It needs len(w) >= len(x).
func dot(x []float32, w []float64) float64 {
	if useAVX2 {
		_ = w[:len(x)]
		return dotAVX2(x, w)
	}
	return dotGeneric(x, w)
}

// axpy sets yⱼ = fma(a, xⱼ, yⱼ). It needs len(y) >= len(x).
func axpy(a float64, x []float32, y []float64) {
	if useAVX2 {
		_ = y[:len(x)]
		axpyAVX2(a, x, y)
		return
	}
	axpyGeneric(a, x, y)
}
