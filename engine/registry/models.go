package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ModelVersion is one published version of a model: v1, v2, ... in the
// order they were created, one per distinct model artifact.
type ModelVersion struct {
	// Model is the model's name, e.g. "privacy-intent".
	Model string `json:"model"`
	// Version is 1, 2, ...; set by CreateModelVersion.
	Version int `json:"version"`
	// ModelDigest is the model artifact. It must already be in the
	// registry: record the execution that produced it first.
	ModelDigest string `json:"model_digest"`
	// ReportDigest is the evaluation report artifact, if any; it too must
	// already be in the registry.
	ReportDigest string `json:"report_digest,omitempty"`
	// URI is where the version was published, e.g.
	// gs://bucket/prefix/v3/. CreateModelVersion replaces "{version}" in
	// it with the number it assigns, so a publisher can name the folder
	// before it knows the number: gs://bucket/prefix/v{version}/.
	URI string `json:"uri,omitempty"`
	// Metrics are the version's evaluation metrics, by name.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// EvalDataDigest is the digest of the data the metrics were measured
	// on. PromoteIf compares two versions' metrics only when it is the
	// same for both.
	EvalDataDigest string `json:"eval_data_digest,omitempty"`
	// RunID and ExecutionID are the run and the (publish) execution that
	// created the version; 0 when unknown.
	RunID       int64 `json:"run_id,omitempty"`
	ExecutionID int64 `json:"execution_id,omitempty"`
	// Created is set by the registry.
	Created time.Time `json:"created"`
	// Aliases are the aliases that point at this version now, sorted. Set
	// when read.
	Aliases []string `json:"aliases,omitempty"`
}

// String returns NAME@VERSION.
func (v *ModelVersion) String() string { return fmt.Sprintf("%s@%d", v.Model, v.Version) }

var (
	modelNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	aliasNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
	versionRE   = regexp.MustCompile(`^v?[0-9]+$`)
)

// VersionPlaceholder in a ModelVersion's URI is replaced by its number.
const VersionPlaceholder = "{version}"

// Latest is the selector for a model's newest version: NAME@latest. It
// cannot be used as an alias name.
const Latest = "latest"

func checkModelName(name string) error {
	if !modelNameRE.MatchString(name) {
		return fmt.Errorf("registry: model name %q is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit", name)
	}
	return nil
}

func checkAliasName(alias string) error {
	if !aliasNameRE.MatchString(alias) || versionRE.MatchString(alias) || alias == Latest {
		return fmt.Errorf("registry: alias %q is not valid: use letters, digits, '.', '_' and '-', starting with a letter; it may not look like a version (v3) or be %q", alias, Latest)
	}
	return nil
}

// CreateModelVersion records a new version of the model (creating the model
// on its first version) and returns its number with created=true. When the
// model already has a version with the same model digest, it returns that
// version with created=false and changes nothing: publishing the same model
// twice makes no new version. Concurrent calls, from goroutines or
// processes, never hand out one number twice.
func (db *DB) CreateModelVersion(ctx context.Context, mv ModelVersion) (version int, created bool, err error) {
	if err := checkModelName(mv.Model); err != nil {
		return 0, false, err
	}
	for name, v := range mv.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false, fmt.Errorf("registry: metric %s of %s is %v; only finite values can be recorded", name, mv.Model, v)
		}
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		modelArt, err := artifactID(ctx, tx, mv.ModelDigest, "model")
		if err != nil {
			return err
		}
		var reportArt any
		if mv.ReportDigest != "" {
			id, err := artifactID(ctx, tx, mv.ReportDigest, "report")
			if err != nil {
				return err
			}
			reportArt = id
		}
		now := formatTime(db.now())
		var modelID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO models (name, created_at) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, mv.Model, now).Scan(&modelID); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT version FROM model_versions WHERE model_id = ? AND model_artifact_id = ?`,
			modelID, modelArt).Scan(&version)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model_id = ?`,
			modelID).Scan(&version); err != nil {
			return err
		}
		uri := strings.ReplaceAll(mv.URI, VersionPlaceholder, strconv.Itoa(version))
		var vid int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO model_versions
			(model_id, version, model_artifact_id, report_artifact_id, eval_data_digest, uri, run_id, execution_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			modelID, version, modelArt, reportArt, nullString(mv.EvalDataDigest), nullString(uri),
			nullID(mv.RunID), nullID(mv.ExecutionID), now).Scan(&vid); err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return fmt.Errorf("registry: model version %s refers to run %d or execution %d, which does not exist", mv.Model, mv.RunID, mv.ExecutionID)
			}
			return err
		}
		for _, name := range sortedKeys(mv.Metrics) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO model_metrics (model_version_id, name, value) VALUES (?, ?, ?)`,
				vid, name, mv.Metrics[name]); err != nil {
				return err
			}
		}
		created = true
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return version, created, nil
}

// artifactID returns the ID of a recorded artifact with exactly this digest.
func artifactID(ctx context.Context, q queryer, digest, what string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM artifacts WHERE digest = ?`, digest).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("registry: %s artifact %q is not in the registry; record the execution that produced it first", what, digest)
	}
	return id, err
}

