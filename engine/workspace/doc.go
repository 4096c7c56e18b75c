// Package workspace opens what a command needs to work on one pipeline:
// the checked pipeline, the store, the state folder (stat cache, lock) and
// the registry, each at a location resolved in one place, and the facts a
// run records about where it ran (trigger, host, Git commit, CI).
//
// Locations, highest precedence first:
//
//	store:     -store, PIPE_STORE, settings.store, file://STATE/store when
//	           the state folder was moved, else file://.pipe/store
//	state:     -state-dir, PIPE_STATE_DIR, else .pipe
//	registry:  -registry, PIPE_REGISTRY, STATE/registry.db when the state
//	           folder was moved, settings.registry, else .pipe/registry.db
//	executor:  -executor, PIPE_EXECUTOR, settings.executor, else local
//	           (where steps without an executor of their own run)
//	object     PIPE_CACHE_DIR, else STATE/objects; bounded by PIPE_CACHE_MAX
//	cache:     (default 20 GiB); opened for gs:// and s3:// stores only
//	paths:     the pipeline folder, and every folder of -allow-path,
//	           PIPE_ALLOWED_PATHS and settings.allowed_paths together
//	           (the folders steps and file functions may use;
//	           engine/confine)
//	team key:  PIPE_KEY_FILE or PIPE_KEY (engine/signing); sensitive
//	           values are hashed with it, else with STATE/key
//
// Relative paths in settings are relative to the pipeline folder; relative
// paths from flags and the environment are relative to the working
// directory, as a user typing them expects. Moving the state folder
// (PIPE_STATE_DIR) moves all local state with it, the registry included,
// because a Kubernetes ConfigMap holding the pipeline is mounted read-only.
package workspace
