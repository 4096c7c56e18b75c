package search

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Streams of the PCG source, one per use of the seed, so that folds and
// trials draw independent sequences from one seed.
const (
	streamFolds  = 0xf01d5
	streamTrials = 0x7e1a15
)

// rng derives uniform variates from a math/rand/v2 PCG source with code of
// its own, so that the same seed gives the same folds and trials on every
// Go version.
type rng struct{ src *rand.PCG }

func newRNG(seed, stream uint64) *rng { return &rng{src: rand.NewPCG(seed, stream)} }

// float64 is uniform in [0, 1), with 53 random bits.
func (r *rng) float64() float64 { return float64(r.src.Uint64()>>11) * 0x1p-53 }

// intN is uniform in [0, n), n > 0, without bias (Lemire's multiply-shift
// with rejection).
func (r *rng) intN(n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(r.src.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(r.src.Uint64(), bound)
		}
	}
	return int(hi)
}

// shuffle permutes s uniformly (Fisher–Yates, from the end).
func shuffle[T any](r *rng, s []T) {
	for i := len(s) - 1; i > 0; i-- {
		j := r.intN(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}

// uniform is uniform in [lo, hi).
func (r *rng) uniform(lo, hi float64) float64 {
	v := lo + (hi-lo)*r.float64()
	return min(max(v, lo), math.Nextafter(hi, lo))
}

// logUniform is a value whose logarithm is uniform in [log lo, log hi),
// lo > 0: scipy.stats.loguniform(lo, hi).
func (r *rng) logUniform(lo, hi float64) float64 {
	v := math.Exp(r.uniform(math.Log(lo), math.Log(hi)))
	return min(max(v, lo), hi)
}
