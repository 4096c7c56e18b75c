package load

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// splitStream is the PCG stream of the split's random source; with
// split.seed it fixes every choice.
const splitStream = 0x5b11e7

// shuffler draws from a PCG source with code of its own (Lemire's
// multiply-shift for bounded integers), so that a seed gives the same
// split on every Go version.
type shuffler struct{ src *rand.PCG }

func (s shuffler) intN(n int) int {
	hi, _ := bits.Mul64(s.src.Uint64(), uint64(n))
	return int(hi)
}

// shuffle is Fisher–Yates from the end.
func (s shuffler) shuffle(v []int) {
	for i := len(v) - 1; i > 0; i-- {
		j := s.intN(i + 1)
		v[i], v[j] = v[j], v[i]
	}
}

// splitRows decides which rows go to the test set. See the package
// documentation for the algorithm; it depends only on the labels, the
// group values, the test fraction, the seed and stratify.
func splitRows(y []uint8, groups []string, s *splitConfig) []bool {
	n := len(y)
	test := make([]bool, n)
	rng := shuffler{rand.NewPCG(s.seed, splitStream)}
	if groups == nil {
		strata := [][]int{make([]int, 0, n)}
		if s.stratify {
			strata = [][]int{nil, nil}
		}
		for i := range y {
			k := 0
			if s.stratify {
				k = int(y[i])
			}
			strata[k] = append(strata[k], i)
		}
		for _, rows := range strata {
			rng.shuffle(rows)
			k := int(math.Round(s.test * float64(len(rows))))
			for _, i := range rows[:k] {
				test[i] = true
			}
		}
		return test
	}

	// Groups, in order of first appearance.
	id := map[string]int{}
	rowGroup := make([]int, n)
	var size, pos []int
	for i, g := range groups {
		k, ok := id[g]
		if !ok || g == "" { // an empty value (a missing text) is a group of one
			k = len(size)
			if g != "" {
				id[g] = k
			}
			size = append(size, 0)
			pos = append(pos, 0)
		}
		rowGroup[i] = k
		size[k]++
		pos[k] += int(y[i])
	}
	strata := [][]int{nil}
	if s.stratify {
		strata = [][]int{nil, nil}
	}
	for k := range size {
		c := 0
		if s.stratify && 2*pos[k] >= size[k] {
			c = 1 // the group's majority label; ties count as positive
		}
		strata[c] = append(strata[c], k)
	}
	inTest := make([]bool, len(size))
	for _, gs := range strata {
		rows := 0
		for _, k := range gs {
			rows += size[k]
		}
		target := int(math.Round(s.test * float64(rows)))
		rng.shuffle(gs)
		got := 0
		for _, k := range gs {
			if abs(got+size[k]-target) < abs(got-target) {
				inTest[k] = true
				got += size[k]
			}
		}
	}
	for i, k := range rowGroup {
		test[i] = inTest[k]
	}
	return test
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// partition reorders the rows of t in place, stably, so that the rows
// with test[i] false come first, and returns how many there are. It moves
// each row at most once along its permutation cycle, with two rows of
// scratch space, so the matrix is never copied whole.
func (t *table) partition(test []bool) int {
	n := len(test)
	dest := make([]int, n)
	ntrain := 0
	for _, b := range test {
		if !b {
			ntrain++
		}
	}
	a, b := 0, ntrain
	for i, isTest := range test {
		if isTest {
			dest[i] = b
			b++
		} else {
			dest[i] = a
			a++
		}
	}
	hold := make([]float32, t.dim)
	spare := make([]float32, t.dim)
	done := make([]bool, n)
	for i := range dest {
		if done[i] || dest[i] == i {
			done[i] = true
			continue
		}
		copy(hold, t.row(i))
		y, w, id, text, group := t.y[i], t.at(t.w, i), t.str(t.ids, i), t.str(t.texts, i), t.str(t.groups, i)
		for j := dest[i]; ; j = dest[j] {
			copy(spare, t.row(j))
			copy(t.row(j), hold)
			hold, spare = spare, hold
			y, t.y[j] = t.y[j], y
			if t.w != nil {
				w, t.w[j] = t.w[j], w
			}
			if t.ids != nil {
				id, t.ids[j] = t.ids[j], id
			}
			if t.texts != nil {
				text, t.texts[j] = t.texts[j], text
			}
			if t.groups != nil && !aliases(t.groups, t.ids) && !aliases(t.groups, t.texts) {
				group, t.groups[j] = t.groups[j], group
			}
			done[j] = true
			if j == i {
				break
			}
		}
	}
	return ntrain
}

func (t *table) at(w []float64, i int) float64 {
	if w == nil {
		return 0
	}
	return w[i]
}

func (t *table) str(s []string, i int) string {
	if s == nil {
		return ""
	}
	return s[i]
}
