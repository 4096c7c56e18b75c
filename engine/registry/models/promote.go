package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

// PromoteRule is promote_if: move the alias to the candidate only when it
// beats the incumbent on Metric by more than MinDelta.
type PromoteRule struct {
	Metric string
	// MinDelta is how much better the candidate must be; 0 means any
	// improvement.
	MinDelta float64
	// LowerIsBetter is true for losses (log_loss).
	LowerIsBetter bool
	// Rescored optionally gives the metric of earlier versions measured by
	// the caller on the candidate's evaluation data, by version. When the
	// incumbent is among them that value is compared; otherwise its
	// recorded metric is, and only when it was measured on the same
	// evaluation data as the candidate's.
	Rescored map[int]float64
}

// Decision is the outcome of PromoteIf.
type Decision struct {
	Moved bool `json:"moved"`
	// Incumbent is the version the alias pointed at before, 0 if none.
	Incumbent int `json:"incumbent,omitempty"`
	// CandidateValue and IncumbentValue are the compared metric values;
	// IncumbentValue is meaningful only when Compared is true.
	CandidateValue float64 `json:"candidate_value"`
	IncumbentValue float64 `json:"incumbent_value"`
	Compared       bool    `json:"compared"`
	// Why explains the decision in one sentence.
	Why string `json:"why"`
}

// PromoteIf decides whether the model's alias moves to version: when the
// rule says the candidate beats the version the alias points at now. An
// alias that does not exist yet is simply set. A candidate without the
// metric is an error; an incumbent that cannot be compared fairly (no such
// metric, or measured on other evaluation data and not rescored) keeps
// the alias, and Why says so. The fact is nil when the alias stays.
func PromoteIf(ctx context.Context, q index.Querier, model, alias string, version int, rule PromoteRule, why Reason, now time.Time) (*txlog.AliasMoved, *Decision, error) {
	if rule.Metric == "" {
		return nil, nil, errors.New("models: promote rule names no metric")
	}
	if why.Trigger == "" {
		why.Trigger = MoveByPublish
	}
	cur, err := Holder(ctx, q, model, alias)
	if err != nil {
		return nil, nil, err
	}
	cand, err := versionMetric(ctx, q, model, version, rule.Metric)
	if err != nil {
		return nil, nil, err
	}
	if !cand.has {
		return nil, nil, fmt.Errorf("models: %s@%d has no metric %q to compare; record it when publishing, or promote by hand", model, version, rule.Metric)
	}
	d := &Decision{CandidateValue: cand.value, Incumbent: cur}
	switch {
	case cur == 0:
		d.Why = fmt.Sprintf("%s had no %s alias yet", model, alias)
	case cur == version:
		d.Why = fmt.Sprintf("%s@%s already points at version %d", model, alias, version)
		return nil, d, nil
	default:
		moves, err := compare(ctx, q, model, alias, version, cur, cand, rule, d)
		if err != nil || !moves {
			return nil, d, err
		}
		if why.Compared == nil {
			why.Compared = map[string]Comparison{}
		}
		why.Compared[rule.Metric] = Comparison{Candidate: cand.value, Incumbent: d.IncumbentValue}
	}
	d.Moved = true
	m, err := move(ctx, q, model, alias, cur, version, why, now, 0)
	return m, d, err
}

// compare fills d with the comparison of the candidate with the incumbent
// cur, and says whether the candidate wins.
func compare(ctx context.Context, q index.Querier, model, alias string, version, cur int, cand metricValue, rule PromoteRule, d *Decision) (bool, error) {
	inc, err := versionMetric(ctx, q, model, cur, rule.Metric)
	if err != nil {
		return false, err
	}
	if v, ok := rule.Rescored[cur]; ok {
		inc.value, inc.has, inc.evalData = v, true, cand.evalData
	}
	switch {
	case !inc.has:
		d.Why = fmt.Sprintf("kept %s@%s at version %d: it has no %s to compare with; promote by hand with `pipe models promote %s@%d %s`", model, alias, cur, rule.Metric, model, version, alias)
		return false, nil
	case inc.evalData == "" || inc.evalData != cand.evalData:
		d.Why = fmt.Sprintf("kept %s@%s at version %d: its %s was measured on other evaluation data than version %d's, so the two cannot be compared; promote by hand with `pipe models promote %s@%d %s`", model, alias, cur, rule.Metric, version, model, version, alias)
		return false, nil
	}
	d.IncumbentValue, d.Compared = inc.value, true
	gain := cand.value - inc.value
	if rule.LowerIsBetter {
		gain = -gain
	}
	if !(gain > rule.MinDelta) {
		d.Why = fmt.Sprintf("kept %s@%s at version %d: %s %g does not beat %g by more than %g", model, alias, cur, rule.Metric, cand.value, inc.value, rule.MinDelta)
		return false, nil
	}
	d.Why = fmt.Sprintf("%s %g beats %g by more than %g", rule.Metric, cand.value, inc.value, rule.MinDelta)
	return true, nil
}

type metricValue struct {
	value    float64
	has      bool
	evalData string
}

func versionMetric(ctx context.Context, q index.Querier, model string, version int, metric string) (metricValue, error) {
	var (
		m        metricValue
		vid      int64
		evalData sql.NullString
	)
	err := q.QueryRowContext(ctx, `SELECT mv.id, mv.eval_data_digest FROM model_versions mv JOIN models m ON m.id = mv.model_id
		WHERE m.name = ? AND mv.version = ?`, model, version).Scan(&vid, &evalData)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("models: model %s has no version %d", model, version)
	}
	if err != nil {
		return m, err
	}
	m.evalData = evalData.String
	err = q.QueryRowContext(ctx, `SELECT value FROM model_metrics WHERE model_version_id = ? AND name = ?`, vid, metric).Scan(&m.value)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil
	}
	m.has = err == nil
	return m, err
}
