package steps

// ExternalFile is a file a step wrote outside the store whose bytes are
// also an artifact in the store: predict's to file, the files of a
// publish's version folder. Such files are side effects: a step taken from
// the cache does not run, so it would not write them. The engine records
// the files a step reports with its cache entry, and when a later apply
// (on this machine or another that shares the store) takes the step from
// the cache, it checks each file against its artifact's digest and writes
// it again from the store when it is missing or different, as `dvc
// checkout` does.
type ExternalFile struct {
	// Folder is the folder the file is in, as the step opened it with
	// Env.OpenBucket: a path relative to the pipeline's folder (so that
	// another machine's apply finds the file beside its own copy of the
	// pipeline), or a gs://, s3://, file:// or mem:// URL with its query.
	Folder string
	// Name is the file's key in the folder: "predictions.csv",
	// "v3/model.json".
	Name string
	// Artifact is the file's bytes, as stored.
	Artifact Artifact
}

// ExternalFilesEnv is implemented by an Env that keeps the files a step
// writes outside the store (see ExternalFile). It is optional: use
// WroteExternal.
type ExternalFilesEnv interface {
	// WroteExternal records that the step wrote f, whole, after writing
	// it; f.Artifact is in the store.
	WroteExternal(f ExternalFile)
}

// WroteExternal tells env that the step wrote f outside the store, when
// env keeps such files (the engine's does; a test's may not).
func WroteExternal(env Env, f ExternalFile) {
	if e, ok := env.(ExternalFilesEnv); ok {
		e.WroteExternal(f)
	}
}
