//go:build !amd64 || purego

package logreg

// useAVX2 is false: this build has no assembly kernels.
const useAVX2 = false

// dot returns Σⱼ xⱼ·wⱼ as specified in kernel.go. It needs len(w) >= len(x).
func dot(x []float32, w []float64) float64 { return dotGeneric(x, w) }

// dotAxpy returns dot(x, w) and does axpy(a, y, g).
func dotAxpy(x []float32, w []float64, a float64, y []float32, g []float64) float64 {
	axpyGeneric(a, y, g)
	return dotGeneric(x, w)
}

// axpy sets yⱼ = fma(a, xⱼ, yⱼ). It needs len(y) >= len(x).
func axpy(a float64, x []float32, y []float64) { axpyGeneric(a, x, y) }

// gram4x8 adds to out a 4×8 block of AᵀB; see gram4x8Generic.
func gram4x8(a, b []float32, stride, m int, out *[32]float64) {
	if m < 1 {
		return
	}
	if stride < 1 || len(a) < (m-1)*stride+4 || len(b) < (m-1)*stride+8 {
		panic("logreg: gram4x8 out of range")
	}
	gram4x8Generic(a, b, stride, m, out)
}
