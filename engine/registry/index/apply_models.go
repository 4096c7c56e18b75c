package index

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

// ModelID returns the ID of the named model, 0 when there is none.
func ModelID(ctx context.Context, q Querier, name string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM models WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// NextVersion is the number the model's next version gets: one more than
// the largest created or reserved.
func NextVersion(ctx context.Context, q Querier, model string) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT max(
		coalesce((SELECT max(mv.version) FROM model_versions mv JOIN models m ON m.id = mv.model_id WHERE m.name = ?1), 0),
		coalesce((SELECT max(version) FROM version_reservations WHERE model = ?1), 0)) + 1`, model).Scan(&v)
	return v, err
}

// VersionOfDigest returns the version of model made from a model
// artifact digest: created (reserved false), reserved for it and not yet
// created (reserved true), or 0.
func VersionOfDigest(ctx context.Context, q Querier, model, digest string) (version int, reserved bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT mv.version FROM model_versions mv
		JOIN models m ON m.id = mv.model_id JOIN artifacts a ON a.id = mv.model_artifact_id
		WHERE m.name = ? AND a.digest = ?`, model, digest).Scan(&version)
	if !errors.Is(err, sql.ErrNoRows) {
		return version, false, err
	}
	err = q.QueryRowContext(ctx, `SELECT version FROM version_reservations WHERE model = ? AND model_digest = ?`, model, digest).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return version, err == nil, err
}

