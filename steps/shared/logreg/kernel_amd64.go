//go:build !purego

package logreg

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; they need AVX2 and FMA.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAVX512 selects, with useAVX2, the AVX-512 version of gram8x8.
var useAVX512 = cpu.X86.HasAVX512F

//go:noescape
func gram8x8AVX2(a, b *float64, stride, m int, out *[64]float64)

//go:noescape
func gram8x8AVX512(a, b *float64, stride, m int, out *[64]float64)

// gram8x8 adds to out an 8×8 block of AᵀB for float64 panels a and b
// with rows stride apart, as specified in kernel.go. It needs
// len(a), len(b) >= (m−1)·stride + 8.
func gram8x8(a, b []float64, stride, m int, out *[64]float64) {
	if m < 1 {
		return
	}
	gramArgs(len(a), len(b), stride, m, 8, 8)
	switch {
	case useAVX2 && useAVX512:
		gram8x8AVX512(&a[0], &b[0], stride, m, out)
	case useAVX2:
		gram8x8AVX2(&a[0], &b[0], stride, m, out)
	default:
		gram8x8Generic(a, b, stride, m, out)
	}
}

//go:noescape
func dotAVX2(x []float32, w []float64) float64

//go:noescape
func axpyAVX2(a float64, x []float32, y []float64)

//go:noescape
func gram4x8AVX2(a, b *float32, stride, m int, out *[32]float64)

// gram4x8 adds to out a 4×8 block of AᵀB for panels a and b with rows
// stride apart: out[r*8+c] += Σₖ a[k*stride+r]·b[k*stride+c], k < m, as
// specified in kernel.go. It needs len(a) >= (m−1)·stride + 4 and
// len(b) >= (m−1)·stride + 8.
func gram4x8(a, b []float32, stride, m int, out *[32]float64) {
	if m < 1 {
		return
	}
	gramArgs(len(a), len(b), stride, m, 4, 8)
	if useAVX2 {
		gram4x8AVX2(&a[0], &b[0], stride, m, out)
		return
	}
	gram4x8Generic(a, b, stride, m, out)
}

//go:noescape
func dotAxpyAVX2(x []float32, w []float64, a float64, y []float32, g []float64) float64

// dotAxpy returns dot(x, w) and does axpy(a, y, g), bit for bit, in one
// sweep. It needs len(y) == len(x) and w, g at least as long.
func dotAxpy(x []float32, w []float64, a float64, y []float32, g []float64) float64 {
	if useAVX2 {
		_, _, _ = w[:len(x)], y[:len(x)], g[:len(x)]
		return dotAxpyAVX2(x, w, a, y[:len(x)], g)
	}
	axpyGeneric(a, y, g)
	return dotGeneric(x, w)
}

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

//go:noescape
func dot2AVX2(x0, x1 *float32, w *float64, n int) (z0, z1 float64)

//go:noescape
func axpy4AVX2(r *[4]float64, x0, x1, x2, x3 *float32, y *float64, n int)

// dot2 returns dot(x0, w) and dot(x1, w), bit for bit, in one sweep. It
// needs len(x1) == len(x0) and len(w) >= len(x0).
func dot2(x0, x1 []float32, w []float64) (z0, z1 float64) {
	n := len(x0)
	if useAVX2 && n > 0 {
		_, _ = x1[:n], w[:n]
		return dot2AVX2(&x0[0], &x1[0], &w[0], n)
	}
	return dotGeneric(x0, w), dotGeneric(x1, w)
}

// axpy4 does axpy(r[k], x[k], g) for k = 0..3 in turn, bit for bit, in
// one sweep. The rows need the same length; g at least as long.
func axpy4(r *[4]float64, x *[4][]float32, g []float64) {
	n := len(x[0])
	if useAVX2 && n > 0 {
		_, _, _, _ = x[1][:n], x[2][:n], x[3][:n], g[:n]
		axpy4AVX2(r, &x[0][0], &x[1][0], &x[2][0], &x[3][0], &g[0], n)
		return
	}
	axpy4Generic(r, x, g)
}

//go:noescape
func dot1x2AVX2(x *float32, wa, wb *float64, n int) (za, zb float64)

//go:noescape
func axpy4x2AVX2(ra, rb *[4]float64, x0, x1, x2, x3 *float32, ya, yb *float64, n int)

// dot1x2 returns dot(x, wa) and dot(x, wb), bit for bit, in one sweep.
// It needs wa and wb at least as long as x.
func dot1x2(x []float32, wa, wb []float64) (za, zb float64) {
	n := len(x)
	if useAVX2 && n > 0 {
		_, _ = wa[:n], wb[:n]
		return dot1x2AVX2(&x[0], &wa[0], &wb[0], n)
	}
	return dotGeneric(x, wa), dotGeneric(x, wb)
}

// axpy4x2 does axpy4(ra, x, ya) and axpy4(rb, x, yb), bit for bit, in one
// sweep. The rows need the same length; ya and yb at least as long.
func axpy4x2(ra, rb *[4]float64, x *[4][]float32, ya, yb []float64) {
	n := len(x[0])
	if useAVX2 && n > 0 {
		_, _, _, _, _ = x[1][:n], x[2][:n], x[3][:n], ya[:n], yb[:n]
		axpy4x2AVX2(ra, rb, &x[0][0], &x[1][0], &x[2][0], &x[3][0], &ya[0], &yb[0], n)
		return
	}
	axpy4Generic(ra, x, ya)
	axpy4Generic(rb, x, yb)
}

//go:noescape
func expNeg4AVX2(x *[4]float64)

// expNeg4 sets x[k] = expNeg(x[k]) for k = 0..3, bit for bit.
func expNeg4(x *[4]float64) {
	if useAVX2 {
		expNeg4AVX2(x)
		return
	}
	for k := range x {
		x[k] = expNeg(x[k])
	}
}
