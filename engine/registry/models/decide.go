package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

// keys resolves the run and execution IDs a change names to their keys.
func keys(ctx context.Context, q index.Querier, runID, execID int64) (run, exec string, err error) {
	if runID != 0 {
		if run, err = index.RunKey(ctx, q, runID); err != nil {
			return "", "", err
		}
	}
	if execID != 0 {
		exec, err = index.ExecutionKey(ctx, q, execID)
	}
	return run, exec, err
}

// NewVersion decides the number of a new version of mv.Model: the number
// reserved for its model digest, or the next one. It returns the fact
// that records the version, or nil with the existing number when the
// digest already has a version (publishing the same model twice makes no
// new version). The model and report artifacts must be recorded.
func NewVersion(ctx context.Context, q index.Querier, mv ModelVersion, now time.Time) (*txlog.VersionCreated, int, error) {
	if err := CheckModelName(mv.Model); err != nil {
		return nil, 0, err
	}
	for _, name := range sortedKeys(mv.Metrics) {
		if v := mv.Metrics[name]; math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, 0, fmt.Errorf("models: metric %s of %s is %v; only finite values can be recorded", name, mv.Model, v)
		}
	}
	for what, digest := range map[string]string{"model": mv.ModelDigest, "report": mv.ReportDigest} {
		if id, err := index.ArtifactIDByDigest(ctx, q, digest); err != nil || id == 0 && digest != "" || what == "model" && digest == "" {
			if err == nil {
				err = fmt.Errorf("models: %s artifact %q is not in the registry; record the execution that produced it first", what, digest)
			}
			return nil, 0, err
		}
	}
	v, reserved, err := index.VersionOfDigest(ctx, q, mv.Model, mv.ModelDigest)
	if err != nil || v != 0 && !reserved {
		return nil, v, err
	}
	if !reserved {
		if v, err = index.NextVersion(ctx, q, mv.Model); err != nil {
			return nil, 0, err
		}
	}
	run, exec, err := keys(ctx, q, mv.RunID, mv.ExecutionID)
	if err != nil {
		return nil, 0, err
	}
	return &txlog.VersionCreated{
		Model: mv.Model, Version: v, ModelDigest: mv.ModelDigest, ReportDigest: mv.ReportDigest,
		EvalDataDigest: mv.EvalDataDigest, URI: strings.ReplaceAll(mv.URI, VersionPlaceholder, strconv.Itoa(v)),
		Metrics: mv.Metrics, Run: run, Execution: exec, Created: now,
	}, v, nil
}

// Reserve decides the number a version of model made from digest will
// have, before its files are written: its existing or reserved number
// (and a nil fact), or the next number, with the fact that reserves it.
func Reserve(ctx context.Context, q index.Querier, model, digest string, runID, execID int64, now time.Time) (*txlog.VersionReserved, int, error) {
	if err := CheckModelName(model); err != nil {
		return nil, 0, err
	}
	v, _, err := index.VersionOfDigest(ctx, q, model, digest)
	if err != nil || v != 0 {
		return nil, v, err
	}
	if v, err = index.NextVersion(ctx, q, model); err != nil {
		return nil, 0, err
	}
	run, exec, err := keys(ctx, q, runID, execID)
	if err != nil {
		return nil, 0, err
	}
	return &txlog.VersionReserved{Model: model, Version: v, ModelDigest: digest, Run: run, Execution: exec, At: now}, v, nil
}

// What moved an alias, recorded in alias_history.triggered_by.
const (
	MoveByPublish  = "publish"  // a publish step with alias or promote_if
	MoveByPromote  = "promote"  // pipe models promote
	MoveByRollback = "rollback" // pipe models rollback
)

// Comparison is one metric compared between the candidate version and the
// version the alias pointed at (the incumbent) before a move.
type Comparison = txlog.Comparison

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

