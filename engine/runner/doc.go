// Package runner is one apply from start to finish, as both `pipe apply`
// and `pipe serve` do it: take the state folder's lock, mark runs left
// running by dead processes as interrupted, plan, check a saved plan is
// still the plan, record a run, apply, and record how it ended. The CLI
// and the server differ only in how they show what happens, which they
// pass in as callbacks.
//
// engine/workspace opens what a run needs; engine/plan and engine/apply do
// the work.
package runner
