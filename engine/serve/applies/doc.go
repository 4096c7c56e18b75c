// Package applies is pipe serve's queue of applies and what a check does.
// One goroutine (Applier.Loop) owns applies; requests from the triggers
// (engine/serve/trigger) go into a Queue of one that coalesces: a request
// that arrives while an apply runs is remembered, and any number of them
// make one check after it. A schedule request wins over a watch request it
// coalesces with. So serve never runs two applies at once; the state
// folder's lock keeps it from running one beside a CronJob's (or a
// person's) `pipe apply`: when the lock is held, the check ends as
// OutcomeLockHeld and is pushed again after LockRetry, rather than waiting
// behind the other apply and repeating its work.
//
// A check loads the pipeline afresh (engine/serve/snapshot, through
// Options.Load); a pipeline that does not load is never run. A watch
// check plans first and applies only when a step would run and the
// inputs' fingerprint (the pipeline's config digest, which covers its
// files and variables, and the digests of the input files the plan
// hashed) differs from the last one applied. Rewriting or touching a file
// without changing its content plans as all cached, so it makes no run; a
// failed run is not retried by touching its inputs (change them, wait for
// the schedule, or apply by hand). A schedule check always applies, as
// the CronJob's `pipe apply` does: a run is recorded even when every step
// is cached. engine/runner does each apply (lock, plan, record, apply).
//
// Each check's outcome (Check) and the apply in progress (Progress, kept
// up to date from the apply's events) are what /api/status and the page
// show (engine/serve/api, engine/serve/page). Live updates of the page
// (server-sent events) would subscribe here, to the same events.
package applies
