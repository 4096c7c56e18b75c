// Package lock keeps two pipe processes from working on one state folder
// (the SQLite registry, the stat cache) and, through it, one store at the
// same time: `pipe apply` holds the lock from start to end, and a second
// apply waits for it or fails with a message naming the holder.
//
// # Protocol
//
// The lock is the file pipe.lock in the state folder, holding the holder's
// Info as JSON (a random ID, host, pid, user, operation, since and a
// heartbeat time). It is created complete or not at all (written to a
// temporary file, then hard-linked into place, which fails when the file
// exists). While it is held, a goroutine rewrites the heartbeat every 5 s.
//
// A lock is stale, and is taken over, when
//   - its holder ran on this host and its process is gone (or is a
//     zombie), or has our own pid without being held by this process (a
//     restarted container whose pipe is pid 1 again); or
//   - its heartbeat is older than the 60 s lease: the holder died on
//     another machine sharing the folder, or froze.
//
// Every read-decide-write step (acquire, take over, heartbeat, release,
// force-unlock) runs under flock(2) on pipe.lock.guard, held for
// milliseconds, so that two processes that find the same stale lock
// cannot both take it. Where flock is not supported (some FUSE file
// systems) the steps run unguarded: taking a lock that is free stays safe
// (the hard link fails for all but one), but two processes that find the
// same stale lock at the same moment may both take it over.
//
// ForceUnlock removes a lock whose holder is known to be gone, given its
// ID, as `pipe force-unlock ID` does.
//
// The CLI owns the flags (-lock-timeout) and the exit codes; the engine
// decides which operations take the lock.
package lock
