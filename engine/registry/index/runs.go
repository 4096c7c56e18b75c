package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Triggers: what started a run.
const (
	TriggerManual   = "manual"   // a person ran pipe apply
	TriggerCI       = "ci"       // a CI job
	TriggerSchedule = "schedule" // a CronJob
	TriggerWatch    = "watch"    // pipe serve saw the data or the pipeline change
)

// Run statuses.
const (
	RunRunning     = "running"
	RunSucceeded   = "succeeded"
	RunFailed      = "failed"
	RunInterrupted = "interrupted" // the process died; set by the next run from its state folder
	RunCancelled   = "cancelled"   // stopped on purpose (Ctrl-C, SIGTERM)
)

// Run is one pipe apply.
type Run struct {
	// ID is the run's number: runs are numbered in the order the log
	// records them, the same on every machine.
	ID       int64  `json:"id"`
	Pipeline string `json:"pipeline"`
	// Trigger is one of TriggerManual, TriggerCI, TriggerSchedule,
	// TriggerWatch.
	Trigger string `json:"trigger"`
	// ConfigDigest is the digest of the pipeline's files and variables.
	ConfigDigest string `json:"config_digest,omitempty"`
	// GitCommit is empty when the pipeline folder is not in a Git
	// checkout; GitDirty is then nil.
	GitCommit   string `json:"git_commit,omitempty"`
	GitDirty    *bool  `json:"git_dirty,omitempty"`
	GitBranch   string `json:"git_branch,omitempty"`
	PullRequest string `json:"pull_request,omitempty"`
	PipeVersion string `json:"pipe_version"`
	// Host is the machine that ran it, User who.
	Host     string `json:"host,omitempty"`
	User     string `json:"user,omitempty"`
	StoreURL string `json:"store_url,omitempty"`
	// Origin names the state folder the run was made from: the next run
	// from it marks the run interrupted if its process died.
	Origin  string    `json:"origin,omitempty"`
	Started time.Time `json:"started"`
	// Ended is zero while the run is running.
	Ended  time.Time `json:"ended,omitzero"`
	Status string    `json:"status"`
	Error  string    `json:"error,omitempty"`
}

// RunDetail is a run with its executions, in the order they started.
type RunDetail struct {
	Run
	Executions []Execution `json:"executions"`
}

// RunFilter selects runs. Zero fields select everything.
type RunFilter struct {
	Pipeline string
	Status   string
	// Limit caps how many runs are returned, newest first; 0 means no
	// limit.
	Limit int
}

// RunColumns are the columns ScanRun reads, in its order.
const RunColumns = `id, pipeline, triggered_by, config_digest, git_commit, git_dirty, git_branch,
	pull_request, pipe_version, host, username, store_url, origin, started_at, ended_at, status, error`

// ScanRun reads a run (RunColumns).
func ScanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var (
		r                                                  Run
		cfg, commit, branch, pr, host, user, store, origin sql.NullString
		started, ended, errMsg                             sql.NullString
		dirty                                              sql.NullBool
	)
	err := sc.Scan(&r.ID, &r.Pipeline, &r.Trigger, &cfg, &commit, &dirty, &branch, &pr,
		&r.PipeVersion, &host, &user, &store, &origin, &started, &ended, &r.Status, &errMsg)
	if err != nil {
		return r, err
	}
	r.ConfigDigest, r.GitCommit, r.GitBranch, r.PullRequest = cfg.String, commit.String, branch.String, pr.String
	r.Host, r.User, r.StoreURL, r.Origin, r.Error = host.String, user.String, store.String, origin.String, errMsg.String
	if dirty.Valid {
		d := dirty.Bool
		r.GitDirty = &d
	}
	r.Started, r.Ended = ParseTime(started), ParseTime(ended)
	return r, nil
}

// Runs lists runs, newest first.
func Runs(ctx context.Context, q Querier, f RunFilter) ([]Run, error) {
	query := `SELECT ` + RunColumns + ` FROM runs WHERE (? = '' OR pipeline = ?) AND (? = '' OR status = ?) ORDER BY id DESC`
	args := []any{f.Pipeline, f.Pipeline, f.Status, f.Status}
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := ScanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// RunDetailByID returns one run with its executions, or an error naming
// the ID when there is no such run.
func RunDetailByID(ctx context.Context, q Querier, id int64) (*RunDetail, error) {
	r, err := ScanRun(q.QueryRowContext(ctx, `SELECT `+RunColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("index: no run %d; `pipe runs` lists them", id)
	}
	if err != nil {
		return nil, err
	}
	d := &RunDetail{Run: r}
	d.Executions, err = ExecutionsWhere(ctx, q, `run_id = ?`, id)
	return d, err
}

// RunsByID loads runs by ID.
func RunsByID(ctx context.Context, q Querier, ids []int64) (map[int64]Run, error) {
	out := make(map[int64]Run, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT `+RunColumns+` FROM runs WHERE id IN (SELECT value FROM json_each(?))`, JSONIDs(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := ScanRun(rows)
		if err != nil {
			return nil, err
		}
		out[r.ID] = r
	}
	return out, rows.Err()
}

// RunningRuns returns the runs of pipeline ("" for every pipeline) made
// from origin that are still running, with their keys.
func RunningRuns(ctx context.Context, q Querier, pipeline, origin string) (map[int64]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, key FROM runs
		WHERE status = 'running' AND coalesce(origin, '') = ? AND (? = '' OR pipeline = ?) AND key IS NOT NULL`,
		origin, pipeline, pipeline)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, err
		}
		out[id] = key
	}
	return out, rows.Err()
}

// Keys of runs, executions and alias moves, and the IDs they have here.
const (
	runsTable       = "runs"
	executionsTable = "executions"
	movesTable      = "alias_history"
)

func keyOf(ctx context.Context, q Querier, table string, id int64) (string, error) {
	var key sql.NullString
	err := q.QueryRowContext(ctx, `SELECT key FROM `+table+` WHERE id = ?`, id).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("index: no %s %d: it does not exist", map[string]string{runsTable: "run", executionsTable: "execution", movesTable: "alias move"}[table], id)
	}
	if err == nil && !key.Valid {
		return "", fmt.Errorf("index: %s %d has no key: the registry was not imported into the log", table, id)
	}
	return key.String, err
}

func idOf(ctx context.Context, q Querier, table, key string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE key = ?`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// RunKey returns the key of run id; RunID the ID of the run with a key (0
// when none).
func RunKey(ctx context.Context, q Querier, id int64) (string, error) {
	return keyOf(ctx, q, runsTable, id)
}
func RunID(ctx context.Context, q Querier, key string) (int64, error) {
	return idOf(ctx, q, runsTable, key)
}

// ExecutionKey and ExecutionID are RunKey and RunID for executions.
func ExecutionKey(ctx context.Context, q Querier, id int64) (string, error) {
	return keyOf(ctx, q, executionsTable, id)
}
func ExecutionID(ctx context.Context, q Querier, key string) (int64, error) {
	return idOf(ctx, q, executionsTable, key)
}

// MoveKey and MoveID are RunKey and RunID for alias moves.
func MoveKey(ctx context.Context, q Querier, id int64) (string, error) {
	return keyOf(ctx, q, movesTable, id)
}
func MoveID(ctx context.Context, q Querier, key string) (int64, error) {
	return idOf(ctx, q, movesTable, key)
}
