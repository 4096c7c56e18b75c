// Package cache reads and writes step executions in the store: a cache
// entry (cache/KEY.json) records what one execution produced, with the
// preimage of its key; a ref (refs/PIPELINE/STEP) remembers the key of a
// step's last successful execution, so a plan can say what changed since.
//
// The store (engine/store) checks every byte, and, with the team key,
// every entry's signature; this package adds the meaning: an entry whose
// artifacts are no longer in the store, or that the key does not vouch
// for, is a miss (a *MissError to warn about), not a result. The entry of
// a step whose configuration held a sensitive value is sealed: its
// sensitive outputs and the files it wrote outside the store are
// encrypted under the team key, and come back marked sensitive
// (sealed.go). engine/plan looks entries up; engine/apply writes them.
package cache
