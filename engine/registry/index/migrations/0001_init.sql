-- 0001_init: the first schema of the pipe registry.
--
-- Never edit a migration that has been released: add the next numbered file
-- instead. schema.md beside the package documents every table and column,
-- and a test keeps the two in step.
--
-- Times are TEXT in UTC, "2006-01-02T15:04:05.000Z" (sortable, and readable
-- by SQLite's date functions). JSON columns hold compact JSON text.

-- One `pipe apply`.
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    pipeline      TEXT    NOT NULL,
    triggered_by  TEXT    NOT NULL,          -- manual | ci | schedule | watch
    config_digest TEXT,                      -- digest of the pipeline's files and variables
    git_commit    TEXT,                      -- NULL outside a Git checkout
    git_dirty     INTEGER,                   -- 1 with uncommitted changes, 0 clean, NULL outside Git
    git_branch    TEXT,
    pull_request  TEXT,                      -- set by CI
    pipe_version  TEXT    NOT NULL,
    host          TEXT,
    username      TEXT,
    store_url     TEXT,
    started_at    TEXT    NOT NULL,
    ended_at      TEXT,                      -- NULL while running
    status        TEXT    NOT NULL,          -- running | succeeded | failed | interrupted | cancelled
    error         TEXT
);
CREATE INDEX runs_pipeline ON runs (pipeline, id);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

-- One step in one run, whether it ran or came from the cache.
CREATE TABLE executions (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs (id),
    step         TEXT    NOT NULL,           -- address, e.g. train.model
    kind         TEXT    NOT NULL,           -- block type, e.g. train
    kind_version TEXT    NOT NULL,
    cache_key    TEXT,
    status       TEXT    NOT NULL,           -- running | ran | cached | failed | skipped | cancelled | interrupted
    started_at   TEXT    NOT NULL,
    ended_at     TEXT,
    error        TEXT,
    config       TEXT,                       -- JSON: the evaluated, redacted configuration
    outputs      TEXT,                       -- JSON: outputs that are not artifacts
    warnings     TEXT                        -- JSON array of strings
);
CREATE INDEX executions_run ON executions (run_id);
CREATE INDEX executions_cache_key ON executions (cache_key, status);

-- Content-addressed bytes: a dataset, a model, a report, an input file.
CREATE TABLE artifacts (
    id         INTEGER PRIMARY KEY,
    digest     TEXT    NOT NULL UNIQUE,      -- sha256:<64 hex>
    media_type TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    kind       TEXT    NOT NULL,             -- file | dataset | model | report | trials | predictions | image | other
    uri        TEXT,                         -- the first place it was recorded at
    created_at TEXT    NOT NULL
);

-- Every place an artifact was recorded at (two stores, a laptop and CI).
CREATE TABLE artifact_locations (
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id),
    uri         TEXT    NOT NULL,
    first_seen  TEXT    NOT NULL,
    PRIMARY KEY (artifact_id, uri)
) WITHOUT ROWID;

-- An execution used or produced an artifact.
CREATE TABLE events (
    execution_id INTEGER NOT NULL REFERENCES executions (id),
    type         TEXT    NOT NULL CHECK (type IN ('used', 'produced')),
    artifact_id  INTEGER NOT NULL REFERENCES artifacts (id),
    name         TEXT    NOT NULL DEFAULT '', -- input or output name, e.g. train, model
    path         TEXT,                        -- for files read from outside the store: path relative to the pipeline
    PRIMARY KEY (execution_id, type, artifact_id, name)
) WITHOUT ROWID;
CREATE INDEX events_artifact ON events (artifact_id, type, execution_id);
CREATE INDEX events_path ON events (path) WHERE path IS NOT NULL;

-- An execution used a value that is not an artifact (search.lr.best) from
-- another execution.
CREATE TABLE execution_inputs (
    execution_id INTEGER NOT NULL REFERENCES executions (id),
    upstream_id  INTEGER NOT NULL REFERENCES executions (id),
    name         TEXT    NOT NULL DEFAULT '', -- the reference, e.g. search.lr.best
    PRIMARY KEY (execution_id, upstream_id, name)
) WITHOUT ROWID;
CREATE INDEX execution_inputs_upstream ON execution_inputs (upstream_id);

CREATE TABLE models (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- v1, v2, ... of a model; one version per distinct model artifact.
CREATE TABLE model_versions (
    id                 INTEGER PRIMARY KEY,
    model_id           INTEGER NOT NULL REFERENCES models (id),
    version            INTEGER NOT NULL,
    model_artifact_id  INTEGER NOT NULL REFERENCES artifacts (id),
    report_artifact_id INTEGER REFERENCES artifacts (id),
    eval_data_digest   TEXT,                 -- digest of the data the metrics were measured on
    uri                TEXT,                 -- where publish put it, e.g. gs://bucket/prefix/v3/
    run_id             INTEGER REFERENCES runs (id),
    execution_id       INTEGER REFERENCES executions (id),
    created_at         TEXT    NOT NULL,
    UNIQUE (model_id, version),
    UNIQUE (model_id, model_artifact_id)
);
CREATE INDEX model_versions_artifact ON model_versions (model_artifact_id);
CREATE INDEX model_versions_execution ON model_versions (execution_id);

CREATE TABLE model_metrics (
    model_version_id INTEGER NOT NULL REFERENCES model_versions (id),
    name             TEXT    NOT NULL,
    value            REAL    NOT NULL,
    PRIMARY KEY (model_version_id, name)
) WITHOUT ROWID;

-- Where each alias (champion, staging) of a model points now.
CREATE TABLE aliases (
    model_id   INTEGER NOT NULL REFERENCES models (id),
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (model_id, name),
    FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
) WITHOUT ROWID;

-- Every move of an alias, oldest first. Append-only: the triggers below
-- refuse updates and deletes.
CREATE TABLE alias_history (
    id           INTEGER PRIMARY KEY,
    model_id     INTEGER NOT NULL REFERENCES models (id),
    alias        TEXT    NOT NULL,
    from_version INTEGER,                    -- NULL when the alias was new
    to_version   INTEGER NOT NULL,
    moved_at     TEXT    NOT NULL,
    triggered_by TEXT    NOT NULL,           -- publish | promote | rollback
    run_id       INTEGER REFERENCES runs (id),
    note         TEXT,
    compared     TEXT,                       -- JSON: {"f1": {"candidate": 0.91, "incumbent": 0.89}}
    undoes_id    INTEGER REFERENCES alias_history (id), -- the move a rollback undid
    FOREIGN KEY (model_id, from_version) REFERENCES model_versions (model_id, version),
    FOREIGN KEY (model_id, to_version) REFERENCES model_versions (model_id, version)
);
CREATE INDEX alias_history_alias ON alias_history (model_id, alias, id);

CREATE TRIGGER alias_history_no_update BEFORE UPDATE ON alias_history
BEGIN
    SELECT RAISE(ABORT, 'alias_history is append-only');
END;

CREATE TRIGGER alias_history_no_delete BEFORE DELETE ON alias_history
BEGIN
    SELECT RAISE(ABORT, 'alias_history is append-only');
END;
