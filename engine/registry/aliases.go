package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// What moved an alias, recorded in alias_history.triggered_by.
const (
	MoveByPublish  = "publish"  // a publish step with alias or promote_if
	MoveByPromote  = "promote"  // pipe models promote
	MoveByRollback = "rollback" // pipe models rollback
)

// Comparison is one metric compared between the candidate version and the
// version the alias pointed at (the incumbent) before a move.
type Comparison struct {
	Candidate float64 `json:"candidate"`
	Incumbent float64 `json:"incumbent"`
}

// Reason says why an alias moved; it is recorded with the move.
type Reason struct {
	// Trigger is MoveByPublish, MoveByPromote or MoveByRollback.
	Trigger string
	// RunID is the run that moved it, 0 for a move by hand.
	RunID int64
	// Note is free text: who asked, or why.
	Note string
	// Compared holds the metrics compared to decide the move, by name.
	Compared map[string]Comparison
}

// AliasMove is one entry of an alias's history.
type AliasMove struct {
	ID    int64  `json:"id"`
	Model string `json:"model"`
	Alias string `json:"alias"`
	// From is 0 when the alias was new.
	From     int                   `json:"from,omitempty"`
	To       int                   `json:"to"`
	At       time.Time             `json:"at"`
	Trigger  string                `json:"trigger"`
	RunID    int64                 `json:"run_id,omitempty"`
	Note     string                `json:"note,omitempty"`
	Compared map[string]Comparison `json:"compared,omitempty"`
	// Undoes is the ID of the move a rollback undid.
	Undoes int64 `json:"undoes,omitempty"`
}

// SetAlias points the model's alias at version and records the move in the
// alias history with its reason. It returns moved=false, and records
// nothing, when the alias already points there.
func (db *DB) SetAlias(ctx context.Context, model, alias string, version int, why Reason) (moved bool, err error) {
	if err := checkAliasName(alias); err != nil {
		return false, err
	}
	if why.Trigger == "" {
		why.Trigger = MoveByPromote
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		mid, err := modelID(ctx, tx, model)
		if err != nil {
			return err
		}
		if err := checkVersion(ctx, tx, mid, model, version); err != nil {
			return err
		}
		cur, err := aliasVersion(ctx, tx, mid, alias)
		if err != nil {
			return err
		}
		if cur == version {
			return nil
		}
		moved = true
		return db.moveAlias(ctx, tx, mid, alias, cur, version, why, 0)
	})
	return moved, err
}

