package synth

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/pipe-ml/pipe/steps/shared/dataset"
)

// Config says what to generate. Zero fields take the defaults documented
// on each; only N is required.
type Config struct {
	// N is the number of rows.
	N int
	// Dim is the embedding width (default 584).
	Dim int
	// Rank is the dimension of the subspace the classes differ in
	// (default 8).
	Rank int
	// PositiveRate is the probability of true class 1 (default 0.3).
	PositiveRate float64
	// LabelNoise is the probability that an observed label is flipped
	// (default 0.04).
	LabelNoise float64
	// Separation is the distance between the class means in the latent
	// subspace, in the same units as Spread (default 1.1).
	Separation float64
	// Duplicates is the fraction of rows that repeat an earlier row
	// (default 0.05; negative means none).
	Duplicates float64
	// Seed seeds every random choice.
	Seed uint64
}

// Model constants: the spread of the latent factors, the isotropic noise
// norm and the weight of the common direction. They shape how
// embedding-like the rows look, not how hard the task is.
const (
	spread = 0.3
	noise  = 0.8
	mean   = 0.5
)

func (c Config) withDefaults() Config {
	if c.Dim == 0 {
		c.Dim = 584
	}
	if c.Rank == 0 {
		c.Rank = 8
	}
	if c.PositiveRate == 0 {
		c.PositiveRate = 0.3
	}
	if c.LabelNoise == 0 {
		c.LabelNoise = 0.04
	}
	if c.Separation == 0 {
		c.Separation = 1.1
	}
	if c.Duplicates == 0 {
		c.Duplicates = 0.05
	}
	if c.Duplicates < 0 {
		c.Duplicates = 0
	}
	return c
}

// Data is a generated dataset plus what only the generator knows.
type Data struct {
	*dataset.Dataset
	// Signal is the unit vector U·c along which the class means differ:
	// the score x·Signal is (nearly) the Bayes-optimal classifier.
	Signal []float64
	// True holds the labels before label noise.
	True []uint8
}

// rng derives uniform and normal variates from a PCG source with code of
// its own, so that they never change with the Go version.
type rng struct {
	src      *rand.PCG
	spare    float64
	hasSpare bool
}

func newRNG(seed, stream uint64) *rng { return &rng{src: rand.NewPCG(seed, stream)} }

// float64 is uniform in [0, 1).
func (r *rng) float64() float64 { return float64(r.src.Uint64()>>11) * 0x1p-53 }

// intN is uniform in [0, n) (Lemire's multiply-shift; bias below 2⁻⁴⁰
// for the sizes used here).
func (r *rng) intN(n int) int {
	hi, _ := bits.Mul64(r.src.Uint64(), uint64(n))
	return int(hi)
}

// normal is a standard normal variate (Box–Muller, both variates used in
// turn).
func (r *rng) normal() float64 {
	if r.hasSpare {
		r.hasSpare = false
		return r.spare
	}
	u := 1 - r.float64() // (0, 1]
	v := r.float64()
	rad := math.Sqrt(-2 * math.Log(u))
	s, c := math.Sincos(2 * math.Pi * v)
	r.spare, r.hasSpare = rad*s, true
	return rad * c
}

