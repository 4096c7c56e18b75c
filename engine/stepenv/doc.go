// Package stepenv implements steps.Env, everything a running step may use
// outside its own memory: the artifact store (engine/store), blob folders
// outside it (for predict and publish), a logger, warnings, progress and a
// parallelism budget.
//
// The engine builds one Env per apply with New and gives each step its own
// with ForStep, which labels the logger and routes warnings and progress to
// that step, and keeps the artifacts the step mapped (MapArtifact, which
// makes Env a steps.ArtifactMapper): their digests are checked beside the
// step, and the engine calls Verify before it commits anything of the step
// (PutArtifact and OpenBucket call it too, so nothing computed from bytes
// that are not the artifact's leaves the step) and Release once Run has
// returned. Where warnings and progress go (the terminal, the registry,
// JSON events) is the engine's business; this package only calls the
// functions it is given. steps/steptest builds the same Env over a mem://
// store for unit tests of step kinds.
package stepenv
