// Package lang holds the expression side of the pipeline language: the
// functions a pipeline may call, the references an expression makes (to
// variables, locals and step outputs), and the evaluation context that
// gives those references their values.
//
// Parsing blocks is engine/config's job; deciding which values go into a
// scope (defaults, -var, cached outputs, unknowns) is engine/eval's.
//
// # References
//
//	var.NAME            a variable
//	local.NAME          a local value
//	KIND.NAME.OUTPUT    an output of a step, with any attribute path after it
//	KIND.NAME           all of a step's outputs, as an object
//
// A reference to a step's output is the only thing that makes a
// dependency between steps (besides depends_on).
//
// # Functions
//
// HCL's standard library as Terraform offers it (strings, numbers,
// collections, encoding, type conversion, try and can), file functions
// whose relative paths are relative to the pipeline's folder (file,
// fileexists, filesha256, abspath, basename, dirname), and two for search
// spaces, uniform and loguniform. Functions whose result would change from
// run to run (timestamp, uuid) are left out on purpose: every value a step
// sees is part of its cache key.
package lang
