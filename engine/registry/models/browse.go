package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/index"
)

// ModelSummary is one line of `pipe models`.
type ModelSummary struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Versions int       `json:"versions"`
	// Latest is the newest version's number, LatestCreated its time.
	Latest        int       `json:"latest"`
	LatestCreated time.Time `json:"latest_created"`
	// Aliases maps each alias to the version it points at.
	Aliases map[string]int `json:"aliases,omitempty"`
}

// List lists every model, by name.
func List(ctx context.Context, q index.Querier) ([]ModelSummary, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.name, m.created_at, count(mv.id), coalesce(max(mv.version), 0), max(mv.created_at)
		FROM models m LEFT JOIN model_versions mv ON mv.model_id = m.id GROUP BY m.id ORDER BY m.name`)
	if err != nil {
		return nil, err
	}
	var out []ModelSummary
	index := map[string]int{}
	for rows.Next() {
		var s ModelSummary
		var created, latest sql.NullString
		if err := rows.Scan(&s.Name, &created, &s.Versions, &s.Latest, &latest); err != nil {
			rows.Close()
			return nil, err
		}
		s.Created, s.LatestCreated = parseTime(created), parseTime(latest)
		index[s.Name] = len(out)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT m.name, a.name, a.version FROM aliases a JOIN models m ON m.id = a.model_id ORDER BY m.name, a.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var model, alias string
		var v int
		if err := rows.Scan(&model, &alias, &v); err != nil {
			return nil, err
		}
		s := &out[index[model]]
		if s.Aliases == nil {
			s.Aliases = map[string]int{}
		}
		s.Aliases[alias] = v
	}
	return out, rows.Err()
}

var parseTime = index.ParseTime

// Alias is where one alias of a model points.
type Alias struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Updated time.Time `json:"updated"`
}

// ModelDetail is `pipe models show NAME`: every version with its metrics,
// and the aliases.
type ModelDetail struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Versions are oldest first.
	Versions []ModelVersion `json:"versions"`
	// Aliases are sorted by name.
	Aliases []Alias `json:"aliases"`
	// MetricNames is every metric any version has, sorted: the columns of
	// a side-by-side table.
	MetricNames []string `json:"metric_names"`
}

// Detail returns one model with all its versions and aliases.
func Detail(ctx context.Context, q index.Querier, name string) (*ModelDetail, error) {
	d := &ModelDetail{Name: name, Versions: []ModelVersion{}, Aliases: []Alias{}, MetricNames: []string{}}
	id, err := modelID(ctx, q, name)
	if err != nil {
		return nil, err
	}
	var created sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT created_at FROM models WHERE id = ?`, id).Scan(&created); err != nil {
		return nil, err
	}
	d.Created = parseTime(created)
	ids, vs, err := VersionsWhere(ctx, q, `mv.model_id = ?`, id)
	if err != nil {
		return nil, err
	}
	metrics := map[string]bool{}
	for _, vid := range ids {
		d.Versions = append(d.Versions, *vs[vid])
		for m := range vs[vid].Metrics {
			metrics[m] = true
		}
	}
	d.MetricNames = append(d.MetricNames, sortedKeys(metrics)...)
	d.Aliases, err = aliasesOf(ctx, q, id)
	return d, err
}

func aliasesOf(ctx context.Context, q index.Querier, modelID int64) ([]Alias, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, version, updated_at FROM aliases WHERE model_id = ? ORDER BY name`, modelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Alias{}
	for rows.Next() {
		var a Alias
		var updated sql.NullString
		if err := rows.Scan(&a.Name, &a.Version, &updated); err != nil {
			return nil, err
		}
		a.Updated = parseTime(updated)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Aliases returns where each alias of the model points, by name.
func Aliases(ctx context.Context, q index.Querier, model string) ([]Alias, error) {
	id, err := modelID(ctx, q, model)
	if err != nil {
		return nil, err
	}
	return aliasesOf(ctx, q, id)
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

// History returns every move of the model's aliases (of one alias when
// alias is not empty), oldest first.
func History(ctx context.Context, q index.Querier, model, alias string) ([]AliasMove, error) {
	out := []AliasMove{}
	mid, err := modelID(ctx, q, model)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, alias, from_version, to_version, moved_at, triggered_by, run_id, note, compared, undoes_id
		FROM alias_history WHERE model_id = ? AND (? = '' OR alias = ?) ORDER BY id`, mid, alias, alias)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			m                  AliasMove
			from, run, undoes  sql.NullInt64
			at, note, compared sql.NullString
		)
		if err := rows.Scan(&m.ID, &m.Alias, &from, &m.To, &at, &m.Trigger, &run, &note, &compared, &undoes); err != nil {
			return nil, err
		}
		m.Model, m.From, m.RunID, m.Undoes = model, int(from.Int64), run.Int64, undoes.Int64
		m.At, m.Note = parseTime(at), note.String
		if compared.Valid {
			if err := json.Unmarshal([]byte(compared.String), &m.Compared); err != nil {
				return nil, fmt.Errorf("models: alias history %d: compared is not valid JSON: %w", m.ID, err)
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
