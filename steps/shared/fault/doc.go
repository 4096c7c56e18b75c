// Package fault turns a fault on memory-mapped bytes into an error. A
// step kind reads a dataset in place, from a memory map of the store's
// file (see steps.ArtifactMapper); if another process truncates that
// file meanwhile, reading past its new end raises SIGBUS, which the Go
// runtime turns into a crash of the whole process unless the goroutine
// that read asked for a panic instead (runtime/debug.SetPanicOnFault),
// and that is a property of each goroutine.
//
// So every goroutine that may touch mapped bytes starts with
//
//	defer fault.Guard(&err)()
//
// which asks for the panic and recovers it into an *Error naming the
// artifact whose mapping holds the address (mappings are registered with
// Track), and a function that fans work out to goroutines with no error to
// return (logreg's parallel loops) uses Go, which passes a fault in any of
// them on to its caller's Guard. The engine does its own part: it checks
// the artifact's digest and the file's identity before it commits
// anything of the step, and reports a truncated object as such.
//
// The store (engine/store) owns mapping the files; steps/shared/dataset
// registers what it maps with Track; logreg, search and the kinds guard
// their goroutines.
package fault
