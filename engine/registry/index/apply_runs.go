package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

func (t *Tx) runBegun(ctx context.Context, n int64, f *txlog.RunBegun) (refuse, error) {
	if id, err := RunID(ctx, t, f.Run); err != nil || id != 0 {
		return "", err
	}
	var dirty any
	if f.GitDirty != nil {
		dirty = *f.GitDirty
	}
	_, err := t.exec(ctx, `INSERT INTO runs
		(pipeline, triggered_by, config_digest, git_commit, git_dirty, git_branch, pull_request,
		 pipe_version, host, username, store_url, origin, started_at, status, key, entry)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
		f.Pipeline, f.Trigger, nullString(f.ConfigDigest), nullString(f.GitCommit), dirty,
		nullString(f.GitBranch), nullString(f.PullRequest), f.PipeVersion, nullString(f.Host),
		nullString(f.User), nullString(f.StoreURL), nullString(f.Origin), FormatTime(f.Started), f.Run, n)
	return "", err
}

// statusByKey returns the ID and status of the run or execution with the
// key, or a refusal when there is none.
func (t *Tx) statusByKey(ctx context.Context, table, what, key string) (int64, string, refuse, error) {
	var id int64
	var status string
	err := t.QueryRowContext(ctx, `SELECT id, status FROM `+table+` WHERE key = ?`, key).Scan(&id, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", refuse(fmt.Sprintf("no %s %s", what, key)), nil
	}
	return id, status, "", err
}

func (t *Tx) runEnded(ctx context.Context, f *txlog.RunEnded) (refuse, error) {
	id, status, why, err := t.statusByKey(ctx, runsTable, "run", f.Run)
	if why != "" || err != nil {
		return why, err
	}
	if status != RunRunning {
		if status == f.Status {
			return "", nil
		}
		return refuse(fmt.Sprintf("run %d already ended (%s)", id, status)), nil
	}
	_, err = t.exec(ctx, `UPDATE runs SET status = ?, error = ?, ended_at = ? WHERE id = ?`,
		f.Status, nullString(f.Error), FormatTime(f.Ended), id)
	return "", err
}

func (t *Tx) executionStarted(ctx context.Context, f *txlog.ExecutionStarted) (refuse, error) {
	if id, err := ExecutionID(ctx, t, f.Execution); err != nil || id != 0 {
		return "", err
	}
	runID, _, why, err := t.statusByKey(ctx, runsTable, "run", f.Run)
	if why != "" || err != nil {
		return why, err
	}
	config, err := compactJSON(f.Config)
	if err != nil {
		return refuse("config is not JSON: " + err.Error()), nil
	}
	var id int64
	err = t.QueryRowContext(ctx, `INSERT INTO executions
		(run_id, step, kind, kind_version, cache_key, status, started_at, config, key)
		VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?) RETURNING id`,
		runID, f.Step, f.Kind, f.KindVersion, nullString(f.CacheKey), FormatTime(f.Started), config, f.Execution).Scan(&id)
	if err != nil {
		return "", err
	}
	if why, err := t.insertEvents(ctx, id, "used", f.Used, f.Started); why != "" || err != nil {
		return why, err
	}
	for _, d := range f.DependsOn {
		up, err := ExecutionID(ctx, t, d.Execution)
		if err != nil {
			return "", err
		}
		if up == 0 {
			return refuse(fmt.Sprintf("it depends on execution %s, which is not recorded", d.Execution)), nil
		}
		if _, err := t.exec(ctx, `INSERT OR IGNORE INTO execution_inputs (execution_id, upstream_id, name) VALUES (?, ?, ?)`,
			id, up, d.Name); err != nil {
			return "", err
		}
	}
	return "", nil
}

func (t *Tx) executionEnded(ctx context.Context, f *txlog.ExecutionEnded) (refuse, error) {
	id, status, why, err := t.statusByKey(ctx, executionsTable, "execution", f.Execution)
	if why != "" || err != nil {
		return why, err
	}
	if status != ExecRunning {
		if status == f.Status {
			return "", nil
		}
		return refuse(fmt.Sprintf("execution %d already ended (%s)", id, status)), nil
	}
	outputs, err := compactJSON(f.Outputs)
	if err != nil {
		return refuse("outputs are not JSON: " + err.Error()), nil
	}
	if _, err := t.exec(ctx, `UPDATE executions SET status = ?, ended_at = ?, error = ?, outputs = ?, warnings = ?, executor = ? WHERE id = ?`,
		f.Status, FormatTime(f.Ended), nullString(f.Error), outputs, warningsJSON(f.Warnings), nullString(f.Executor), id); err != nil {
		return "", err
	}
	return t.insertEvents(ctx, id, "produced", f.Produced, f.Ended)
}

func (t *Tx) insertEvents(ctx context.Context, execID int64, typ string, arts []txlog.Artifact, at time.Time) (refuse, error) {
	for _, a := range arts {
		aid, why, err := t.upsertArtifact(ctx, a, FormatTime(at))
		if why != "" || err != nil {
			return why, err
		}
		if _, err := t.exec(ctx, `INSERT OR IGNORE INTO events (execution_id, type, artifact_id, name, path) VALUES (?, ?, ?, ?, ?)`,
			execID, typ, aid, a.Name, nullString(a.Path)); err != nil {
			return "", err
		}
	}
	return "", nil
}

// upsertArtifact records the artifact if it is new and returns its ID. An
// artifact seen before keeps its first URI and kind (a kind of "other" is
// replaced by a more specific one); every new URI is added to
// artifact_locations. at is when the fact says it was seen.
func (t *Tx) upsertArtifact(ctx context.Context, a txlog.Artifact, at string) (int64, refuse, error) {
	r := ArtifactRef{Digest: a.Digest, MediaType: a.MediaType, Size: a.Size, URI: a.URI, Kind: a.Kind, Path: a.Path}
	if err := r.Normalize(); err != nil {
		return 0, refuse(err.Error()), nil
	}
	var id int64
	err := t.QueryRowContext(ctx, `INSERT INTO artifacts (digest, media_type, size, kind, uri, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (digest) DO UPDATE SET
			kind = CASE WHEN artifacts.kind = 'other' THEN excluded.kind ELSE artifacts.kind END,
			uri = coalesce(artifacts.uri, excluded.uri)
		RETURNING id`,
		r.Digest, r.MediaType, r.Size, r.Kind, nullString(r.URI), at).Scan(&id)
	if err != nil {
		return 0, "", err
	}
	if r.URI != "" {
		if _, err := t.exec(ctx, `INSERT OR IGNORE INTO artifact_locations (artifact_id, uri, first_seen) VALUES (?, ?, ?)`,
			id, r.URI, at); err != nil {
			return 0, "", err
		}
	}
	return id, "", nil
}
