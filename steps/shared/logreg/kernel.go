package logreg

import "math"

// The two row kernels below are the whole inner loop of the trainer: a
// pass over the data calls dot once per row to get its margin and axpy
// once per row to add the row's share of the gradient. Their arithmetic
// is specified exactly, so that the assembly versions (kernel_amd64.s)
// and these portable ones give the same bits, which the tests check:
//
// dot(x, w) = Σⱼ xⱼ·wⱼ, with every xⱼ converted exactly to float64, is
// accumulated in 16 lanes: element j < 16·⌊len/16⌋ goes to lane j mod 16
// by a fused multiply-add; then at most three more blocks of four go to
// lanes 0-3, 4-7 and 8-11 in turn; the last (len mod 4) elements go, in
// order, into a scalar s. The lanes are reduced as
//
//	vₗ = (aₗ + aₗ₊₄) + (aₗ₊₈ + aₗ₊₁₂)   for l = 0..3
//	dot = ((v₀ + v₂) + (v₁ + v₃)) + s
//
// axpy(a, x, y) sets yⱼ = fma(a, xⱼ, yⱼ) for every j: one rounding per
// element, so the order of elements does not matter.
//
// The blocked kernels give exactly the bits of those two, and only save
// work: dot2 takes the dots of two rows with one w (sharing its loads),
// dot1x2 of one row with two w (converting the row once); axpy4 adds four
// rows to y in turn, each yⱼ taking its four fused multiply-adds in row
// order (y loaded and stored once, not four times), and axpy4x2 does so
// for two y at once.
//
// gram4x8(a, b, stride, m, out) adds a 4×8 block of AᵀB to out, for
// float32 panels whose rows lie stride apart, in float64: each entry continues its own
// chain of fused multiply-adds over the rows in order, so an entry does
// not depend on which block computed it, nor on how the rows were split
// between calls.

// gram8x8(a, b, stride, m, out) is gram4x8 for float64 panels and an 8×8
// block: out[r*8+c] += Σₖ a[k*stride+r]·b[k*stride+c], r, c < 8, each
// entry continuing its own chain of fused multiply-adds over the rows in
// order (AVX-512 takes a row of the block in one register, AVX2 the block
// in two halves of four rows; the bits are the same).

// dotGeneric is dot in portable Go. It needs len(w) >= len(x).
func dotGeneric(x []float32, w []float64) float64 {
	var a [16]float64
	n := len(x)
	w = w[:n]
	j := 0
	for ; j+16 <= n; j += 16 {
		xs, ws := x[j:j+16:j+16], w[j:j+16:j+16]
		for l := range 16 {
			a[l] = math.FMA(float64(xs[l]), ws[l], a[l])
		}
	}
	for k := 0; j+4 <= n; j, k = j+4, k+4 {
		for l := range 4 {
			a[k+l] = math.FMA(float64(x[j+l]), w[j+l], a[k+l])
		}
	}
	s := 0.0
	for ; j < n; j++ {
		s = math.FMA(float64(x[j]), w[j], s)
	}
	var v [4]float64
	for l := range 4 {
		v[l] = (a[l] + a[l+4]) + (a[l+8] + a[l+12])
	}
	return ((v[0] + v[2]) + (v[1] + v[3])) + s
}

// axpyGeneric is axpy in portable Go. It needs len(y) >= len(x).
func axpyGeneric(a float64, x []float32, y []float64) {
	y = y[:len(x)]
	for j, v := range x {
		y[j] = math.FMA(a, float64(v), y[j])
	}
}

// gram4x8Generic is gram4x8 in portable Go.
func gram4x8Generic(a, b []float32, stride, m int, out *[32]float64) {
	for k := range m {
		ra, rb := a[k*stride:k*stride+4], b[k*stride:k*stride+8]
		for r := range 4 {
			x := float64(ra[r])
			for c := range 8 {
				out[r*8+c] = math.FMA(x, float64(rb[c]), out[r*8+c])
			}
		}
	}
}

// gramArgs panics unless panels a and b, with rows stride apart, hold m
// rows of at least wa and wb values: the arguments of gram4x8 (wa = 4)
// and gram8x8 (wa = 8), both with wb = 8.
func gramArgs(la, lb, stride, m, wa, wb int) {
	if stride < 1 || la < (m-1)*stride+wa || lb < (m-1)*stride+wb {
		panic("logreg: Gram kernel arguments out of range")
	}
}

// gram8x8Generic is gram8x8 in portable Go.
func gram8x8Generic(a, b []float64, stride, m int, out *[64]float64) {
	for k := range m {
		ra, rb := a[k*stride:k*stride+8:k*stride+8], b[k*stride:k*stride+8:k*stride+8]
		for r := range 8 {
			for c := range 8 {
				out[r*8+c] = math.FMA(ra[r], rb[c], out[r*8+c])
			}
		}
	}
}

// axpy4Generic is axpy4 in portable Go.
func axpy4Generic(r *[4]float64, x *[4][]float32, g []float64) {
	for k := range 4 {
		axpyGeneric(r[k], x[k], g)
	}
}

// expNeg returns eˣ for the x ≤ 0 of the loss, e^−|t| (it is correct for
// x up to 709 too), to within 2 ulp and with its arithmetic specified
// exactly, so that the four-at-a-time assembly version (expNeg4) gives
// the same bits:
//
//	n = roundToEven(x·log₂e),  r = fma(−n, ln2lo, fma(−n, ln2hi, x)),
//	p = Σₖ rᵏ/k!, k ≤ 13, by Horner's rule with fused multiply-adds,
//	eˣ = p·2ⁿ
//
// with |r| ≤ ln2/2, where the series' remainder is below 5e-18 of p.
// Below −708 (e⁻⁷⁰⁸ ≈ 3e-308, under the smallest normal float64 times
// 2²) it returns 0: there 1 + eˣ = 1 and σ = eˣ are already negligible.
// NaN gives NaN.
func expNeg(x float64) float64 {
	if x < expMin {
		return 0
	}
	n := math.RoundToEven(x * log2e)
	r := math.FMA(-n, ln2Hi, x)
	r = math.FMA(-n, ln2Lo, r)
	p := expTaylor[0]
	for _, c := range expTaylor[1:] {
		p = math.FMA(p, r, c)
	}
	return p * math.Float64frombits(uint64(int64(n)+1023)<<52)
}

// The constants of expNeg; kernel_amd64.s holds the same bits.
const (
	log2e  = 0x1.71547652b82fep+0
	ln2Hi  = 0x1.62e42fefa39efp-1 // ln 2 rounded to float64
	ln2Lo  = 0x1.abc9e3b39803fp-56
	expMin = -708.0
)

// expTaylor holds 1/k! rounded to float64, for k = 13 down to 0.
var expTaylor = [...]float64{
	0x1.6124613a86d09p-33, 0x1.1eed8eff8d898p-29, 0x1.ae64567f544e4p-26,
	0x1.27e4fb7789f5cp-22, 0x1.71de3a556c734p-19, 0x1.a01a01a01a01ap-16,
	0x1.a01a01a01a01ap-13, 0x1.6c16c16c16c17p-10, 0x1.1111111111111p-7,
	0x1.5555555555555p-5, 0x1.5555555555555p-3, 0x1p-1, 1, 1,
}
