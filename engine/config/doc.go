// Package config reads a pipeline's files and decodes their blocks into
// typed declarations, without evaluating anything a user wrote beyond
// static forms (type constraints, depends_on lists). It owns the shape of
// the language: which blocks exist, which attributes each takes, and the
// diagnostics for getting that shape wrong.
//
// A pipeline is a folder of *.pipe.hcl (or *.pipe.json) files read together,
// or a single file. The blocks are:
//
//	pipeline "NAME" { description = "..." }     at most one
//	settings { store, registry, executor, allowed_paths = [...] } at most one
//	variable "NAME" { type, default, description, sensitive, nullable, validation {...} }
//	locals { NAME = EXPR ... }
//	KIND "NAME" { ATTRIBUTES..., depends_on = [KIND.NAME, ...], resources {...} }
//
// where KIND is any step kind in the steps.Catalog passed to ReadFiles. The
// attributes a step takes come from its kind's schema; depends_on and the
// resources block (ResourceAttributes) are about the step, not its kind,
// and are never part of its cache key.
//
// Every file is checked for nesting (nesting.Max levels of brackets,
// braces, templates and unary operators) before HCL's recursive parsers
// see it, so that no file can run pipe out of stack; engine/nesting is for
// every other place that parses what a user wrote.
//
// Evaluation (variables, locals, step attributes) is engine/eval's job; the
// reference syntax and the functions are engine/lang's; the dependency
// graph is engine/graph's.
package config
