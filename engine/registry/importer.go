package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

// A registry file that holds records the log lacks (one from before the
// log, one that kept its own records, or one whose history moves to a
// new store) is imported once: its records become facts appended to the
// log, the file is kept beside as REGISTRY.pre-log, and a new index of
// the log takes its place. Records keep their keys, or get keys made from
// an import ID and their old IDs, so that an import interrupted and begun
// again appends nothing twice. Into an empty log the import is exact:
// runs, executions, artifacts, versions and moves keep their IDs. Into a
// log that has a history already, they come after it: a version whose
// number is taken gets the next free one (its URI still names the folder
// it was published to), and alias moves are appended in their order.

// importBatch is how many facts an import puts in one entry.
const importBatch = 200

// importIntoLog imports the file's records into the log and installs a
// new index of the log in the file's place.
func (db *DB) importIntoLog(ctx context.Context) error {
	importID, err := db.importID(ctx)
	if err != nil {
		return err
	}
	newPath := db.path + ".import"
	for _, p := range []string{newPath, newPath + "-wal", newPath + "-shm"} {
		os.Remove(p)
	}
	target, err := Open(ctx, newPath, &Options{Store: db.log.Store(), Now: db.now, CheckpointEvery: -1, PipeVersion: db.opts.PipeVersion})
	if err != nil {
		return err
	}
	if err := target.Status().Err; err != nil {
		target.Close()
		return fmt.Errorf("registry: importing %s into the log in %s: %w", db.path, db.storeURL, err)
	}
	im := &importer{db: db, target: target, id: importID}
	if err := im.run(ctx); err != nil {
		target.Close()
		return fmt.Errorf("registry: importing %s into the log in %s (run the command again to go on): %w", db.path, db.storeURL, err)
	}
	if err := target.Close(); err != nil {
		return err
	}
	return db.swapIn(ctx, newPath)
}

// importID returns the file's import ID, making and keeping one first.
func (db *DB) importID(ctx context.Context) (string, error) {
	st, err := db.idx.State(ctx)
	if err != nil || st.ImportID != "" {
		return st.ImportID, unprefix(err)
	}
	id := newKey()[:12]
	return id, unprefix(db.idx.Write(ctx, func(tx *index.Tx) error { return tx.SetImportID(ctx, id) }))
}

// swapIn replaces the file's rows with those of the index at newPath
// (in place: every process that has the file open goes on with it),
// keeping a copy of the old rows as REGISTRY.pre-log, and removes newPath.
func (db *DB) swapIn(ctx context.Context, newPath string) error {
	backup := db.path + ".pre-log"
	for i := 2; fileExists(backup); i++ {
		backup = db.path + ".pre-log." + strconv.Itoa(i)
	}
	if _, err := db.idx.Snapshot(ctx, backup); err != nil {
		return unprefix(err)
	}
	if err := db.idx.ReplaceFrom(ctx, newPath); err != nil {
		return unprefix(err)
	}
	for _, p := range []string{newPath, newPath + "-wal", newPath + "-shm"} {
		os.Remove(p)
	}
	return nil
}

// importer appends the records of db's file to target's log.
type importer struct {
	db     *DB
	target *DB
	id     string
	facts  []txlog.Fact
}

