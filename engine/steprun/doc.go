// Package steprun runs one step's kind and commits what it made: every
// artifact in the store, then the cache entry that names them, so that an
// entry is never seen before its artifacts. It is the code a local apply
// (engine/apply, through the local executor) and a worker (`pipe step
// exec`, for a remote executor) share, so that a step computed in one
// place is the same bytes and the same entry as in the other.
//
// A kind that splits into shards (steps.Sharder) runs, when asked for
// more than one, shard by shard: each shard's partial result is kept as a
// cache entry of its own, under a key made from the step's key and the
// shard's place in the split (ShardKey), so that a retried or resumed
// step runs only the shards whose results are missing; Assemble then
// builds the step's outputs from every shard's. Run does all of it in one
// process; a remote executor runs RunShard on many machines and the
// coordinator Assembles.
//
// What a step is and how its key is made are engine/plan's and
// engine/cachekey's; where it runs is engine/executor's; the Env it runs
// in is engine/stepenv's.
package steprun
