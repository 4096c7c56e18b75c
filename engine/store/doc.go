// Package store keeps pipe's artifacts and its cache of step executions in
// a blob bucket: a local folder (the default, .pipe/store beside the
// pipeline), Google Cloud Storage, Amazon S3 or memory, through
// gocloud.dev/blob. The same store URL on two machines gives both the same
// cache.
//
// # Layout
//
//	objects/sha256/ab/cdef0123…   immutable objects, named by the SHA-256 of
//	                              their content (first two hex digits, then
//	                              the other 62)
//	cache/<cache-key>.json        one step execution: its outputs
//	refs/<name>.json              small mutable documents (the last cache
//	                              key of each step, for plan's "why")
//	quarantine/…                  objects that failed their digest check
//	registry/…                    the registry's log: records written once
//	                              with put-if-absent (CreateBlob), and its
//	                              checkpoints (engine/registry/txlog)
//
// Cache entries and refs are JSON payloads in an envelope that carries
// their SHA-256, so that a truncated or damaged one is detected. A store
// opened with the team key (Options.Key) also signs its cache entries and
// trusts only those it signed (signature.go): the checksum catches
// accidents, the signature someone who may write to the bucket.
//
// # Guarantees
//
//   - Writes are atomic: a blob becomes visible under its name only once
//     complete. Put hashes an object as it is written and writes it once:
//     in a local folder into a temporary file beside the objects, then
//     given its name; for GCS and S3 into a fill of the object cache (or
//     a spool file), then uploaded, the backend publishing the blob when
//     its writer is closed (a failed upload is cancelled, never closed).
//     The store's own temporary files are unnamed on Linux (O_TMPFILE), so
//     a killed process leaves none; elsewhere they are locked by their
//     process while it lives, and SweepTemps (every command that opens a
//     workspace) removes those whose process is gone (see tempfile.go). No read or listing takes one for an
//     object.
//   - Every read is checked: Reader hashes what it reads and, instead of
//     io.EOF, returns a *CorruptError when the content does not match its
//     name; the object is moved to quarantine/ so the next Put rewrites
//     it. Map hands the bytes over at once and checks them beside the
//     caller's work; its Verify must pass before anything computed from
//     them is trusted (the engine commits nothing of a step before). Cache
//     entries and refs are checked against their envelope's checksum. A
//     *CorruptError matches ErrNotFound as well as ErrCorrupt: bad data is
//     a miss (and a warning to print), never data.
//   - Transient failures (refused or reset connections, timeouts, HTTP
//     408, 429 and 5xx) are retried with exponential backoff and jitter,
//     a bounded number of times (Options.Retry); the error that ends the
//     retries names the store, the operation, the key and the number of
//     attempts. NotFound is never retried; a cancelled context stops at
//     once. Errors are *OpError values prefixed "store:".
//
// Local folders are not fsynced: a machine that loses power may leave an
// object short or garbled under its name. The checks above turn that into
// a miss, and Put rewrites an object whose size is wrong.
//
// # Reading at memory speed
//
// Objects are immutable and named by their content, so a verified local
// copy can be used in place. Map memory-maps a local store's own file, or
// for GCS and S3 the object cache's copy (ObjectCache: a folder of
// verified copies on this machine, bounded in size, least recently used
// first out, shared by processes), which a first read downloads: in one
// stream while that stream keeps up with hashing and writing the copy (as
// on loopback), joined by ranged reads at once when the network is the
// slower side (as from real GCS or S3; see rangedFetch). No step copies a
// dataset to a temporary file, and a second step, or run, that reads the
// object downloads nothing.
//
// Verification, decided: beside the work, not skipped. Map starts a
// goroutine that hashes the file while the caller works on it (with
// pread, which also brings its pages into the page cache, without counting
// them twice in the process's resident memory), and Verify waits for it and checks
// that the file did not change meanwhile (its inode, size, modification
// and change times: see fileID). A file is hashed again by the next
// process that maps it: what this process verified is remembered in its
// memory only (verifiedFiles), by file identity including the change
// time, which no unprivileged process can set back. A record of
// verification kept on disk would not do, since whoever can write the
// object can write the record; skipping the check across processes would
// need the kernel to vouch for the file (fs-verity), which this does not
// assume.
//
// A mapped file that another process truncates makes reads past its new
// end fault (SIGBUS). Go crashes on that unless the reading goroutine
// asked for a panic instead (runtime/debug.SetPanicOnFault): callers that
// read mapped bytes must ask (steps/shared/fault helps the step kinds with
// it).
//
// # URLs
//
// See ParseLocation. A relative path, with or without file://, is relative
// to the pipeline's folder; gs://BUCKET/PREFIX and s3://BUCKET/PREFIX keep
// the store under PREFIX. For GCS, STORAGE_EMULATOR_HOST and
// GOOGLE_APPLICATION_CREDENTIALS work as in Google's own clients.
//
// Which URL a pipeline uses (settings { store }, -store, PIPE_STORE) is
// decided by the engine and the CLI; cache keys and what goes in a cache
// entry are the engine's; the state folder (registry, stat cache, lock)
// belongs to engine/registry, engine/filehash and engine/lock.
package store
