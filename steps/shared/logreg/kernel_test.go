package logreg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKernelsMatchGeneric checks that the assembly kernels, when this
// build has them, give exactly the bits of the portable ones for every
// length around the block sizes.
func TestKernelsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 70; n++ {
		x := make([]float32, n)
		w := make([]float64, n+3)
		for j := range x {
			x[j] = float32(rng.NormFloat64())
		}
		for j := range w {
			w[j] = rng.NormFloat64() * 1e3
		}
		got, want := dot(x, w), dotGeneric(x, w)
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("n=%d: dot = %v, generic %v", n, got, want)
		}
		naive := 0.0
		for j := range x {
			naive += float64(x[j]) * w[j]
		}
		if math.Abs(got-naive) > 1e-9*(1+math.Abs(naive))*float64(n+1) {
			t.Errorf("n=%d: dot = %v, naive sum %v", n, got, naive)
		}
		y1 := append([]float64(nil), w...)
		y2 := append([]float64(nil), w...)
		a := rng.NormFloat64()
		axpy(a, x, y1)
		axpyGeneric(a, x, y2)
		for j := range y1 {
			if math.Float64bits(y1[j]) != math.Float64bits(y2[j]) {
				t.Fatalf("n=%d: axpy[%d] = %v, generic %v", n, j, y1[j], y2[j])
			}
		}
		x1 := make([]float32, n)
		for j := range x1 {
			x1[j] = float32(rng.NormFloat64())
		}
		y3 := append([]float64(nil), w...)
		a1 := rng.NormFloat64()
		d1 := dotAxpy(x1, w, a1, x, y3)
		y4 := append([]float64(nil), w...)
		axpyGeneric(a1, x, y4)
		if math.Float64bits(d1) != math.Float64bits(dotGeneric(x1, w)) {
			t.Errorf("n=%d: dotAxpy's dot = %v, generic %v", n, d1, dotGeneric(x1, w))
		}
		for j := range y3 {
			if math.Float64bits(y3[j]) != math.Float64bits(y4[j]) {
				t.Fatalf("n=%d: dotAxpy's axpy[%d] = %v, generic %v", n, j, y3[j], y4[j])
			}
		}
		for j := n; j < len(w); j++ {
			if y1[j] != w[j] {
				t.Fatalf("n=%d: axpy wrote past len(x) at %d", n, j)
			}
		}
		checkBlockedKernels(t, rng, n)
	}
	checkGram(t, rng, "gram4x8", 4, func(a, b []float32, stride, m int, out []float64, generic bool) {
		if generic {
			gram4x8Generic(a, b, stride, m, (*[32]float64)(out))
		} else {
			gram4x8(a, b, stride, m, (*[32]float64)(out))
		}
	})
	checkGram8x8(t, rng)
	t.Logf("assembly kernels in use: %v", useAVX2)
}

// checkBlockedKernels checks that the kernels that work on several rows
// or several coefficient vectors at once (dot2, dot1x2, axpy4, axpy4x2)
// give exactly the bits of the one-row kernels, and write nothing past
// the rows' length.
func checkBlockedKernels(t *testing.T, rng *rand.Rand, n int) {
	t.Helper()
	var xs [4][]float32
	for k := range xs {
		xs[k] = make([]float32, n)
		for j := range xs[k] {
			xs[k][j] = float32(rng.NormFloat64())
		}
	}
	vec := func() []float64 {
		v := make([]float64, n+3)
		for j := range v {
			v[j] = rng.NormFloat64() * 1e3
		}
		return v
	}
	same := func(what string, got, want float64) {
		t.Helper()
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("n=%d: %s = %v, one row at a time %v", n, what, got, want)
		}
	}
	wa, wb := vec(), vec()
	z0, z1 := dot2(xs[0], xs[1], wa)
	same("dot2's first", z0, dotGeneric(xs[0], wa))
	same("dot2's second", z1, dotGeneric(xs[1], wa))
	za, zb := dot1x2(xs[2], wa, wb)
	same("dot1x2's first", za, dotGeneric(xs[2], wa))
	same("dot1x2's second", zb, dotGeneric(xs[2], wb))

	ra := [4]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
	rb := [4]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
	ya, yb := vec(), vec()
	wantA, wantB := slices.Clone(ya), slices.Clone(yb)
	for k := range 4 {
		axpyGeneric(ra[k], xs[k], wantA)
		axpyGeneric(rb[k], xs[k], wantB)
	}
	gotA := slices.Clone(ya)
	axpy4(&ra, &xs, gotA)
	gotA2, gotB2 := slices.Clone(ya), slices.Clone(yb)
	axpy4x2(&ra, &rb, &xs, gotA2, gotB2)
	for j := range wantA {
		same(fmt.Sprintf("axpy4[%d]", j), gotA[j], wantA[j])
		same(fmt.Sprintf("axpy4x2's first[%d]", j), gotA2[j], wantA[j])
		same(fmt.Sprintf("axpy4x2's second[%d]", j), gotB2[j], wantB[j])
	}
}

