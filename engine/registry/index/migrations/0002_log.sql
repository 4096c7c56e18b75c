-- 0002_log: the registry becomes a local index of the log kept in the
-- store (engine/registry/txlog). Every row is now derived from the log's
-- entries, in their order, so that every machine's index holds the same
-- rows with the same IDs; deleting the file loses nothing.

-- Which log this file indexes, and how far. One row.
CREATE TABLE log_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    store_url TEXT,                         -- the store whose log this indexes; NULL: a registry of its own, with no store
    log_id    TEXT,                         -- the SHA-256 of the log's entry 1: which log this is, wherever its store moves
    entry     INTEGER NOT NULL DEFAULT 0,   -- the last log entry applied
    hash      TEXT,                         -- its SHA-256
    synced_at TEXT,                         -- when a sync last reached the end of the log
    import_id TEXT                          -- set once a registry from before the log is being imported
);
INSERT INTO log_state (id) VALUES (1);

-- Facts name runs, executions and alias moves by keys their writer chose.
ALTER TABLE runs ADD COLUMN key TEXT;
ALTER TABLE runs ADD COLUMN origin TEXT;    -- the state folder that ran it
ALTER TABLE runs ADD COLUMN entry INTEGER;  -- the log entry that began it
CREATE UNIQUE INDEX runs_key ON runs (key);
CREATE INDEX runs_origin_running ON runs (origin) WHERE status = 'running';

ALTER TABLE executions ADD COLUMN key TEXT;
CREATE UNIQUE INDEX executions_key ON executions (key);

ALTER TABLE alias_history ADD COLUMN key TEXT;
CREATE UNIQUE INDEX alias_history_key ON alias_history (key);

-- A version number a publish took for a model digest before writing the
-- version's files; model_versions gets the version once they are written.
CREATE TABLE version_reservations (
    model        TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    model_digest TEXT    NOT NULL,
    run_id       INTEGER REFERENCES runs (id),
    execution_id INTEGER REFERENCES executions (id),
    reserved_at  TEXT    NOT NULL,
    PRIMARY KEY (model, version),
    UNIQUE (model, model_digest)
) WITHOUT ROWID;

-- Facts of the log the index did not apply, because they contradict what
-- came before them (a version number already taken, an alias that had
-- moved): every index refuses the same ones.
CREATE TABLE refused_facts (
    entry  INTEGER NOT NULL,
    fact   INTEGER NOT NULL,                -- its position in the entry, from 1
    type   TEXT    NOT NULL,                -- e.g. version_created
    reason TEXT    NOT NULL,
    PRIMARY KEY (entry, fact)
) WITHOUT ROWID;