func (im *importer) run(ctx context.Context) error {
	for _, step := range []func(context.Context, index.Querier) error{im.artifacts, im.runs, im.executions, im.versions, im.moves} {
		if err := im.db.read(ctx, func(q index.Querier) error { return step(ctx, q) }); err != nil {
			return err
		}
		if err := im.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// add queues facts, appending a batch when enough are queued.
func (im *importer) add(ctx context.Context, fs ...txlog.Fact) error {
	im.facts = append(im.facts, fs...)
	if len(im.facts) < importBatch {
		return nil
	}
	return im.flush(ctx)
}

func (im *importer) flush(ctx context.Context) error {
	if len(im.facts) == 0 {
		return nil
	}
	facts := im.facts
	im.facts = nil
	return im.target.change(ctx, func(context.Context, *index.Tx) ([]txlog.Fact, error) { return facts, nil }, nil)
}

// key is the key a record had, or one made for it.
func (im *importer) key(kind string, id int64, had sql.NullString) string {
	if had.Valid && had.String != "" {
		return had.String
	}
	return im.id + "-" + kind + strconv.FormatInt(id, 10)
}

// exists reports whether the target already holds the record with a key.
func (im *importer) exists(ctx context.Context, table, key string) (bool, error) {
	var id int64
	err := im.target.read(ctx, func(q index.Querier) (err error) {
		switch table {
		case "runs":
			id, err = index.RunID(ctx, q, key)
		case "executions":
			id, err = index.ExecutionID(ctx, q, key)
		default:
			id, err = index.MoveID(ctx, q, key)
		}
		return err
	})
	return id != 0, err
}

// hasArtifact reports whether the target holds the artifact, at uri
// when one is given.
func (im *importer) hasArtifact(ctx context.Context, digest, uri string) (bool, error) {
	var n int
	err := im.target.read(ctx, func(q index.Querier) error {
		return q.QueryRowContext(ctx, `SELECT count(*) FROM artifacts a WHERE a.digest = ?1
			AND (?2 = '' OR EXISTS (SELECT 1 FROM artifact_locations l WHERE l.artifact_id = a.id AND l.uri = ?2))`, digest, uri).Scan(&n)
	})
	return n > 0, err
}

func (im *importer) artifacts(ctx context.Context, q index.Querier) error {
	rows, err := q.QueryContext(ctx, `SELECT a.digest, a.media_type, a.size, a.kind, coalesce(l.uri, a.uri, ''), coalesce(l.first_seen, a.created_at)
		FROM artifacts a LEFT JOIN artifact_locations l ON l.artifact_id = a.id
		ORDER BY a.id, l.uri IS NOT a.uri, l.first_seen, l.uri`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a  txlog.Artifact
			at sql.NullString
		)
		if err := rows.Scan(&a.Digest, &a.MediaType, &a.Size, &a.Kind, &a.URI, &at); err != nil {
			return err
		}
		if ok, err := im.hasArtifact(ctx, a.Digest, a.URI); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		if err := im.add(ctx, txlog.Fact{ArtifactSeen: &txlog.ArtifactSeen{Artifact: a, At: index.ParseTime(at)}}); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (im *importer) runs(ctx context.Context, q index.Querier) error {
	runs, err := index.Runs(ctx, q, index.RunFilter{})
	if err != nil {
		return err
	}
	for i := len(runs) - 1; i >= 0; i-- { // oldest first
		r := runs[i]
		var had sql.NullString
		if err := q.QueryRowContext(ctx, `SELECT key FROM runs WHERE id = ?`, r.ID).Scan(&had); err != nil {
			return err
		}
		key := im.key("r", r.ID, had)
		if ok, err := im.exists(ctx, "runs", key); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		if r.Origin == "" && r.Status == RunRunning {
			r.Origin = im.db.opts.Origin
		}
		fs := []txlog.Fact{{RunBegun: &txlog.RunBegun{Run: key, Pipeline: r.Pipeline, Trigger: r.Trigger, ConfigDigest: r.ConfigDigest,
			GitCommit: r.GitCommit, GitDirty: r.GitDirty, GitBranch: r.GitBranch, PullRequest: r.PullRequest, PipeVersion: r.PipeVersion,
			Host: r.Host, User: r.User, StoreURL: r.StoreURL, Origin: r.Origin, Started: r.Started}}}
		if r.Status != RunRunning {
			fs = append(fs, txlog.Fact{RunEnded: &txlog.RunEnded{Run: key, Status: r.Status, Error: r.Error, Ended: r.Ended}})
		}
		if err := im.add(ctx, fs...); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) executions(ctx context.Context, q index.Querier) error {
	execs, err := index.ExecutionsWhere(ctx, q, `1 = 1`)
	if err != nil {
		return err
	}
	keys, err := im.keysOf(ctx, q, "executions", "x")
	if err != nil {
		return err
	}
	runKeys, err := im.keysOf(ctx, q, "runs", "r")
	if err != nil {
		return err
	}
	for _, e := range execs {
		if ok, err := im.exists(ctx, "executions", keys[e.ID]); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		start := &txlog.ExecutionStarted{Execution: keys[e.ID], Run: runKeys[e.RunID], Step: e.Step, Kind: e.Kind,
			KindVersion: e.KindVersion, CacheKey: e.CacheKey, Started: e.Started, Config: e.Config, Used: importRefs(e.Used)}
		for _, d := range e.DependsOn {
			start.DependsOn = append(start.DependsOn, txlog.Dependency{Execution: keys[d.ExecutionID], Name: d.Name})
		}
		fs := []txlog.Fact{{ExecutionStarted: start}}
		if e.Status != ExecRunning {
			fs = append(fs, txlog.Fact{ExecutionEnded: &txlog.ExecutionEnded{Execution: keys[e.ID], Status: e.Status, Ended: e.Ended,
				Error: e.Error, Outputs: e.Outputs, Warnings: e.Warnings, Produced: importRefs(e.Produced)}})
		}
		if err := im.add(ctx, fs...); err != nil {
			return err
		}
	}
	return nil
}

// keysOf returns the key of every row of a table, made when it had none.
func (im *importer) keysOf(ctx context.Context, q index.Querier, table, kind string) (map[int64]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, key FROM `+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var key sql.NullString
		if err := rows.Scan(&id, &key); err != nil {
			return nil, err
		}
		out[id] = im.key(kind, id, key)
	}
	return out, rows.Err()
}

// importRefs converts an execution's artifacts for the log; their
// locations were imported with the artifacts.
func importRefs(refs []ArtifactRef) []txlog.Artifact {
	var out []txlog.Artifact
	for _, r := range refs {
		out = append(out, txlog.Artifact{Digest: r.Digest, MediaType: r.MediaType, Size: r.Size, Kind: r.Kind, Name: r.Name, Path: r.Path})
	}
	return out
}

func (im *importer) versions(ctx context.Context, q index.Querier) error {
	rows, err := q.QueryContext(ctx, `SELECT m.name, ma.digest, coalesce(ra.digest, ''), coalesce(mv.eval_data_digest, ''), coalesce(mv.uri, ''),
			r.key, r.id, x.key, x.id, mv.created_at, mv.id
		FROM model_versions mv JOIN models m ON m.id = mv.model_id JOIN artifacts ma ON ma.id = mv.model_artifact_id
		LEFT JOIN artifacts ra ON ra.id = mv.report_artifact_id
		LEFT JOIN runs r ON r.id = mv.run_id LEFT JOIN executions x ON x.id = mv.execution_id
		ORDER BY mv.id`)
	if err != nil {
		return err
	}
	type version struct {
		fact txlog.VersionCreated
		vid  int64
	}
	var vs []version
	for rows.Next() {
		var (
			v               version
			runKey, execKey sql.NullString
			runID, execID   sql.NullInt64
			created         sql.NullString
		)
		f := &v.fact
		if err := rows.Scan(&f.Model, &f.ModelDigest, &f.ReportDigest, &f.EvalDataDigest, &f.URI, &runKey, &runID, &execKey, &execID, &created, &v.vid); err != nil {
			rows.Close()
			return err
		}
		if runID.Valid {
			f.Run = im.key("r", runID.Int64, runKey)
		}
		if execID.Valid {
			f.Execution = im.key("x", execID.Int64, execKey)
		}
		f.Created = index.ParseTime(created)
		vs = append(vs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Each version's number depends on those before it: one entry each.
	if err := im.flush(ctx); err != nil {
		return err
	}
	for _, v := range vs {
		if err := im.version(ctx, q, v.fact, v.vid); err != nil {
			return err
		}
	}
	return nil
}

// version appends one version, numbered against the target's log.
func (im *importer) version(ctx context.Context, q index.Querier, f txlog.VersionCreated, vid int64) error {
	rows, err := q.QueryContext(ctx, `SELECT name, value FROM model_metrics WHERE model_version_id = ? ORDER BY name`, vid)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		var value float64
		if err := rows.Scan(&name, &value); err != nil {
			rows.Close()
			return err
		}
		if f.Metrics == nil {
			f.Metrics = map[string]float64{}
		}
		f.Metrics[name] = value
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return im.target.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		v, reserved, err := index.VersionOfDigest(ctx, tx, f.Model, f.ModelDigest)
		switch {
		case err != nil || v != 0 && !reserved:
			return nil, err
		case v == 0:
			if v, err = index.NextVersion(ctx, tx, f.Model); err != nil {
				return nil, err
			}
		}
		g := f
		g.Version = v
		return []txlog.Fact{{VersionCreated: &g}}, nil
	}, nil)
}

func (im *importer) moves(ctx context.Context, q index.Querier) error {
	rows, err := q.QueryContext(ctx, `SELECT h.id, h.key, m.name, h.alias, h.moved_at, h.triggered_by,
			h.run_id, r.key, coalesce(h.note, ''), h.compared, h.undoes_id, u.key, a.digest
		FROM alias_history h JOIN models m ON m.id = h.model_id
		JOIN model_versions mv ON mv.model_id = h.model_id AND mv.version = h.to_version
		JOIN artifacts a ON a.id = mv.model_artifact_id
		LEFT JOIN runs r ON r.id = h.run_id LEFT JOIN alias_history u ON u.id = h.undoes_id
		ORDER BY h.id`)
	if err != nil {
		return err
	}
	type move struct {
		fact   txlog.AliasMoved
		digest string
	}
	var ms []move
	for rows.Next() {
		var (
			mv                     move
			id                     int64
			key, runKey, undoesKey sql.NullString
			run, undoes            sql.NullInt64
			at, compared           sql.NullString
		)
		f := &mv.fact
		if err := rows.Scan(&id, &key, &f.Model, &f.Alias, &at, &f.Trigger, &run, &runKey, &f.Note, &compared, &undoes, &undoesKey, &mv.digest); err != nil {
			rows.Close()
			return err
		}
		f.Move, f.At = im.key("m", id, key), index.ParseTime(at)
		if run.Valid {
			f.Run = im.key("r", run.Int64, runKey)
		}
		if undoes.Valid {
			f.Undoes = im.key("m", undoes.Int64, undoesKey)
		}
		if compared.Valid {
			if err := json.Unmarshal([]byte(compared.String), &f.Compared); err != nil {
				rows.Close()
				return fmt.Errorf("alias history %d: compared is not JSON: %w", id, err)
			}
		}
		ms = append(ms, mv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range ms {
		if err := im.move(ctx, m.fact, m.digest); err != nil {
			return err
		}
	}
	return im.flush(ctx)
}

// move appends one alias move: to the version of its model digest in the
// target, from wherever the alias points there now.
func (im *importer) move(ctx context.Context, f txlog.AliasMoved, digest string) error {
	if ok, err := im.exists(ctx, "alias_history", f.Move); err != nil || ok {
		return err
	}
	return im.target.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		to, _, err := index.VersionOfDigest(ctx, tx, f.Model, digest)
		if err != nil {
			return nil, err
		}
		mid, err := index.ModelID(ctx, tx, f.Model)
		if err != nil {
			return nil, err
		}
		from, err := index.AliasVersion(ctx, tx, mid, f.Alias)
		if err != nil {
			return nil, err
		}
		g := f
		g.From, g.To = from, to
		return []txlog.Fact{{AliasMoved: &g}}, nil
	}, nil)
}
