package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/pipe-ml/pipe/steps"
)

// Artifact kinds of the registry's own. Every other kind is the label
// the step kinds declare for the artifact's media type (steps.Media),
// which the recorder (engine/apply) fills in from the catalog: "dataset",
// "model", ...
const (
	KindFile  = "file"  // read from outside the store, e.g. data/train.csv
	KindOther = "other" // a media type no step kind declares
)

// mediaTypeByExt guesses the media type of an input file that has none.
var mediaTypeByExt = map[string]string{
	".csv":     "text/csv",
	".parquet": "application/vnd.apache.parquet",
	".pq":      "application/vnd.apache.parquet",
	".json":    "application/json",
	".arrow":   "application/vnd.apache.arrow.file",
}

// ArtifactRef is an artifact as an execution used or produced it.
type ArtifactRef struct {
	// Digest is "sha256:" followed by 64 lowercase hex digits.
	Digest string `json:"digest"`
	// MediaType defaults to a guess from Path's extension for files, else
	// application/octet-stream.
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	// URI is where the bytes are, e.g. the store object's URL. Optional.
	URI string `json:"uri,omitempty"`
	// Kind labels the artifact: the label of its media type, as the step
	// kinds declare it ("dataset", "model", ...). Empty means KindFile
	// when Path is set, else KindOther.
	Kind string `json:"kind,omitempty"`
	// Name is the input or output name the execution knew it by: "train",
	// "model", or for a file the attribute that named it ("path").
	Name string `json:"name,omitempty"`
	// Path is set for files read from outside the store: the path relative
	// to the pipeline folder, with forward slashes (steps.File.Path).
	// `pipe lineage data/x.csv` finds every digest recorded under it.
	Path string `json:"path,omitempty"`
}

// Normalize checks the ref and fills its defaults (see the fields).
func (r *ArtifactRef) Normalize() error {
	if !steps.ValidDigest(r.Digest) {
		return fmt.Errorf("index: artifact digest %q is not of the form sha256:<64 lowercase hex digits>", r.Digest)
	}
	if r.Size < 0 {
		return fmt.Errorf("index: artifact %s has negative size %d", r.Digest, r.Size)
	}
	if r.Path != "" {
		r.Path = CleanPath(r.Path)
	}
	if r.MediaType == "" {
		r.MediaType = mediaTypeByExt[strings.ToLower(path.Ext(r.Path))]
	}
	if r.MediaType == "" {
		r.MediaType = "application/octet-stream"
	}
	if r.Kind == "" {
		r.Kind = KindOther
		if r.Path != "" {
			r.Kind = KindFile
		}
	}
	return nil
}

// CleanPath normalises a recorded file path: forward slashes, no "./".
func CleanPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	return path.Clean(p)
}

// ArtifactInfo is an artifact as the registry knows it.
type ArtifactInfo struct {
	ID        int64  `json:"-"`
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	Kind      string `json:"kind"`
	URI       string `json:"uri,omitempty"`
	// Locations are every URI recorded for it, sorted.
	Locations []string `json:"locations,omitempty"`
	// Paths are the file paths it was read from, sorted (KindFile).
	Paths []string `json:"paths,omitempty"`
}

// minDigestPrefix is the shortest digest prefix accepted, in hex digits.
const minDigestPrefix = 12

// IsHex reports whether s is lowercase hex digits, at least one.
func IsHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// ResolveDigest finds the artifact whose digest is d or starts with d (at
// least 12 hex digits, with or without "sha256:").
func ResolveDigest(ctx context.Context, q Querier, d string) (int64, error) {
	hex := strings.TrimPrefix(d, "sha256:")
	if !IsHex(hex) || len(hex) > 64 {
		return 0, fmt.Errorf("index: %q is not a sha256 digest (want sha256: and lowercase hex digits)", d)
	}
	if len(hex) < minDigestPrefix {
		return 0, fmt.Errorf("index: digest prefix %q is too short: give at least %d hex digits", d, minDigestPrefix)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, digest FROM artifacts WHERE digest GLOB ? ORDER BY digest LIMIT 6`, "sha256:"+hex+"*")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var ids []int64
	var digests []string
	for rows.Next() {
		var id int64
		var dg string
		if err := rows.Scan(&id, &dg); err != nil {
			return 0, err
		}
		ids, digests = append(ids, id), append(digests, dg)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	switch len(ids) {
	case 0:
		return 0, fmt.Errorf("index: no artifact with digest %s", d)
	case 1:
		return ids[0], nil
	}
	return 0, fmt.Errorf("index: digest prefix %s is ambiguous: it matches %s; give more digits", d, strings.Join(digests, ", "))
}

// ArtifactsByID loads artifacts by ID, with their locations and paths.
func ArtifactsByID(ctx context.Context, q Querier, ids []int64) (map[int64]ArtifactInfo, error) {
	out := make(map[int64]ArtifactInfo, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	set := JSONIDs(ids)
	rows, err := q.QueryContext(ctx, `SELECT id, digest, media_type, size, kind, uri FROM artifacts
		WHERE id IN (SELECT value FROM json_each(?))`, set)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a ArtifactInfo
		var uri sql.NullString
		if err := rows.Scan(&a.ID, &a.Digest, &a.MediaType, &a.Size, &a.Kind, &uri); err != nil {
			rows.Close()
			return nil, err
		}
		a.URI = uri.String
		out[a.ID] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := addArtifactStrings(ctx, q, out, `SELECT artifact_id, uri FROM artifact_locations WHERE artifact_id IN (SELECT value FROM json_each(?)) ORDER BY artifact_id, uri`,
		set, func(a *ArtifactInfo) *[]string { return &a.Locations }); err != nil {
		return nil, err
	}
	// Only files have paths; an artifact many executions used has many
	// events to look through.
	var files []int64
	for id, a := range out {
		if a.Kind == KindFile {
			files = append(files, id)
		}
	}
	if len(files) == 0 {
		return out, nil
	}
	err = addArtifactStrings(ctx, q, out, `SELECT DISTINCT ev.artifact_id, ev.path FROM json_each(?) j CROSS JOIN events ev ON ev.artifact_id = j.value
		WHERE ev.path IS NOT NULL ORDER BY ev.artifact_id, ev.path`, JSONIDs(files), func(a *ArtifactInfo) *[]string { return &a.Paths })
	return out, err
}

// addArtifactStrings appends what query returns, (artifact ID, text)
// rows, to a list field of the artifacts.
func addArtifactStrings(ctx context.Context, q Querier, out map[int64]ArtifactInfo, query, set string, field func(*ArtifactInfo) *[]string) error {
	rows, err := q.QueryContext(ctx, query, set)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return err
		}
		a := out[id]
		*field(&a) = append(*field(&a), s)
		out[id] = a
	}
	return rows.Err()
}

// ErrNoPath is returned by ArtifactsAtPath when no file was recorded at
// the path.
var ErrNoPath = errors.New("index: no file recorded at that path")

// ArtifactsAtPath returns every artifact ever recorded as read from the
// file at p, oldest first.
func ArtifactsAtPath(ctx context.Context, q Querier, p string) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT artifact_id FROM events WHERE path = ? GROUP BY artifact_id ORDER BY min(execution_id)`, CleanPath(p))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, ErrNoPath
	}
	return ids, nil
}

// ArtifactIDByDigest returns the ID of a recorded artifact with exactly
// this digest, 0 when there is none.
func ArtifactIDByDigest(ctx context.Context, q Querier, digest string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM artifacts WHERE digest = ?`, digest).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}
