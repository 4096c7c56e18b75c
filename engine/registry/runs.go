package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
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
	RunInterrupted = "interrupted" // the process died; set by MarkInterrupted
	RunCancelled   = "cancelled"   // stopped on purpose (Ctrl-C, SIGTERM)
)

// Run is one pipe apply.
type Run struct {
	ID       int64  `json:"id"`
	Pipeline string `json:"pipeline"`
	// Trigger is one of TriggerManual, TriggerCI, TriggerSchedule,
	// TriggerWatch.
	Trigger string `json:"trigger"`
	// ConfigDigest is the digest of the pipeline's files and variables.
	ConfigDigest string `json:"config_digest,omitempty"`
	// GitCommit is empty when the pipeline folder is not in a Git
	// checkout; GitDirty is then nil.
	GitCommit   string    `json:"git_commit,omitempty"`
	GitDirty    *bool     `json:"git_dirty,omitempty"`
	GitBranch   string    `json:"git_branch,omitempty"`
	PullRequest string    `json:"pull_request,omitempty"`
	PipeVersion string    `json:"pipe_version"`
	Host        string    `json:"host,omitempty"`
	User        string    `json:"user,omitempty"`
	StoreURL    string    `json:"store_url,omitempty"`
	Started     time.Time `json:"started"`
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

var runTriggers = []string{TriggerManual, TriggerCI, TriggerSchedule, TriggerWatch}

var runEndStatuses = []string{RunSucceeded, RunFailed, RunInterrupted, RunCancelled}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// BeginRun records the start of a run with status "running" and returns its
// ID. Started defaults to now; ID, Ended, Status and Error are ignored.
func (db *DB) BeginRun(ctx context.Context, r Run) (int64, error) {
	if r.Pipeline == "" {
		return 0, errors.New("registry: run has no pipeline name")
	}
	if !oneOf(r.Trigger, runTriggers) {
		return 0, fmt.Errorf("registry: run trigger %q is not one of %s", r.Trigger, strings.Join(runTriggers, ", "))
	}
	if r.Started.IsZero() {
		r.Started = db.now()
	}
	var dirty any
	if r.GitDirty != nil {
		dirty = *r.GitDirty
	}
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO runs
			(pipeline, triggered_by, config_digest, git_commit, git_dirty, git_branch, pull_request,
			 pipe_version, host, username, store_url, started_at, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running') RETURNING id`,
			r.Pipeline, r.Trigger, nullString(r.ConfigDigest), nullString(r.GitCommit), dirty,
			nullString(r.GitBranch), nullString(r.PullRequest), r.PipeVersion, nullString(r.Host),
			nullString(r.User), nullString(r.StoreURL), formatTime(r.Started)).Scan(&id)
	})
	failpoint.Hit("registry.run.begun") // test hook: the run is recorded as running
	return id, err
}

// EndRun records the end of a running run: status is one of RunSucceeded,
// RunFailed, RunInterrupted or RunCancelled, errMsg says why it did not
// succeed. Ending a run that is not running is an error.
func (db *DB) EndRun(ctx context.Context, id int64, status, errMsg string) error {
	if !oneOf(status, runEndStatuses) {
		return fmt.Errorf("registry: run status %q is not one of %s", status, strings.Join(runEndStatuses, ", "))
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("registry: no run %d", id)
		}
		if err != nil {
			return err
		}
		if cur != RunRunning {
			return fmt.Errorf("registry: run %d already ended (%s)", id, cur)
		}
		_, err = tx.ExecContext(ctx, `UPDATE runs SET status = ?, error = ?, ended_at = ? WHERE id = ?`,
			status, nullString(errMsg), formatTime(db.now()), id)
		return err
	})
}

// MarkInterrupted marks every run of the pipeline that is still "running"
// as "interrupted", and every running execution in those runs likewise, and
// returns how many runs it marked. An empty pipeline means every pipeline.
//
// The engine calls it while holding the pipeline's state lock, before
// BeginRun: no other process can be running that pipeline then, so a
// "running" run is one whose process died.
func (db *DB) MarkInterrupted(ctx context.Context, pipeline string) (int, error) {
	const msg = "interrupted: the process stopped before the run finished"
	var n int
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := formatTime(db.now())
		sel := `status = 'running' AND (? = '' OR pipeline = ?)`
		if _, err := tx.ExecContext(ctx, `UPDATE executions SET status = 'interrupted', ended_at = ?, error = ?
			WHERE status = 'running' AND run_id IN (SELECT id FROM runs WHERE `+sel+`)`,
			now, msg, pipeline, pipeline); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'interrupted', ended_at = ?, error = ? WHERE `+sel,
			now, msg, pipeline, pipeline)
		if err != nil {
			return err
		}
		c, err := res.RowsAffected()
		n = int(c)
		return err
	})
	return n, err
}

// RunFilter selects runs. Zero fields select everything.
type RunFilter struct {
	Pipeline string
	Status   string
	// Limit caps how many runs are returned, newest first; 0 means no
	// limit.
	Limit int
}

const runColumns = `id, pipeline, triggered_by, config_digest, git_commit, git_dirty, git_branch,
	pull_request, pipe_version, host, username, store_url, started_at, ended_at, status, error`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var (
		r                                          Run
		cfg, commit, branch, pr, host, user, store sql.NullString
		started, ended, errMsg                     sql.NullString
		dirty                                      sql.NullBool
	)
	err := sc.Scan(&r.ID, &r.Pipeline, &r.Trigger, &cfg, &commit, &dirty, &branch, &pr,
		&r.PipeVersion, &host, &user, &store, &started, &ended, &r.Status, &errMsg)
	if err != nil {
		return r, err
	}
	r.ConfigDigest, r.GitCommit, r.GitBranch, r.PullRequest = cfg.String, commit.String, branch.String, pr.String
	r.Host, r.User, r.StoreURL, r.Error = host.String, user.String, store.String, errMsg.String
	if dirty.Valid {
		d := dirty.Bool
		r.GitDirty = &d
	}
	r.Started, r.Ended = parseTime(started), parseTime(ended)
	return r, nil
}

// Runs lists runs, newest first.
func (db *DB) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	q := `SELECT ` + runColumns + ` FROM runs WHERE (? = '' OR pipeline = ?) AND (? = '' OR status = ?) ORDER BY id DESC`
	args := []any{f.Pipeline, f.Pipeline, f.Status, f.Status}
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var runs []Run
	err := db.read(ctx, func(tx queryer) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				return err
			}
			runs = append(runs, r)
		}
		return rows.Err()
	})
	return runs, err
}

// Run returns one run with its executions, or an error naming the ID when
// there is no such run.
func (db *DB) Run(ctx context.Context, id int64) (*RunDetail, error) {
	var d RunDetail
	err := db.read(ctx, func(tx queryer) error {
		r, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("registry: no run %d; `pipe runs` lists them", id)
		}
		if err != nil {
			return err
		}
		d.Run = r
		d.Executions, err = executionsWhere(ctx, tx, `run_id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func getRuns(ctx context.Context, q queryer, ids []int64) (map[int64]Run, error) {
	out := make(map[int64]Run, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id IN (SELECT value FROM json_each(?))`, jsonIDs(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out[r.ID] = r
	}
	return out, rows.Err()
}

// jsonIDs encodes ids as a JSON array, for `IN (SELECT value FROM
// json_each(?))`: one parameter however many IDs.
func jsonIDs(ids []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, id)
	}
	b.WriteByte(']')
	return b.String()
}
