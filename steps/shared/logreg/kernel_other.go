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

// gram8x8 adds to out an 8×8 block of AᵀB; see gram8x8Generic.
func gram8x8(a, b []float64, stride, m int, out *[64]float64) {
	if m < 1 {
		return
	}
	gramArgs(len(a), len(b), stride, m, 8, 8)
	gram8x8Generic(a, b, stride, m, out)
}

// gram4x8 adds to out a 4×8 block of AᵀB; see gram4x8Generic.
func gram4x8(a, b []float32, stride, m int, out *[32]float64) {
	if m < 1 {
		return
	}
	gramArgs(len(a), len(b), stride, m, 4, 8)
	gram4x8Generic(a, b, stride, m, out)
}

// dot2 returns dot(x0, w) and dot(x1, w).
func dot2(x0, x1 []float32, w []float64) (z0, z1 float64) {
	return dotGeneric(x0, w), dotGeneric(x1, w)
}

// axpy4 does axpy(r[k], x[k], g) for k = 0..3 in turn.
func axpy4(r *[4]float64, x *[4][]float32, g []float64) { axpy4Generic(r, x, g) }

// dot1x2 returns dot(x, wa) and dot(x, wb).
func dot1x2(x []float32, wa, wb []float64) (za, zb float64) {
	return dotGeneric(x, wa), dotGeneric(x, wb)
}

// axpy4x2 does axpy4(ra, x, ya) and axpy4(rb, x, yb).
func axpy4x2(ra, rb *[4]float64, x *[4][]float32, ya, yb []float64) {
	axpy4Generic(ra, x, ya)
	axpy4Generic(rb, x, yb)
}

// expNeg4 sets x[k] = expNeg(x[k]) for k = 0..3.
func expNeg4(x *[4]float64) {
	for k := range x {
		x[k] = expNeg(x[k])
	}
}
