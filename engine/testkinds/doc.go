// Package testkinds holds small, real step kinds for the engine's own
// tests: they read files, write artifacts and count their executions, so a
// test can prove a cache hit by a count that did not move. The engine
// imports no real step kind; these stand in for load, train and friends.
//
// The pipe binary registers them only when built with the pipetest build
// tag, which the CLI's own tests use; a release build knows only the real
// kinds.
package testkinds
