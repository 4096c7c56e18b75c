// Package steptest runs step kinds in unit tests exactly as the engine
// runs them: over the engine's own steps.Env (engine/stepenv) backed by a
// real, in-memory artifact store (engine/store, mem://) and a temporary
// pipeline folder, with the configuration built the engine's way and the
// outputs checked against the kind's schema.
//
//	env := steptest.NewEnv(t, steptest.Parallelism(2))
//	env.WriteFile("data/a.csv", csvBytes)
//	out, err := env.Run(load.Kind{}, map[string]cty.Value{
//		"path": cty.StringVal("data/a.csv"),
//	})
//	model := env.ReadArtifact(out["model"])
//	env.Warnings() // what the step warned about
//
// Config builds the configuration object Run receives: every attribute of
// the schema present, given values converted to the declared type, omitted
// (or null) ones replaced by their default or null. Run also does what the
// engine does around a step: the schema's constraints (engine/eval's own
// check), Validate (for kinds that implement steps.Validator), InputFiles
// and their hashing (steps.FileReader), and after Run a check that every
// declared output is there, conforms to its type and, for artifacts, is in
// the store and of a media type the output declares.
//
// The engine (engine/...) owns the real thing; this package only mirrors
// it for tests and must change when it does.
package steptest
