//go:build !amd64 || purego

package logreg

// useAVX2 is false: this build has no assembly kernels.
const useAVX2 = false

// dot returns Σⱼ xⱼ·wⱼ as specified in kernel.go. It needs len(w) >= len(x).
func dot(x []float32, w []float64) float64 { return dotGeneric(x, w) }

// axpy sets yⱼ = fma(a, xⱼ, yⱼ). It needs len(y) >= len(x).
func axpy(a float64, x []float32, y []float64) { axpyGeneric(a, x, y) }
