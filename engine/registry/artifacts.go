package registry

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

// ArtifactFromStep converts an artifact value from a step into a ref.
func ArtifactFromStep(a steps.Artifact, name string) ArtifactRef {
	return ArtifactRef{Digest: a.Digest, MediaType: a.MediaType, Size: a.Size, Name: name}
}

// FileArtifact converts a hashed input file into a ref of KindFile. An
// empty mediaType is guessed from the file's extension (.csv, .parquet).
func FileArtifact(f steps.File, mediaType, name string) ArtifactRef {
	return ArtifactRef{Digest: f.Digest, MediaType: mediaType, Size: f.Size, Kind: KindFile, Name: name, Path: f.Path}
}

func (r *ArtifactRef) normalize() error {
	if !steps.ValidDigest(r.Digest) {
		return fmt.Errorf("registry: artifact digest %q is not of the form sha256:<64 lowercase hex digits>", r.Digest)
	}
	if r.Size < 0 {
		return fmt.Errorf("registry: artifact %s has negative size %d", r.Digest, r.Size)
	}
	if r.Path != "" {
		r.Path = cleanPath(r.Path)
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

// cleanPath normalises a recorded file path: forward slashes, no "./".
func cleanPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	return path.Clean(p)
}

// upsertArtifact records the artifact if it is new and returns its ID. An
// artifact seen before keeps its first URI and kind (a kind of "other" is
// replaced by a more specific one); every new URI is added to
// artifact_locations.
func (db *DB) upsertArtifact(ctx context.Context, tx *sql.Tx, r ArtifactRef) (int64, error) {
	if err := r.normalize(); err != nil {
		return 0, err
	}
	now := formatTime(db.now())
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO artifacts (digest, media_type, size, kind, uri, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (digest) DO UPDATE SET
			kind = CASE WHEN artifacts.kind = 'other' THEN excluded.kind ELSE artifacts.kind END,
			uri = coalesce(artifacts.uri, excluded.uri)
		RETURNING id`,
		r.Digest, r.MediaType, r.Size, r.Kind, nullString(r.URI), now).Scan(&id)
	if err != nil {
		return 0, err
	}
	if r.URI != "" {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO artifact_locations (artifact_id, uri, first_seen) VALUES (?, ?, ?)`,
			id, r.URI, now); err != nil {
			return 0, err
		}
	}
	return id, nil
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

// Artifact returns the artifact with the given digest or unique digest
// prefix (at least 12 hex digits, with or without "sha256:").
func (db *DB) Artifact(ctx context.Context, digest string) (*ArtifactInfo, error) {
	var info *ArtifactInfo
	err := db.read(ctx, func(tx queryer) error {
		id, err := resolveDigest(ctx, tx, digest)
		if err != nil {
			return err
		}
		m, err := getArtifacts(ctx, tx, []int64{id})
		if err != nil {
			return err
		}
		a := m[id]
		info = &a
		return nil
	})
	return info, err
}

// minDigestPrefix is the shortest digest prefix accepted, in hex digits.
const minDigestPrefix = 12

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// resolveDigest finds the artifact whose digest is d or starts with d.
func resolveDigest(ctx context.Context, q queryer, d string) (int64, error) {
	hex := strings.TrimPrefix(d, "sha256:")
	if !isHex(hex) || len(hex) > 64 {
		return 0, fmt.Errorf("registry: %q is not a sha256 digest (want sha256: and lowercase hex digits)", d)
	}
	if len(hex) < minDigestPrefix {
		return 0, fmt.Errorf("registry: digest prefix %q is too short: give at least %d hex digits", d, minDigestPrefix)
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
		return 0, fmt.Errorf("registry: no artifact with digest %s", d)
	case 1:
		return ids[0], nil
	}
	return 0, fmt.Errorf("registry: digest prefix %s is ambiguous: it matches %s; give more digits", d, strings.Join(digests, ", "))
}

// getArtifacts loads artifacts by ID, with their locations and paths.
func getArtifacts(ctx context.Context, q queryer, ids []int64) (map[int64]ArtifactInfo, error) {
	out := make(map[int64]ArtifactInfo, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	set := jsonIDs(ids)
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
	add := func(query string, field func(*ArtifactInfo) *[]string) error {
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
	if err := add(`SELECT artifact_id, uri FROM artifact_locations WHERE artifact_id IN (SELECT value FROM json_each(?)) ORDER BY artifact_id, uri`,
		func(a *ArtifactInfo) *[]string { return &a.Locations }); err != nil {
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
	set = jsonIDs(files)
	if err := add(`SELECT DISTINCT ev.artifact_id, ev.path FROM json_each(?) j CROSS JOIN events ev ON ev.artifact_id = j.value
		WHERE ev.path IS NOT NULL ORDER BY ev.artifact_id, ev.path`,
		func(a *ArtifactInfo) *[]string { return &a.Paths }); err != nil {
		return nil, err
	}
	return out, nil
}

var errNoPath = errors.New("registry: no file recorded at that path")

// artifactsAtPath returns every artifact ever recorded as read from the
// file at p, oldest first.
func artifactsAtPath(ctx context.Context, q queryer, p string) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT artifact_id FROM events WHERE path = ? GROUP BY artifact_id ORDER BY min(execution_id)`, cleanPath(p))
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
		return nil, errNoPath
	}
	return ids, nil
}
