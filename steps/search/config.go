package search

import (
	"fmt"
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
// The engine has checked the schema's constraints (the data's media type,
// the ranges of trials, folds, seed and parallelism).
func parseConfig(cfg cty.Value, partial bool) (*config, []*steps.AttrError) {
	c := &config{folds: defaultFolds, metric: F1, strategy: Grid}
	if v := cfg.GetAttr("data"); v.IsWhollyKnown() && !v.IsNull() {
		c.data, _ = steps.ArtifactFromValue(v)
	}
	strategy, errs := c.parseStrategy(cfg)
	errs = append(errs, c.parseTrials(cfg, strategy)...)
	if v, ok := known(cfg, "folds"); ok {
		c.folds = wholeValue(v)
	}
	if v, ok := known(cfg, "metric"); ok {
		if err := c.parseMetric(v.AsString()); err != nil {
			errs = append(errs, err)
		}
	}
	if v, ok := known(cfg, "seed"); ok {
		c.seed, _ = v.AsBigFloat().Uint64()
	}
	if v, ok := known(cfg, "parallelism"); ok {
		c.parallelism = wholeValue(v)
	}
	s, serrs := parseSpace(cfg.GetAttr("space"), strategy, partial)
	c.space = s
	return c, append(errs, serrs...)
}

// known returns the named attribute and whether it is wholly known and
// not null.
func known(cfg cty.Value, name string) (cty.Value, bool) {
	v := cfg.GetAttr(name)
	return v, v.IsWhollyKnown() && !v.IsNull()
}

// wholeValue is a whole number the schema has bounded to the range of int.
func wholeValue(v cty.Value) int {
	n, _ := v.AsBigFloat().Int64()
	return int(n)
}

// parseStrategy sets c.strategy and returns the strategy to check the
// rest against: "" when it is not known yet or wrong.
func (c *config) parseStrategy(cfg cty.Value) (string, []*steps.AttrError) {
	v, ok := known(cfg, "strategy")
	if !ok {
		if !cfg.GetAttr("strategy").IsKnown() {
			return "", nil
		}
		return c.strategy, nil
	}
	switch s := v.AsString(); s {
	case Grid, Random:
		c.strategy = s
		return s, nil
	default:
		return "", []*steps.AttrError{steps.Errorf(steps.AttrPath("strategy"), "Unknown strategy",
			`strategy must be "grid" (every combination of the listed values) or "random" (trials drawn from the space), not %q.`, s)}
	}
}

// parseTrials sets c.trials: the number given, or for a random search
// without one the default. A grid search takes none.
func (c *config) parseTrials(cfg cty.Value, strategy string) []*steps.AttrError {
	v, ok := known(cfg, "trials")
	if ok {
		c.trials = wholeValue(v)
	}
	if ok && strategy == Grid {
		return []*steps.AttrError{steps.Errorf(steps.AttrPath("trials"), "trials without random search",
			`A grid search tries every combination, so trials = %s does nothing: remove it, or set strategy = "random".`, v.AsBigFloat().Text('g', -1))}
	}
	if strategy == Random && cfg.GetAttr("trials").IsNull() {
		c.trials = defaultTrials
	}
	return nil
}

// parseMetric sets c.metric, or says which metrics there are.
func (c *config) parseMetric(name string) *steps.AttrError {
	m := Metric(name)
	if m.Valid() {
		c.metric = m
		return nil
	}
	detail := fmt.Sprintf("metric must be one of %s, not %q.", metricNames(), name)
	if s := suggestMetric(name); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return &steps.AttrError{Path: steps.AttrPath("metric"), Summary: "Unknown metric", Detail: detail}
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
