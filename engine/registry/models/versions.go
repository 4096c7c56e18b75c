package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/registry/index"
)

// ModelVersion is one published version of a model: v1, v2, ... in the
// order the log gave them, one per distinct model artifact.
type ModelVersion struct {
	// Model is the model's name, e.g. "privacy-intent".
	Model string `json:"model"`
	// Version is 1, 2, ...; set by the registry.
	Version int `json:"version"`
	// ModelDigest is the model artifact. It must already be in the
	// registry: record the execution that produced it first.
	ModelDigest string `json:"model_digest"`
	// ReportDigest is the evaluation report artifact, if any; it too must
	// already be in the registry.
	ReportDigest string `json:"report_digest,omitempty"`
	// URI is where the version was published, e.g.
	// gs://bucket/prefix/v3/. "{version}" in it is replaced with the
	// number the registry assigns, so a publisher can name the folder
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

// CheckModelName says what is wrong with a model name, or nil.
func CheckModelName(name string) error {
	if !modelNameRE.MatchString(name) {
		return fmt.Errorf("models: model name %q is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit", name)
	}
	return nil
}

// CheckAliasName says what is wrong with an alias name, or nil.
func CheckAliasName(alias string) error {
	if !aliasNameRE.MatchString(alias) || versionRE.MatchString(alias) || alias == Latest {
		return fmt.Errorf("models: alias %q is not valid: use letters, digits, '.', '_' and '-', starting with a letter; it may not look like a version (v3) or be %q", alias, Latest)
	}
	return nil
}

// modelID returns the ID of the named model, or an error naming it.
func modelID(ctx context.Context, q index.Querier, name string) (int64, error) {
	id, err := index.ModelID(ctx, q, name)
	if err == nil && id == 0 {
		return 0, fmt.Errorf("models: no model named %q; `pipe models` lists them", name)
	}
	return id, err
}

const versionColumns = `mv.id, m.name, mv.version, ma.digest, ra.digest, mv.uri, mv.eval_data_digest,
	mv.run_id, mv.execution_id, mv.created_at`

const versionFrom = `model_versions mv JOIN models m ON m.id = mv.model_id
	JOIN artifacts ma ON ma.id = mv.model_artifact_id
	LEFT JOIN artifacts ra ON ra.id = mv.report_artifact_id`

// VersionsWhere loads model versions with their metrics and aliases, in
// model and version order, keyed by model_versions.id.
func VersionsWhere(ctx context.Context, q index.Querier, where string, args ...any) ([]int64, map[int64]*ModelVersion, error) {
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
		v.RunID, v.ExecutionID, v.Created = run.Int64, exec.Int64, index.ParseTime(created)
		ids = append(ids, id)
		out[id] = &v
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return ids, out, err
	}
	set := index.JSONIDs(ids)
	if err := addMetrics(ctx, q, set, out); err != nil {
		return nil, nil, err
	}
	return ids, out, addAliases(ctx, q, set, out)
}

func addMetrics(ctx context.Context, q index.Querier, set string, out map[int64]*ModelVersion) error {
	rows, err := q.QueryContext(ctx, `SELECT model_version_id, name, value FROM model_metrics
		WHERE model_version_id IN (SELECT value FROM json_each(?)) ORDER BY model_version_id, name`, set)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		var value float64
		if err := rows.Scan(&id, &name, &value); err != nil {
			return err
		}
		v := out[id]
		if v.Metrics == nil {
			v.Metrics = map[string]float64{}
		}
		v.Metrics[name] = value
	}
	return rows.Err()
}

func addAliases(ctx context.Context, q index.Querier, set string, out map[int64]*ModelVersion) error {
	rows, err := q.QueryContext(ctx, `SELECT mv.id, a.name FROM aliases a
		JOIN model_versions mv ON mv.model_id = a.model_id AND mv.version = a.version
		WHERE mv.id IN (SELECT value FROM json_each(?)) ORDER BY mv.id, a.name`, set)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var alias string
		if err := rows.Scan(&id, &alias); err != nil {
			return err
		}
		out[id].Aliases = append(out[id].Aliases, alias)
	}
	return rows.Err()
}

// ParseModelRef splits "NAME@SELECTOR" into the model name and the
// selector: a version ("3" or "v3"), "latest", or an alias name.
func ParseModelRef(ref string) (name, selector string, err error) {
	i := strings.LastIndexByte(ref, '@')
	if i <= 0 || i == len(ref)-1 {
		return "", "", fmt.Errorf("models: %q is not a model reference: write NAME@VERSION (privacy-intent@3) or NAME@ALIAS (privacy-intent@champion)", ref)
	}
	return ref[:i], ref[i+1:], nil
}

// Resolve returns the model version that ref names: "NAME@3", "NAME@v3",
// "NAME@latest" or "NAME@ALIAS".
func Resolve(ctx context.Context, q index.Querier, ref string) (*ModelVersion, error) {
	id, err := ResolveID(ctx, q, ref)
	if err != nil {
		return nil, err
	}
	_, vs, err := VersionsWhere(ctx, q, `mv.id = ?`, id)
	if err != nil {
		return nil, err
	}
	return vs[id], nil
}

// ResolveID returns the model_versions.id that ref names.
func ResolveID(ctx context.Context, q index.Querier, ref string) (int64, error) {
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
			return 0, fmt.Errorf("models: model %s has no version %d; `pipe models show %s` lists them", name, n, name)
		}
	case sel == Latest:
		err = q.QueryRowContext(ctx, `SELECT id FROM model_versions WHERE model_id = ? ORDER BY version DESC LIMIT 1`, mid).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("models: model %s has no versions", name)
		}
	default:
		err = q.QueryRowContext(ctx, `SELECT mv.id FROM aliases a JOIN model_versions mv ON mv.model_id = a.model_id AND mv.version = a.version
			WHERE a.model_id = ? AND a.name = ?`, mid, sel).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, noAlias(ctx, q, mid, name, sel)
		}
	}
	return id, err
}

func noAlias(ctx context.Context, q index.Querier, mid int64, name, alias string) error {
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
	return fmt.Errorf("models: model %s has no alias %q; %s", name, alias, have)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
