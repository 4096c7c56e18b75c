// Package trigger decides when pipe serve checks its pipeline: it turns
// file events, the clock and a poll interval into Requests and pushes them
// to the queue of applies. It never plans or applies anything itself.
//
// engine/serve/applies owns the queue and what a check does with a
// request (load, plan, apply, record); engine/serve/snapshot reads the
// pipeline; engine/serve wires them together and gives the watcher the
// folders of each load.
//
// # Watch
//
// The Watcher watches (fsnotify, not recursively) the pipeline folder
// itself, not its files, so that a Kubernetes ConfigMap's swap of ..data
// is seen; and the data folders of the last load that had no errors
// (FoldersOf), which the file-reading kinds name (steps.FileReader): the
// folders a step's configuration reads from (InputFolders: a glob's part
// before its first wildcard, so that a new file matching it is seen; a
// folder given whole; a file's folder) and the folder of every file it
// reads now (InputFiles). serve does not guess from attribute values
// which are paths: a kind that reads files says so. A folder that does
// not exist yet is
// watched through its nearest existing parent. Events in the state folder
// and on the registry's files are ignored. An event starts the debounce
// timer; the request is pushed once the folders have been quiet for the
// debounce, or at the latest 12 debounces after the first event, so that
// a folder written to without pause is still checked. Folders that come
// from sensitive values are watched but never logged or shown.
//
// # Poll
//
// inotify sees only writes made through this machine's kernel: on a
// network file system written from elsewhere (NFS, EFS, a FUSE-mounted
// bucket) Poll pushes the same watch request at an interval.
//
// # Schedule
//
// A five-field cron expression (ParseSchedule), in UTC unless another time
// zone is given; the Scheduler pushes a schedule request at each of its
// times. Our own small parser: serve needs one method, Next.
//
// Requests name their trigger as runs record it: registry.TriggerWatch
// (watch and poll) or registry.TriggerSchedule. Time comes through a
// Clock, which tests replace.
package trigger
