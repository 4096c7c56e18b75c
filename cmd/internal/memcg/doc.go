// Package memcg runs commands under a memory limit, in a memory cgroup of
// their own, for the test and the benchmark that show a dataset larger
// than the memory left to pipe still trains (steps read datasets in place,
// and a memory-mapped file's pages come and go under the limit).
//
// It makes the group under this process's own memory cgroup, in the v1
// memory hierarchy (/sys/fs/cgroup/memory) or the unified v2 one, which
// takes the right to create cgroups there (root, or a delegated
// subtree): New fails otherwise, with an error the callers turn into a
// skip. It is no part of pipe itself; cmd/pipe's tests and cmd/bench use
// it.
package memcg
