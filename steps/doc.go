// Package steps defines what a step kind is: the contract between the
// engine, which plans and runs a graph of steps, and the kinds of step that
// do the work (load, search, train, evaluate, predict, publish).
//
// A kind is a Go value behind the small [Kind] interface: a block schema
// declared once as data, a version string that is part of every cache key,
// and a Run method that turns evaluated inputs into outputs. The schema
// ([Schema]) holds each attribute's type, default, description and
// constraints (the kinds of artifact it accepts, the numbers it takes, the
// fields of an object), which the engine checks, and each output's type
// and kinds of artifact ([Media]); `pipe kinds` documents kinds from it.
// Kinds that read files from outside the store also implement
// [FileReader]: they list the files a configuration reads, so that the
// engine can hash them into the cache key, and the folders those files
// come from (a glob's fixed part, a folder given whole), so that pipe
// serve knows where to watch for new data without guessing from the
// attributes. Kinds that check a configuration beyond what the schema can
// say implement [Validator]. Kinds whose artifacts people look at
// implement [Summarizer]: given an artifact's media type and bytes, they
// return a typed [Summary] (named metrics, curves as point lists, images
// to link, tables a display may sort, charts of series with their
// spread), and pipe serve's page shows that instead of reading any
// kind's format. A [Catalog] holds the kinds by block type, gathers their
// kinds of artifact and asks the kind that makes one to summarise it
// ([Catalog.Summarize]).
//
// The engine imports this package and no package below it. The folders
// below it are of three sorts:
//
//	steps/load, steps/search, steps/train,     one package per built-in kind,
//	steps/evaluate, steps/predict,             registered with one line in
//	steps/publish                              steps/builtin
//	steps/shared/...                           what the kinds share: the trainer
//	                                           (logreg), the dataset format,
//	                                           metrics, scoring, parameters
//	steps/steptest                             runs a kind in tests as the
//	                                           engine does
//
// A kind knows nothing about the graph, the cache or the registry;
// everything it may touch outside its own memory comes through [Env]. An
// Env may also be an [ArtifactMapper], which hands large artifacts over in
// place (memory maps of verified local copies), checked beside the step,
// and a [PageDropper], which takes the pages of a mapped part a kind is
// done with out of the process's resident memory. A kind that writes a file outside the store (predict, publish) reports it
// with [WroteExternal], so that a cached step's files are restored.
//
// Values crossing the boundary are cty values. An artifact (a dataset, a
// model, a report) is stored by the engine, content-addressed, and travels
// between steps as an object of type [ArtifactType] that carries its digest,
// media type and size; see [Artifact].
package steps
