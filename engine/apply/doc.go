// Package apply executes a plan: a parallel walk over the planned steps in
// which a step starts as soon as the steps it depends on have finished,
// with at most Parallelism steps at once.
//
// For each step it evaluates the attributes with the real outputs of the
// steps before it, computes the cache key again (an upstream step that ran
// but produced the same bytes as before lets this one hit the cache), and
// either takes the outputs from the cache or runs the step. A step's
// outputs and its cache entry are in the store before any step that
// depends on it starts. When a step fails, the steps after it are skipped
// while independent branches finish; a second apply resumes from the
// cache. Cancelling the context stops running steps through their context;
// the store never shows a partial object.
//
// Every execution, cached or not, is recorded in the registry when one is
// given (a step that runs when it starts and when it ends, a cached one
// once, whole), and reported as an Event for progress output. Errors and
// warnings are recorded and reported with the values of sensitive
// variables redacted (engine/redact), since a step's error may quote an
// attribute's value.
//
// engine/plan makes the plans; engine/workspace opens what an apply needs.
package apply