// Generate returns cfg.N rows, with ids ("r0000042") and short texts.
// The same Config always gives the same Data.
func Generate(cfg Config) *Data {
	c := cfg.withDefaults()
	if c.N < 0 || c.Dim < 1 || c.Rank < 1 || c.Rank > c.Dim {
		panic(fmt.Sprintf("synth: invalid config %+v", cfg))
	}
	r := newRNG(c.Seed, 0x5917)
	basis := orthonormal(r, c.Dim, c.Rank+1) // last vector is the common direction
	dir := make([]float64, c.Rank)
	normalize(fill(r, dir))
	signal := make([]float64, c.Dim)
	for k, ck := range dir {
		for j := range signal {
			signal[j] += ck * basis[k][j]
		}
	}
	common := basis[c.Rank]

	d := &dataset.Dataset{N: c.N, Dim: c.Dim, X: make([]float32, c.N*c.Dim), Y: make([]uint8, c.N),
		IDs: make([]string, c.N), Texts: make([]string, c.N)}
	truth := make([]uint8, c.N)
	z := make([]float64, c.Rank)
	v := make([]float64, c.Dim)
	for i := 0; i < c.N; i++ {
		d.IDs[i] = fmt.Sprintf("r%07d", i)
		if i > 0 && r.float64() < c.Duplicates {
			j := r.intN(i)
			copy(d.Row(i), d.Row(j))
			d.Y[i], truth[i], d.Texts[i] = d.Y[j], truth[j], d.Texts[j]
			continue
		}
		y := uint8(0)
		if r.float64() < c.PositiveRate {
			y = 1
		}
		truth[i] = y
		shift := (float64(y) - 0.5) * c.Separation
		for k := range z {
			z[k] = spread*r.normal() + shift*dir[k]
		}
		sd := noise / math.Sqrt(float64(c.Dim))
		for j := range v {
			v[j] = mean*common[j] + sd*r.normal()
		}
		for k, zk := range z {
			for j, b := range basis[k] {
				v[j] += zk * b
			}
		}
		normalize(v)
		row := d.Row(i)
		for j, x := range v {
			row[j] = float32(x)
		}
		d.Y[i] = y
		if r.float64() < c.LabelNoise {
			d.Y[i] = 1 - y
		}
		d.Texts[i] = sentence(r, y)
	}
	return &Data{Dataset: d, Signal: signal, True: truth}
}

func fill(r *rng, v []float64) []float64 {
	for i := range v {
		v[i] = r.normal()
	}
	return v
}

func normalize(v []float64) []float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	s = math.Sqrt(s)
	for i := range v {
		v[i] /= s
	}
	return v
}

// orthonormal returns k orthonormal vectors in R^dim (Gram–Schmidt on
// Gaussian vectors, twice for stability).
func orthonormal(r *rng, dim, k int) [][]float64 {
	out := make([][]float64, k)
	for i := range out {
		v := fill(r, make([]float64, dim))
		for pass := 0; pass < 2; pass++ {
			for _, u := range out[:i] {
				dot := 0.0
				for j := range v {
					dot += v[j] * u[j]
				}
				for j := range v {
					v[j] -= dot * u[j]
				}
			}
		}
		out[i] = normalize(v)
	}
	return out
}

var (
	positiveOpeners = []string{"Please delete", "Can you remove", "I want to erase", "Stop sharing", "Who can see", "How do I hide", "Do not store", "Opt me out of tracking for"}
	negativeOpeners = []string{"What is", "Show me", "Remind me about", "How do I cook", "Play", "Tell me about", "Book a table for", "Find"}
	positiveObjects = []string{"my personal data", "my location history", "my \"private\" messages", "my contact list", "the photos I uploaded", "my browsing history", "my account, permanently", "my phone number"}
	negativeObjects = []string{"the weather tomorrow", "a pasta recipe", "jazz music", "the train times, please", "a good \"thriller\" movie", "the news today", "dinner at eight", "the nearest pharmacy"}
	months          = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	endings         = []string{"?", ".", " now.", ", thanks.", " today?", "!", " right away.", " as soon as possible."}
)

// sentence returns a short fake request, private-sounding for class 1.
// Some contain commas and quotes, as real text does.
func sentence(r *rng, y uint8) string {
	openers, objects := negativeOpeners, negativeObjects
	if y == 1 {
		openers, objects = positiveOpeners, positiveObjects
	}
	return fmt.Sprintf("%s %s from %s %d, %d%s", openers[r.intN(len(openers))], objects[r.intN(len(objects))],
		months[r.intN(len(months))], 1+r.intN(28), 2015+r.intN(10), endings[r.intN(len(endings))])
}
