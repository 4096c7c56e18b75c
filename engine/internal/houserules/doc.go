// Package houserules holds no code: its test checks, over the whole
// module, the rules that keep pipe easy to find one's way in (see
// ../../../docs/development.md):
//
//   - every package has a doc.go;
//   - engine/dag imports no other package of pipe, and no package under
//     engine/ imports a step kind or what the kinds share (steps/...):
//     only the contract, package steps;
//   - no function in non-test code is longer than MaxFuncLines lines,
//     except a numeric kernel whose length is its clarity, which says so
//     in its doc comment with a line starting "Numeric kernel:" and why;
//   - every relative link and #anchor in README.md, ARCHITECTURE.md and
//     docs/*.md resolves.
//
// It is a test and not a linter so that `make test` and CI enforce it
// with nothing to install.
package houserules