// TestExpNeg checks expNeg against math.Exp (within 2 ulp, 0 below −708)
// and the four-at-a-time kernel against expNeg, bit for bit, over the
// range the loss uses and its edges.
func TestExpNeg(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := []float64{0, math.Copysign(0, -1), -1e-300, -0x1p-60, -0.5 * math.Ln2, -math.Ln2, -1, -20, -37.5,
		-700, -707.99, -708, -708.0000001, -745, -1e10, math.Inf(-1), 1, 300, 709}
	for range 20000 {
		xs = append(xs, -math.Abs(rng.NormFloat64())*3, -rng.Float64()*710, -math.Exp(rng.Float64()*10-30))
	}
	for len(xs)%4 != 0 {
		xs = append(xs, -rng.Float64())
	}
	for i := 0; i < len(xs); i += 4 {
		quad := [4]float64(xs[i : i+4])
		expNeg4(&quad)
		for k, x := range xs[i : i+4] {
			got := expNeg(x)
			if math.Float64bits(quad[k]) != math.Float64bits(got) {
				t.Errorf("expNeg4(%v) = %v, expNeg %v", x, quad[k], got)
			}
			want := math.Exp(x)
			if x < -708 {
				want = 0
			}
			if ulps := math.Abs(got-want) / ulp(want); ulps > 2 {
				t.Errorf("expNeg(%v) = %v, math.Exp %v: %.1f ulp apart", x, got, want, ulps)
			}
		}
	}
	nan := [4]float64{math.NaN(), -1, math.NaN(), 0}
	expNeg4(&nan)
	if !math.IsNaN(nan[0]) || !math.IsNaN(nan[2]) || !math.IsNaN(expNeg(math.NaN())) {
		t.Errorf("expNeg of NaN: %v, %v", nan, expNeg(math.NaN()))
	}
}

// ulp returns the spacing of float64 values at |v| (the smallest
// subnormal at 0).
func ulp(v float64) float64 {
	v = math.Abs(v)
	return math.Nextafter(v, math.Inf(1)) - v
}

// checkGram8x8 checks gram8x8 against gram8x8Generic.
func checkGram8x8(t *testing.T, rng *rand.Rand) {
	t.Helper()
	checkGram(t, rng, "gram8x8", 8, func(a, b []float64, stride, m int, out []float64, generic bool) {
		if generic {
			gram8x8Generic(a, b, stride, m, (*[64]float64)(out))
		} else {
			gram8x8(a, b, stride, m, (*[64]float64)(out))
		}
	})
}

// checkGram checks a Gram kernel of rows×8 blocks (kernel, or its
// portable version when generic) against the portable one, in two calls
// split at a row (the chains continue), on blocks that overlap, and
// against a naive sum.
func checkGram[T float32 | float64](t *testing.T, rng *rand.Rand, name string, rows int,
	kernel func(a, b []T, stride, m int, out []float64, generic bool)) {
	t.Helper()
	for _, m := range []int{1, 2, 7, 100} {
		stride := 24
		p := make([]T, m*stride)
		for k := range p {
			p[k] = T(rng.NormFloat64())
		}
		for _, ij := range [][2]int{{0, 0}, {8, 16}, {16, 0}, {3, 5}} {
			a, b := p[ij[0]:], p[ij[1]:]
			got, want := make([]float64, rows*8), make([]float64, rows*8)
			for e := range got {
				got[e] = float64(e)
				want[e] = float64(e)
			}
			half := m / 2
			kernel(a, b, stride, half, got, false)
			kernel(a[half*stride:], b[half*stride:], stride, m-half, got, false)
			kernel(a, b, stride, m, want, true)
			for e := range got {
				if math.Float64bits(got[e]) != math.Float64bits(want[e]) {
					t.Fatalf("%s m=%d at %v, entry %d: %v, generic %v", name, m, ij, e, got[e], want[e])
				}
			}
			naive := 10.0
			for k := range m {
				naive += float64(p[k*stride+ij[0]+1]) * float64(p[k*stride+ij[1]+2])
			}
			if math.Abs(got[10]-naive) > 1e-9*float64(m) {
				t.Fatalf("%s m=%d at %v: entry (1,2) = %v, naive %v", name, m, ij, got[10], naive)
			}
		}
	}
}
