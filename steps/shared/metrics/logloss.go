package metrics

import "math"

// logLossEps is where LogLoss clips probabilities: the float64 machine
// epsilon 2^-52 ≈ 2.22e-16, scikit-learn 1.2's default eps="auto"
// (np.finfo(np.float64).eps). Releases before 1.2 clipped at 1e-15.
const logLossEps = 0x1p-52

// LogLoss returns the (weighted) mean negative log-likelihood of the
// labels under the predicted probabilities, scikit-learn 1.2.1's
// log_loss(y, p, sample_weight=w, labels=[0, 1]):
//
//	q_i    = min(max(p_i, ε), 1 − ε),   ε = 2^-52
//	L_i    = −log(q_i / s_i)            if y_i = 1
//	       = −log((1 − q_i) / s_i)      if y_i = 0,   s_i = (1 − q_i) + q_i
//	LogLoss = Σ w_i L_i / Σ w_i
//
// (s_i renormalises the pair, as scikit-learn does; it differs from 1 by
// at most one rounding.) Scores must be probabilities in [0, 1]. Unlike
// scikit-learn, which infers the classes from y and raises when only one
// is present, both classes are known to be {0, 1}, so data with one class
// has a log loss too.
func LogLoss(d Data) (float64, error) {
	if err := d.check(true); err != nil {
		return 0, err
	}
	return logLoss(d), nil
}

// logLoss is LogLoss on checked data.
func logLoss(d Data) float64 {
	loss := make([]float64, len(d.Labels))
	for i, y := range d.Labels {
		q := min(max(d.Scores[i], logLossEps), 1-logLossEps)
		s := (1 - q) + q
		if y == 1 {
			loss[i] = -math.Log(q / s)
		} else {
			loss[i] = -math.Log((1 - q) / s)
		}
	}
	if d.Weights == nil {
		return pairwiseSum(loss) / float64(len(loss))
	}
	for i, w := range d.Weights {
		loss[i] *= w
	}
	return pairwiseSum(loss) / pairwiseSum(d.Weights)
}
