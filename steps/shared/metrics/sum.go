package metrics

// pairwiseSum returns the sum of x by NumPy's pairwise summation (the
// algorithm of numpy.add.reduce on a contiguous float64 array): below 8
// values a plain loop, up to 128 values eight interleaved accumulators,
// above that the two halves (split at a multiple of 8) summed recursively.
// Its rounding error grows as O(log n) instead of O(n), and it follows the
// reference's order of operations, so sums over many rows stay close to
// scikit-learn's to the last bits.
func pairwiseSum(x []float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], x[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += x[i]
			r[1] += x[i+1]
			r[2] += x[i+2]
			r[3] += x[i+3]
			r[4] += x[i+4]
			r[5] += x[i+5]
			r[6] += x[i+6]
			r[7] += x[i+7]
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += x[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(x[:n2]) + pairwiseSum(x[n2:])
	}
}
