package registry

import (
	"context"
	"errors"
	"fmt"
	"github.com/pipe-ml/pipe/engine/registry/index"
	"slices"
	"strings"
)

// MaxRunPage caps RunQuery.Limit: a page is for people, and a long one
// costs the server more than a second request.
const MaxRunPage = 500

// RunQuery asks for one page of runs, for browsing them (pipe serve's
// runs list). Pages are keyset-paginated on the run ID, so a page deep in
// a long history costs what the first one does. Empty filters select
// everything.
type RunQuery struct {
	Pipeline string
	// Status is one of the run statuses (RunRunning, RunSucceeded, ...).
	Status string
	// Trigger is one of TriggerManual, TriggerCI, TriggerSchedule,
	// TriggerWatch.
	Trigger string
	// Before, when positive, asks for the runs older than that run ID,
	// newest first; After, when positive, for the runs newer than it, the
	// page nearest to it. At most one of them may be set; neither means
	// the newest runs.
	Before, After int64
	// Limit is the page's size, from 1 to MaxRunPage.
	Limit int
}

// RunPage is a page of runs, newest first.
type RunPage struct {
	Runs []RunSummary `json:"runs"`
	// Older is the Before of the next page (older runs), Newer the After
	// of the previous one (newer runs); 0 when there is no such page.
	Older int64 `json:"older,omitempty"`
	Newer int64 `json:"newer,omitempty"`
}

// RunSummary is a run with how many of its executions ended in each
// status (ran 2, cached 3), for a list of runs.
type RunSummary struct {
	Run
	Steps map[string]int `json:"steps"`
}

// Check returns an error naming the field of q that is not valid.
func (q RunQuery) Check() error {
	switch {
	case q.Status != "" && q.Status != RunRunning && !slices.Contains(runEndStatuses, q.Status):
		return fmt.Errorf("registry: status %q is not one of %s, %s", q.Status, RunRunning, strings.Join(runEndStatuses, ", "))
	case q.Trigger != "" && !slices.Contains(runTriggers, q.Trigger):
		return fmt.Errorf("registry: trigger %q is not one of %s", q.Trigger, strings.Join(runTriggers, ", "))
	case q.Before < 0 || q.After < 0:
		return errors.New("registry: before and after are run IDs, positive whole numbers")
	case q.Before > 0 && q.After > 0:
		return errors.New("registry: ask for the runs before a run or after one, not both")
	case q.Limit < 1 || q.Limit > MaxRunPage:
		return fmt.Errorf("registry: a page holds from 1 to %d runs, not %d", MaxRunPage, q.Limit)
	}
	return nil
}

// RunPage returns one page of the runs q selects, newest first, with
// each run's executions counted by status.
func (db *DB) RunPage(ctx context.Context, q RunQuery) (*RunPage, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	// Only the filters given go into the query, so that SQLite can use
	// runs_pipeline for a pipeline; the others are checked while walking
	// the IDs down from the cursor, one page's worth at a time.
	var where []string
	var args []any
	for _, f := range []struct{ column, value string }{{"pipeline", q.Pipeline}, {"status", q.Status}, {"triggered_by", q.Trigger}} {
		if f.value != "" {
			where = append(where, f.column+" = ?")
			args = append(args, f.value)
		}
	}
	order := "DESC"
	switch {
	case q.Before > 0:
		where, args = append(where, "id < ?"), append(args, q.Before)
	case q.After > 0:
		where, args, order = append(where, "id > ?"), append(args, q.After), "ASC"
	}
	sqlText := `SELECT ` + index.RunColumns + ` FROM runs`
	if len(where) > 0 {
		sqlText += ` WHERE ` + strings.Join(where, " AND ")
	}
	// One more than the page: whether it exists says whether there is a
	// page beyond.
	sqlText += ` ORDER BY id ` + order + ` LIMIT ?`
	args = append(args, q.Limit+1)

	page := &RunPage{Runs: []RunSummary{}}
	err := db.read(ctx, func(tx index.Querier) error {
		runs, err := queryRuns(ctx, tx, sqlText, args...)
		if err != nil {
			return err
		}
		more := len(runs) > q.Limit
		if more {
			runs = runs[:q.Limit]
		}
		if q.After > 0 {
			slices.Reverse(runs)
		}
		counts, err := executionCounts(ctx, tx, runs)
		if err != nil {
			return err
		}
		for _, r := range runs {
			page.Runs = append(page.Runs, RunSummary{Run: r, Steps: counts[r.ID]})
		}
		page.Older, page.Newer = pageCursors(q, runs, more)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// pageCursors returns the cursors of the pages beside a page of runs
// (newest first), when more says whether there were runs beyond the page
// in the direction it was read.
func pageCursors(q RunQuery, runs []Run, more bool) (older, newer int64) {
	if len(runs) == 0 {
		// Past either end: offer the way back.
		if q.Before > 0 {
			newer = q.Before - 1
		}
		if q.After > 0 {
			older = q.After + 1
		}
		return older, newer
	}
	first, last := runs[0].ID, runs[len(runs)-1].ID
	switch {
	case q.After > 0:
		older = last
		if more {
			newer = first
		}
	case q.Before > 0:
		newer = first
		if more {
			older = last
		}
	default:
		if more {
			older = last
		}
	}
	return older, newer
}

func queryRuns(ctx context.Context, tx index.Querier, sqlText string, args ...any) ([]Run, error) {
	rows, err := tx.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := index.ScanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// executionCounts counts the executions of each run by status.
func executionCounts(ctx context.Context, tx index.Querier, runs []Run) (map[int64]map[string]int, error) {
	out := make(map[int64]map[string]int, len(runs))
	ids := make([]int64, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
		out[r.ID] = map[string]int{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT run_id, status, count(*) FROM executions
		WHERE run_id IN (SELECT value FROM json_each(?)) GROUP BY run_id, status`, index.JSONIDs(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		var n int
		if err := rows.Scan(&id, &status, &n); err != nil {
			return nil, err
		}
		out[id][status] = n
	}
	return out, rows.Err()
}

// RunPipelines returns the names of the pipelines that have runs, sorted,
// for a filter's choices.
func (db *DB) RunPipelines(ctx context.Context) ([]string, error) {
	var names []string
	err := db.read(ctx, func(tx index.Querier) error {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT pipeline FROM runs ORDER BY pipeline`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	return names, err
}
