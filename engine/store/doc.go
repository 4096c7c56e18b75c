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
// their SHA-256, so that a truncated or damaged one is detected.
//
// # Guarantees
//
//   - Writes are atomic: a blob becomes visible under its name only once
//     complete. Put spools the bytes to a local file while hashing them,
//     then uploads them under their digest; the backends publish a blob
//     when its writer is closed (local folders: a rename of a temporary
//     file beside the final name; GCS and S3: the upload's finalisation),
//     and a failed upload is cancelled, never closed. A process killed at
//     any point leaves at worst a temporary file (local folders), which no
//     read or listing takes for an object and CleanTemps removes.
//   - Every read is checked: Reader hashes what it reads and, instead of
//     io.EOF, returns a *CorruptError when the content does not match its
//     name; the object is moved to quarantine/ so the next Put rewrites
//     it. Cache entries and refs are checked against their envelope's
//     checksum. A *CorruptError matches ErrNotFound as well as ErrCorrupt:
//     bad data is a miss (and a warning to print), never data.
//   - Transient failures (refused or reset connections, timeouts, HTTP
//     408, 429 and 5xx) are retried with exponential backoff and jitter,
//     a bounded number of times (Options.Retry); the error that ends the
//     retries names the store, the operation, the key and the number of
//     attempts. NotFound is never retried; a cancelled context stops at
//     once. Errors are *OpError values prefixed "store:".
//
// CreateBlob is a put-if-absent write, atomic on every backend: a
// generation precondition on GCS, If-None-Match: * on S3, a hard link of
// a complete temporary file on local folders (fileblob's own check is
// atomic only within one process). CheckConditionalWrites proves a store
// honours it; some S3-compatible servers do not.
//
// Local folders are not fsynced: a machine that loses power may leave an
// object short or garbled under its name. The checks above turn that into
// a miss, and Put rewrites an object whose size is wrong.
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
