// Package builtin registers the step kinds that ship with pipe. Adding a
// kind is one line in Catalog; nothing else in the engine changes.
package builtin
