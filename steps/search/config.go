package search

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// Defaults of the attributes.
const (
	defaultFolds  = 5
	defaultTrials = 10 // scikit-learn's RandomizedSearchCV n_iter
	maxFolds      = 255
)

// config is a search block's configuration, checked.
type config struct {
	data        steps.Artifact
	strategy    string
	space       *space
	trials      int // random only
	folds       int
	metric      Metric
	seed        uint64
	parallelism int // 0: the Env's
}

// parseConfig checks cfg and returns it as a config. With partial set
// (validate and plan time) it skips what is not known yet; otherwise cfg
// is wholly known and the config is complete when there are no errors.
func parseConfig(cfg cty.Value, partial bool) (*config, []*steps.AttrError) {
	var errs []*steps.AttrError
	bad := func(path cty.Path, summary, format string, args ...any) {
		errs = append(errs, steps.Errorf(path, summary, format, args...))
	}
	c := &config{folds: defaultFolds, metric: F1, strategy: Grid}
	known := func(name string) (cty.Value, bool) {
		v := cfg.GetAttr(name)
		return v, v.IsWhollyKnown() && !v.IsNull()
	}
	whole := func(name string, lo, hi int) (int, bool) {
		v, ok := known(name)
		if !ok {
			return 0, false
		}
		path := steps.AttrPath(name)
		n, err := steps.IntValue(v, path)
		if err != nil || n < lo || n > hi {
			bad(path, fmt.Sprintf("Invalid %s", name), "%s must be a whole number from %d to %d, not %s.", name, lo, hi, v.AsBigFloat().Text('g', -1))
			return 0, false
		}
		return n, true
	}

	if v, ok := known("data"); ok {
		a, err := steps.ArtifactFromValue(v)
		switch {
		case err != nil:
			bad(steps.AttrPath("data"), "Not an artifact", "%v", err)
		case a.MediaType != steps.MediaDataset:
			bad(steps.AttrPath("data"), "Not a dataset",
				"data must be a dataset, such as load.NAME.train, not an artifact of type %s.", a.MediaType)
		default:
			c.data = a
		}
	}

	strategyKnown := true
	if v, ok := known("strategy"); ok {
		switch s := v.AsString(); s {
		case Grid, Random:
			c.strategy = s
		default:
			bad(steps.AttrPath("strategy"), "Unknown strategy", `strategy must be "grid" (every combination of the listed values) or "random" (trials drawn from the space), not %q.`, s)
			strategyKnown = false
		}
	} else if !cfg.GetAttr("strategy").IsKnown() {
		strategyKnown = false
	}
	strategy := c.strategy
	if !strategyKnown {
		strategy = ""
	}

	if n, ok := whole("trials", 1, maxTrials); ok {
		c.trials = n
	}
	if v, ok := known("trials"); ok && strategy == Grid {
		bad(steps.AttrPath("trials"), "trials without random search",
			`A grid search tries every combination, so trials = %s does nothing: remove it, or set strategy = "random".`, v.AsBigFloat().Text('g', -1))
	}
	if strategy == Random && cfg.GetAttr("trials").IsNull() {
		c.trials = defaultTrials
	}

	if n, ok := whole("folds", 2, maxFolds); ok {
		c.folds = n
	}
	if v, ok := known("metric"); ok {
		m := Metric(v.AsString())
		if m.Valid() {
			c.metric = m
		} else {
			detail := fmt.Sprintf("metric must be one of %s, not %q.", metricNames(), string(m))
			if s := suggestMetric(string(m)); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			errs = append(errs, &steps.AttrError{Path: steps.AttrPath("metric"), Summary: "Unknown metric", Detail: detail})
		}
	}
	if v, ok := known("seed"); ok {
		bf := v.AsBigFloat()
		u, acc := bf.Uint64()
		if acc != big.Exact || bf.Sign() < 0 {
			bad(steps.AttrPath("seed"), "Invalid seed", "seed must be a whole number from 0 to %d, not %s.", uint64(math.MaxUint64), bf.Text('g', -1))
		} else {
			c.seed = u
		}
	}
	if n, ok := whole("parallelism", 1, 1<<16); ok {
		c.parallelism = n
	}

	s, serrs := parseSpace(cfg.GetAttr("space"), strategy, partial)
	errs = append(errs, serrs...)
	c.space = s
	return c, errs
}

// suggestMetric returns the metric closest to name when it is a likely
// typo, or "".
func suggestMetric(name string) string {
	best, bestDist := "", 3
	for _, m := range Metrics {
		if d := levenshtein.Distance(strings.ToLower(name), string(m), nil); d < bestDist {
			best, bestDist = string(m), d
		}
	}
	switch strings.ToLower(name) {
	case "auc", "rocauc", "roc":
		return string(ROCAUC)
	case "logloss", "neg_log_loss", "cross_entropy":
		return string(LogLoss)
	case "average_precision", "ap", "prauc":
		return string(PRAUC)
	}
	return best
}