// modelID returns the ID of the named model.
func modelID(ctx context.Context, q queryer, name string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM models WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("registry: no model named %q; `pipe models` lists them", name)
	}
	return id, err
}

const versionColumns = `mv.id, m.name, mv.version, ma.digest, ra.digest, mv.uri, mv.eval_data_digest,
	mv.run_id, mv.execution_id, mv.created_at`

const versionFrom = `model_versions mv JOIN models m ON m.id = mv.model_id
	JOIN artifacts ma ON ma.id = mv.model_artifact_id
	LEFT JOIN artifacts ra ON ra.id = mv.report_artifact_id`

// versionsWhere loads model versions with their metrics and aliases, in
// model and version order, keyed by model_versions.id.
func versionsWhere(ctx context.Context, q queryer, where string, args ...any) ([]int64, map[int64]*ModelVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+versionColumns+` FROM `+versionFrom+` WHERE `+where+` ORDER BY m.name, mv.version`, args...)
	if err != nil {
		return nil, nil, err
	}
	var ids []int64
	out := map[int64]*ModelVersion{}
	for rows.Next() {
		var (
			id                    int64
			v                     ModelVersion
			report, uri, evalData sql.NullString
			run, exec             sql.NullInt64
			created               sql.NullString
		)
		if err := rows.Scan(&id, &v.Model, &v.Version, &v.ModelDigest, &report, &uri, &evalData, &run, &exec, &created); err != nil {
			rows.Close()
			return nil, nil, err
		}
		v.ReportDigest, v.URI, v.EvalDataDigest = report.String, uri.String, evalData.String
		v.RunID, v.ExecutionID, v.Created = run.Int64, exec.Int64, parseTime(created)
		ids = append(ids, id)
		out[id] = &v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return ids, out, nil
	}
	set := jsonIDs(ids)
	rows, err = q.QueryContext(ctx, `SELECT model_version_id, name, value FROM model_metrics
		WHERE model_version_id IN (SELECT value FROM json_each(?)) ORDER BY model_version_id, name`, set)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var id int64
		var name string
		var value float64
		if err := rows.Scan(&id, &name, &value); err != nil {
			rows.Close()
			return nil, nil, err
		}
		v := out[id]
		if v.Metrics == nil {
			v.Metrics = map[string]float64{}
		}
		v.Metrics[name] = value
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT mv.id, a.name FROM aliases a
		JOIN model_versions mv ON mv.model_id = a.model_id AND mv.version = a.version
		WHERE mv.id IN (SELECT value FROM json_each(?)) ORDER BY mv.id, a.name`, set)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var alias string
		if err := rows.Scan(&id, &alias); err != nil {
			return nil, nil, err
		}
		out[id].Aliases = append(out[id].Aliases, alias)
	}
	return ids, out, rows.Err()
}

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

// Models lists every model, by name.
func (db *DB) Models(ctx context.Context) ([]ModelSummary, error) {
	var out []ModelSummary
	err := db.read(ctx, func(tx queryer) error {
		rows, err := tx.QueryContext(ctx, `SELECT m.name, m.created_at, count(mv.id), coalesce(max(mv.version), 0), max(mv.created_at)
			FROM models m LEFT JOIN model_versions mv ON mv.model_id = m.id GROUP BY m.id ORDER BY m.name`)
		if err != nil {
			return err
		}
		index := map[string]int{}
		for rows.Next() {
			var s ModelSummary
			var created, latest sql.NullString
			if err := rows.Scan(&s.Name, &created, &s.Versions, &s.Latest, &latest); err != nil {
				rows.Close()
				return err
			}
			s.Created, s.LatestCreated = parseTime(created), parseTime(latest)
			index[s.Name] = len(out)
			out = append(out, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT m.name, a.name, a.version FROM aliases a JOIN models m ON m.id = a.model_id ORDER BY m.name, a.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var model, alias string
			var v int
			if err := rows.Scan(&model, &alias, &v); err != nil {
				return err
			}
			s := &out[index[model]]
			if s.Aliases == nil {
				s.Aliases = map[string]int{}
			}
			s.Aliases[alias] = v
		}
		return rows.Err()
	})
	return out, err
}

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

// Model returns one model with all its versions and aliases.
func (db *DB) Model(ctx context.Context, name string) (*ModelDetail, error) {
	d := &ModelDetail{Name: name, Versions: []ModelVersion{}, Aliases: []Alias{}, MetricNames: []string{}}
	err := db.read(ctx, func(tx queryer) error {
		id, err := modelID(ctx, tx, name)
		if err != nil {
			return err
		}
		var created sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT created_at FROM models WHERE id = ?`, id).Scan(&created); err != nil {
			return err
		}
		d.Created = parseTime(created)
		ids, vs, err := versionsWhere(ctx, tx, `mv.model_id = ?`, id)
		if err != nil {
			return err
		}
		metrics := map[string]bool{}
		for _, vid := range ids {
			d.Versions = append(d.Versions, *vs[vid])
			for m := range vs[vid].Metrics {
				metrics[m] = true
			}
		}
		d.MetricNames = append(d.MetricNames, sortedKeys(metrics)...)
		d.Aliases, err = aliasesOf(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func aliasesOf(ctx context.Context, q queryer, modelID int64) ([]Alias, error) {
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
func (db *DB) Aliases(ctx context.Context, model string) ([]Alias, error) {
	var out []Alias
	err := db.read(ctx, func(tx queryer) error {
		id, err := modelID(ctx, tx, model)
		if err != nil {
			return err
		}
		out, err = aliasesOf(ctx, tx, id)
		return err
	})
	return out, err
}

// ParseModelRef splits "NAME@SELECTOR" into the model name and the
// selector: a version ("3" or "v3"), "latest", or an alias name.
func ParseModelRef(ref string) (name, selector string, err error) {
	i := strings.LastIndexByte(ref, '@')
	if i <= 0 || i == len(ref)-1 {
		return "", "", fmt.Errorf("registry: %q is not a model reference: write NAME@VERSION (privacy-intent@3) or NAME@ALIAS (privacy-intent@champion)", ref)
	}
	return ref[:i], ref[i+1:], nil
}

// ResolveModel returns the model version that ref names: "NAME@3",
// "NAME@v3", "NAME@latest" or "NAME@ALIAS".
func (db *DB) ResolveModel(ctx context.Context, ref string) (*ModelVersion, error) {
	var out *ModelVersion
	err := db.read(ctx, func(tx queryer) error {
		id, err := resolveModelVersion(ctx, tx, ref)
		if err != nil {
			return err
		}
		_, vs, err := versionsWhere(ctx, tx, `mv.id = ?`, id)
		if err != nil {
			return err
		}
		out = vs[id]
		return nil
	})
	return out, err
}

// resolveModelVersion returns the model_versions.id that ref names.
func resolveModelVersion(ctx context.Context, q queryer, ref string) (int64, error) {
	name, sel, err := ParseModelRef(ref)
	if err != nil {
		return 0, err
	}
	mid, err := modelID(ctx, q, name)
	if err != nil {
		return 0, err
	}
	var id int64
	switch {
	case versionRE.MatchString(sel):
		n, _ := strconv.Atoi(strings.TrimPrefix(sel, "v"))
		err = q.QueryRowContext(ctx, `SELECT id FROM model_versions WHERE model_id = ? AND version = ?`, mid, n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("registry: model %s has no version %d; `pipe models show %s` lists them", name, n, name)
		}
	case sel == Latest:
		err = q.QueryRowContext(ctx, `SELECT id FROM model_versions WHERE model_id = ? ORDER BY version DESC LIMIT 1`, mid).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("registry: model %s has no versions", name)
		}
	default:
		err = q.QueryRowContext(ctx, `SELECT mv.id FROM aliases a JOIN model_versions mv ON mv.model_id = a.model_id AND mv.version = a.version
			WHERE a.model_id = ? AND a.name = ?`, mid, sel).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			aliases, _ := aliasesOf(ctx, q, mid)
			names := make([]string, len(aliases))
			for i, a := range aliases {
				names[i] = a.Name
			}
			sort.Strings(names)
			have := "it has no aliases"
			if len(names) > 0 {
				have = "its aliases are " + strings.Join(names, ", ")
			}
			return 0, fmt.Errorf("registry: model %s has no alias %q; %s", name, sel, have)
		}
	}
	return id, err
}