func checkVersion(ctx context.Context, q queryer, mid int64, model string, version int) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM model_versions WHERE model_id = ? AND version = ?`, mid, version).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("registry: model %s has no version %d; `pipe models show %s` lists them", model, version, model)
	}
	return nil
}

// aliasVersion returns the version the alias points at, 0 when it does not
// exist.
func aliasVersion(ctx context.Context, q queryer, mid int64, alias string) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT version FROM aliases WHERE model_id = ? AND name = ?`, mid, alias).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// moveAlias sets the alias and appends the move to its history, in tx.
func (db *DB) moveAlias(ctx context.Context, tx *sql.Tx, mid int64, alias string, from, to int, why Reason, undoes int64) error {
	now := formatTime(db.now())
	if _, err := tx.ExecContext(ctx, `INSERT INTO aliases (model_id, name, version, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (model_id, name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
		mid, alias, to, now); err != nil {
		return err
	}
	var compared any
	if len(why.Compared) > 0 {
		b, err := json.Marshal(why.Compared) // map keys are sorted
		if err != nil {
			return fmt.Errorf("registry: record comparison: %w", err)
		}
		compared = string(b)
	}
	var fromV any
	if from != 0 {
		fromV = from
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO alias_history
		(model_id, alias, from_version, to_version, moved_at, triggered_by, run_id, note, compared, undoes_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		mid, alias, fromV, to, now, why.Trigger, nullID(why.RunID), nullString(why.Note), compared, nullID(undoes))
	return err
}

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

// PromoteIf moves the model's alias to version when the rule says the
// candidate beats the version the alias points at now, and records the
// comparison with the move. The check and the move happen in one
// transaction, so two publishes at once cannot both win on stale data.
// An alias that does not exist yet is simply set. A candidate without the
// metric is an error; an incumbent that cannot be compared fairly (no such
// metric, or measured on other evaluation data and not rescored) keeps the
// alias, and Why says so.
func (db *DB) PromoteIf(ctx context.Context, model, alias string, version int, rule PromoteRule, why Reason) (*Decision, error) {
	if err := checkAliasName(alias); err != nil {
		return nil, err
	}
	if rule.Metric == "" {
		return nil, errors.New("registry: promote rule names no metric")
	}
	if why.Trigger == "" {
		why.Trigger = MoveByPublish
	}
	d := &Decision{}
	err := db.write(ctx, func(tx *sql.Tx) error {
		*d = Decision{}
		mid, err := modelID(ctx, tx, model)
		if err != nil {
			return err
		}
		cand, err := versionMetric(ctx, tx, mid, version, rule.Metric)
		if err != nil {
			return err
		}
		if !cand.has {
			return fmt.Errorf("registry: %s@%d has no metric %q to compare; record it when publishing, or promote by hand", model, version, rule.Metric)
		}
		d.CandidateValue = cand.value
		cur, err := aliasVersion(ctx, tx, mid, alias)
		if err != nil {
			return err
		}
		d.Incumbent = cur
		switch {
		case cur == 0:
			d.Why = fmt.Sprintf("%s had no %s alias yet", model, alias)
		case cur == version:
			d.Why = fmt.Sprintf("%s@%s already points at version %d", model, alias, version)
			return nil
		default:
			inc, err := versionMetric(ctx, tx, mid, cur, rule.Metric)
			if err != nil {
				return err
			}
			if v, ok := rule.Rescored[cur]; ok {
				inc.value, inc.has, inc.evalData = v, true, cand.evalData
			}
			switch {
			case !inc.has:
				d.Why = fmt.Sprintf("kept %s@%s at version %d: it has no %s to compare with; promote by hand with `pipe models promote %s@%d %s`", model, alias, cur, rule.Metric, model, version, alias)
				return nil
			case inc.evalData == "" || inc.evalData != cand.evalData:
				d.Why = fmt.Sprintf("kept %s@%s at version %d: its %s was measured on other evaluation data than version %d's, so the two cannot be compared; promote by hand with `pipe models promote %s@%d %s`", model, alias, cur, rule.Metric, version, model, version, alias)
				return nil
			}
			d.IncumbentValue, d.Compared = inc.value, true
			gain := cand.value - inc.value
			if rule.LowerIsBetter {
				gain = -gain
			}
			if !(gain > rule.MinDelta) {
				d.Why = fmt.Sprintf("kept %s@%s at version %d: %s %g does not beat %g by more than %g", model, alias, cur, rule.Metric, cand.value, inc.value, rule.MinDelta)
				return nil
			}
			d.Why = fmt.Sprintf("%s %g beats %g by more than %g", rule.Metric, cand.value, inc.value, rule.MinDelta)
			if why.Compared == nil {
				why.Compared = map[string]Comparison{}
			}
			why.Compared[rule.Metric] = Comparison{Candidate: cand.value, Incumbent: inc.value}
		}
		d.Moved = true
		return db.moveAlias(ctx, tx, mid, alias, cur, version, why, 0)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

type metricValue struct {
	value    float64
	has      bool
	evalData string
}

func versionMetric(ctx context.Context, q queryer, mid int64, version int, metric string) (metricValue, error) {
	var (
		m        metricValue
		vid      int64
		evalData sql.NullString
	)
	err := q.QueryRowContext(ctx, `SELECT id, eval_data_digest FROM model_versions WHERE model_id = ? AND version = ?`, mid, version).Scan(&vid, &evalData)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("registry: model has no version %d", version)
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

// Rollback undoes the latest move of the alias that has not been undone
// yet, pointing the alias back at the version it had before that move, and
// records the rollback as a move of its own. Rolling back again undoes the
// move before that, like an editor's undo. It returns the version the alias
// now points at. why.Trigger is set to MoveByRollback.
func (db *DB) Rollback(ctx context.Context, model, alias string, why Reason) (int, error) {
	why.Trigger = MoveByRollback
	var to int
	err := db.write(ctx, func(tx *sql.Tx) error {
		mid, err := modelID(ctx, tx, model)
		if err != nil {
			return err
		}
		var (
			id       int64
			from     sql.NullInt64
			toV      int
			cur      int
			hasMoves int
		)
		err = tx.QueryRowContext(ctx, `SELECT h.id, h.from_version, h.to_version FROM alias_history h
			WHERE h.model_id = ? AND h.alias = ? AND h.triggered_by != 'rollback'
			  AND NOT EXISTS (SELECT 1 FROM alias_history u WHERE u.undoes_id = h.id)
			ORDER BY h.id DESC LIMIT 1`, mid, alias).Scan(&id, &from, &toV)
		if errors.Is(err, sql.ErrNoRows) {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM alias_history WHERE model_id = ? AND alias = ?`, mid, alias).Scan(&hasMoves); err != nil {
				return err
			}
			if hasMoves == 0 {
				return fmt.Errorf("registry: model %s has no alias %q to roll back", model, alias)
			}
			return fmt.Errorf("registry: every move of %s@%s has been rolled back already; move it with `pipe models promote`", model, alias)
		}
		if err != nil {
			return err
		}
		if !from.Valid {
			return fmt.Errorf("registry: %s@%s was first set to version %d and has no earlier version to roll back to", model, alias, toV)
		}
		if cur, err = aliasVersion(ctx, tx, mid, alias); err != nil {
			return err
		}
		if cur != toV {
			return fmt.Errorf("registry: %s@%s points at version %d but its history ends at version %d; move it with `pipe models promote`", model, alias, cur, toV)
		}
		to = int(from.Int64)
		return db.moveAlias(ctx, tx, mid, alias, cur, to, why, id)
	})
	return to, err
}

// AliasHistory returns every move of the model's aliases (of one alias
// when alias is not empty), oldest first.
func (db *DB) AliasHistory(ctx context.Context, model, alias string) ([]AliasMove, error) {
	out := []AliasMove{}
	err := db.read(ctx, func(tx queryer) error {
		mid, err := modelID(ctx, tx, model)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, alias, from_version, to_version, moved_at, triggered_by, run_id, note, compared, undoes_id
			FROM alias_history WHERE model_id = ? AND (? = '' OR alias = ?) ORDER BY id`, mid, alias, alias)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				m                  AliasMove
				from, run, undoes  sql.NullInt64
				at, note, compared sql.NullString
			)
			if err := rows.Scan(&m.ID, &m.Alias, &from, &m.To, &at, &m.Trigger, &run, &note, &compared, &undoes); err != nil {
				return err
			}
			m.Model, m.From, m.RunID, m.Undoes = model, int(from.Int64), run.Int64, undoes.Int64
			m.At, m.Note = parseTime(at), note.String
			if compared.Valid {
				if err := json.Unmarshal([]byte(compared.String), &m.Compared); err != nil {
					return fmt.Errorf("registry: alias history %d: compared is not valid JSON: %w", m.ID, err)
				}
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}
