// Package tempfile owns pipe's temporary files and folders: every one is
// named Prefix+random (pipe-tmp-…) and its process holds an exclusive
// flock(2) on it from creation until it is done with it. A lock that can
// be taken therefore has no owner: Sweep, which every pipe command runs
// on TMPDIR and its state folder at start, removes exactly the temporary
// files and folders of processes that are gone (killed, crashed, their
// container restarted), whatever their age, and never one in use, even
// when process IDs are reused or the owner runs in another container on
// the same machine.
//
// The store (engine/store) writes objects through unnamed files (Linux's
// O_TMPFILE), which a kill leaves nowhere; its named fallback is a File
// of this package. Every other temporary file pipe writes (the lock file's
// and the stat cache's replacements, the registry's checkpoints and
// snapshots, a process worker's folder, `pipe fmt`'s rewrite) is one too.
package tempfile