// move builds the fact of a move of alias from one version to another.
// Its key is left for the caller to set.
func move(ctx context.Context, q index.Querier, model, alias string, from, to int, why Reason, now time.Time, undoes int64) (*txlog.AliasMoved, error) {
	run, _, err := keys(ctx, q, why.RunID, 0)
	if err != nil {
		return nil, err
	}
	m := &txlog.AliasMoved{Model: model, Alias: alias, From: from, To: to, At: now, Trigger: why.Trigger,
		Run: run, Note: why.Note, Compared: why.Compared}
	if undoes != 0 {
		if m.Undoes, err = index.MoveKey(ctx, q, undoes); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Holder returns the version the alias points at now (0 when it does not
// exist), after checking the names and that the model exists.
func Holder(ctx context.Context, q index.Querier, model, alias string) (int, error) {
	if err := CheckAliasName(alias); err != nil {
		return 0, err
	}
	mid, err := modelID(ctx, q, model)
	if err != nil {
		return 0, err
	}
	return index.AliasVersion(ctx, q, mid, alias)
}

// SetAlias decides a move of the alias to version; the fact is nil when
// the alias already points there.
func SetAlias(ctx context.Context, q index.Querier, model, alias string, version int, why Reason, now time.Time) (*txlog.AliasMoved, error) {
	cur, err := Holder(ctx, q, model, alias)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, q, model, version); err != nil {
		return nil, err
	}
	if cur == version {
		return nil, nil
	}
	if why.Trigger == "" {
		why.Trigger = MoveByPromote
	}
	return move(ctx, q, model, alias, cur, version, why, now, 0)
}

func checkVersion(ctx context.Context, q index.Querier, model string, version int) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM model_versions mv JOIN models m ON m.id = mv.model_id
		WHERE m.name = ? AND mv.version = ?`, model, version).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("models: model %s has no version %d; `pipe models show %s` lists them", model, version, model)
	}
	return nil
}

// Rollback decides the undoing of the latest move of the alias that has
// not been undone yet: the alias goes back to the version it had before
// that move, and the rollback is a move of its own. Rolling back again
// undoes the move before that, like an editor's undo. It returns the move
// and the version the alias will point at.
func Rollback(ctx context.Context, q index.Querier, model, alias string, why Reason, now time.Time) (*txlog.AliasMoved, int, error) {
	why.Trigger = MoveByRollback
	mid, err := modelID(ctx, q, model)
	if err != nil {
		return nil, 0, err
	}
	var (
		id   int64
		from sql.NullInt64
		toV  int
	)
	err = q.QueryRowContext(ctx, `SELECT h.id, h.from_version, h.to_version FROM alias_history h
		WHERE h.model_id = ? AND h.alias = ? AND h.triggered_by != 'rollback'
		  AND NOT EXISTS (SELECT 1 FROM alias_history u WHERE u.undoes_id = h.id)
		ORDER BY h.id DESC LIMIT 1`, mid, alias).Scan(&id, &from, &toV)
	if errors.Is(err, sql.ErrNoRows) {
		var moves int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM alias_history WHERE model_id = ? AND alias = ?`, mid, alias).Scan(&moves); err != nil {
			return nil, 0, err
		}
		if moves == 0 {
			return nil, 0, fmt.Errorf("models: model %s has no alias %q to roll back", model, alias)
		}
		return nil, 0, fmt.Errorf("models: every move of %s@%s has been rolled back already; move it with `pipe models promote`", model, alias)
	}
	if err != nil {
		return nil, 0, err
	}
	if !from.Valid {
		return nil, 0, fmt.Errorf("models: %s@%s was first set to version %d and has no earlier version to roll back to", model, alias, toV)
	}
	cur, err := index.AliasVersion(ctx, q, mid, alias)
	if err != nil {
		return nil, 0, err
	}
	if cur != toV {
		return nil, 0, fmt.Errorf("models: %s@%s points at version %d but its history ends at version %d; move it with `pipe models promote`", model, alias, cur, toV)
	}
	m, err := move(ctx, q, model, alias, cur, int(from.Int64), why, now, id)
	return m, int(from.Int64), err
}

// LastMove describes the latest move of the alias for a person: "to
// version 4 by a publish in run 17 (ci, on ci-runner-3, at ...)".
func LastMove(ctx context.Context, q index.Querier, model, alias string) string {
	var (
		to             int
		trigger        string
		at             sql.NullString
		run            sql.NullInt64
		runTrig, host  sql.NullString
		note, pipeline sql.NullString
	)
	err := q.QueryRowContext(ctx, `SELECT h.to_version, h.triggered_by, h.moved_at, h.run_id, r.triggered_by, r.host, h.note, r.pipeline
		FROM alias_history h JOIN models m ON m.id = h.model_id LEFT JOIN runs r ON r.id = h.run_id
		WHERE m.name = ? AND h.alias = ? ORDER BY h.id DESC LIMIT 1`, model, alias).
		Scan(&to, &trigger, &at, &run, &runTrig, &host, &note, &pipeline)
	if err != nil {
		return "moved"
	}
	s := fmt.Sprintf("moved to version %d by %s", to, trigger)
	switch {
	case run.Valid:
		s += fmt.Sprintf(" in run %d (%s", run.Int64, runTrig.String)
		if host.String != "" {
			s += ", on " + host.String
		}
		s += ")"
	case note.String != "":
		s += " (" + note.String + ")"
	}
	return s + " at " + at.String
}
