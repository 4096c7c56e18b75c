//go:build !purego

package logreg

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; they need AVX2 and FMA.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

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
	if stride < 1 || len(a) < (m-1)*stride+4 || len(b) < (m-1)*stride+8 {
		panic("logreg: gram4x8 out of range")
	}
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
