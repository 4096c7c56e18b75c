// Package process is the process executor: it runs each step handed to it
// as a child process of pipe on this machine, `pipe step exec` on the
// step's step-input document, as a pod of the kubernetes executor would,
// and the shards of a step that runs as shards as children side by side.
//
// It is the remote path without a cluster: the document goes through the
// store, the child checks it and writes the artifacts and the cache entry,
// its exit code and termination message say how it ended, and its log
// lines come back as events. Use it to see that a pipeline runs the way
// the cluster will run it, or to keep a step's crash or memory apart from
// the apply's. engine/executor says what an executor must do.
package process