// AliasVersion returns the version the alias of model points at, 0 when
// it does not exist.
func AliasVersion(ctx context.Context, q Querier, modelID int64, alias string) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT version FROM aliases WHERE model_id = ? AND name = ?`, modelID, alias).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// optionalID resolves an optional key to an ID in table; a key given but
// not recorded is a refusal.
func (t *Tx) optionalID(ctx context.Context, table, what, key string) (any, refuse, error) {
	if key == "" {
		return nil, "", nil
	}
	id, err := idOf(ctx, t, table, key)
	if err != nil || id != 0 {
		return id, "", err
	}
	return nil, refuse(fmt.Sprintf("no %s %s", what, key)), nil
}

// runAndExecution resolves the optional run and execution keys of a
// version fact.
func (t *Tx) runAndExecution(ctx context.Context, runKey, execKey string) (run, exec any, why refuse, err error) {
	if run, why, err = t.optionalID(ctx, runsTable, "run", runKey); why != "" || err != nil {
		return nil, nil, why, err
	}
	exec, why, err = t.optionalID(ctx, executionsTable, "execution", execKey)
	return run, exec, why, err
}

func (t *Tx) versionReserved(ctx context.Context, f *txlog.VersionReserved) (refuse, error) {
	v, reserved, err := VersionOfDigest(ctx, t, f.Model, f.ModelDigest)
	switch {
	case err != nil:
		return "", err
	case v == f.Version && reserved:
		return "", nil
	case v != 0:
		return refuse(fmt.Sprintf("%s already has version %d for model %s", f.Model, v, f.ModelDigest)), nil
	}
	if next, err := NextVersion(ctx, t, f.Model); err != nil || next != f.Version {
		return refuse(fmt.Sprintf("version %d of %s is taken; the next is %d", f.Version, f.Model, next)), err
	}
	run, exec, why, err := t.runAndExecution(ctx, f.Run, f.Execution)
	if why != "" || err != nil {
		return why, err
	}
	_, err = t.exec(ctx, `INSERT INTO version_reservations (model, version, model_digest, run_id, execution_id, reserved_at)
		VALUES (?, ?, ?, ?, ?, ?)`, f.Model, f.Version, f.ModelDigest, run, exec, FormatTime(f.At))
	return "", err
}

// versionNumberFree checks that f may take its number: reserved for its
// digest, or the next free one.
func (t *Tx) versionNumberFree(ctx context.Context, f *txlog.VersionCreated) (refuse, error) {
	v, reserved, err := VersionOfDigest(ctx, t, f.Model, f.ModelDigest)
	switch {
	case err != nil:
		return "", err
	case v != 0 && !reserved:
		if v == f.Version {
			return "already", nil
		}
		return refuse(fmt.Sprintf("%s already has version %d for model %s", f.Model, v, f.ModelDigest)), nil
	case reserved && v != f.Version:
		return refuse(fmt.Sprintf("version %d of %s was reserved for model %s", v, f.Model, f.ModelDigest)), nil
	case reserved:
		return "", nil
	}
	if next, err := NextVersion(ctx, t, f.Model); err != nil || next != f.Version {
		return refuse(fmt.Sprintf("version %d of %s is taken; the next is %d", f.Version, f.Model, next)), err
	}
	return "", nil
}

func (t *Tx) versionCreated(ctx context.Context, f *txlog.VersionCreated) (refuse, error) {
	why, err := t.versionNumberFree(ctx, f)
	if why == "already" {
		return "", nil
	}
	if why != "" || err != nil {
		return why, err
	}
	modelArt, err := ArtifactIDByDigest(ctx, t, f.ModelDigest)
	if err != nil || modelArt == 0 {
		return refuse(fmt.Sprintf("model artifact %s is not recorded", f.ModelDigest)), err
	}
	var reportArt any
	if f.ReportDigest != "" {
		id, err := ArtifactIDByDigest(ctx, t, f.ReportDigest)
		if err != nil || id == 0 {
			return refuse(fmt.Sprintf("report artifact %s is not recorded", f.ReportDigest)), err
		}
		reportArt = id
	}
	run, exec, why, err := t.runAndExecution(ctx, f.Run, f.Execution)
	if why != "" || err != nil {
		return why, err
	}
	created := FormatTime(f.Created)
	if _, err := t.exec(ctx, `INSERT INTO models (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, f.Model, created); err != nil {
		return "", err
	}
	var vid int64
	err = t.QueryRowContext(ctx, `INSERT INTO model_versions
		(model_id, version, model_artifact_id, report_artifact_id, eval_data_digest, uri, run_id, execution_id, created_at)
		VALUES ((SELECT id FROM models WHERE name = ?), ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		f.Model, f.Version, modelArt, reportArt, nullString(f.EvalDataDigest), nullString(f.URI), run, exec, created).Scan(&vid)
	if err != nil {
		return "", err
	}
	for _, name := range sortedKeys(f.Metrics) {
		if _, err := t.exec(ctx, `INSERT INTO model_metrics (model_version_id, name, value) VALUES (?, ?, ?)`,
			vid, name, f.Metrics[name]); err != nil {
			return "", err
		}
	}
	_, err = t.exec(ctx, `DELETE FROM version_reservations WHERE model = ? AND version = ?`, f.Model, f.Version)
	return "", err
}

func (t *Tx) aliasMoved(ctx context.Context, f *txlog.AliasMoved) (refuse, error) {
	if id, err := MoveID(ctx, t, f.Move); err != nil || id != 0 {
		return "", err
	}
	mid, err := ModelID(ctx, t, f.Model)
	if err != nil || mid == 0 {
		return refuse("no model " + f.Model), err
	}
	var n int
	if err := t.QueryRowContext(ctx, `SELECT count(*) FROM model_versions WHERE model_id = ? AND version = ?`, mid, f.To).Scan(&n); err != nil || n == 0 {
		return refuse(fmt.Sprintf("%s has no version %d", f.Model, f.To)), err
	}
	cur, err := AliasVersion(ctx, t, mid, f.Alias)
	if err != nil {
		return "", err
	}
	if cur != f.From {
		return refuse(fmt.Sprintf("%s@%s pointed at version %d, not %d, when the move came", f.Model, f.Alias, cur, f.From)), nil
	}
	run, why, err := t.optionalID(ctx, runsTable, "run", f.Run)
	if why != "" || err != nil {
		return why, err
	}
	undoes, why, err := t.optionalID(ctx, movesTable, "alias move", f.Undoes)
	if why != "" || err != nil {
		return why, err
	}
	at := FormatTime(f.At)
	if _, err := t.exec(ctx, `INSERT INTO aliases (model_id, name, version, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (model_id, name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
		mid, f.Alias, f.To, at); err != nil {
		return "", err
	}
	var compared any
	if len(f.Compared) > 0 {
		b, _ := json.Marshal(f.Compared) // map keys are sorted
		compared = string(b)
	}
	_, err = t.exec(ctx, `INSERT INTO alias_history
		(model_id, alias, from_version, to_version, moved_at, triggered_by, run_id, note, compared, undoes_id, key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		mid, f.Alias, nullID(int64(f.From)), f.To, at, f.Trigger, run, nullString(f.Note), compared, undoes, f.Move)
	return "", err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
