package steps

import (
	"context"

	"github.com/zclconf/go-cty/cty"
)

// Kind is a kind of step: the block type in a pipeline file ("load",
// "train", ...) and the code that runs it.
//
// A Kind must be safe for concurrent use: the engine may run several steps
// of the same kind at once.
type Kind interface {
	// Name is the block type that selects this kind, e.g. "train".
	Name() string

	// Version identifies the behaviour of Run. It is part of every cache
	// key, so it must change whenever the same inputs could give different
	// outputs (a bug fix, a new default, a new output).
	Version() string

	// Schema describes the attributes the block takes and the outputs Run
	// returns. It must return the same schema on every call.
	Schema() *Schema

	// Run executes the step. in.Config holds every attribute of the
	// schema, converted to its declared type (null when omitted and
	// without a default), with no unknown values. Run returns one value per
	// declared output, each conforming to the output's type. It must stop
	// promptly when ctx is cancelled and must be deterministic: the same
	// inputs give the same outputs, byte for byte, on any machine and with
	// any parallelism.
	Run(ctx context.Context, env Env, in *Inputs) (Outputs, error)
}

// Validator is implemented by kinds that check a configuration beyond the
// types the schema declares (a value out of range, two attributes that do
// not go together). Validate runs at validate and plan time, so cfg may
// hold unknown values (the outputs of steps that have not run yet): a check
// that needs such a value must skip it. Each problem names the attribute
// path it is about, so the engine can point at the expression.
type Validator interface {
	Validate(cfg cty.Value) []*AttrError
}

// FileReader is implemented by kinds that read files from outside the
// store (the load step's CSV and Parquet files).
type FileReader interface {
	// InputFiles returns the files Run will read, as slash-separated
	// paths relative to dir (the pipeline's folder) or absolute paths when
	// the user wrote one outside it, in the order Run reads them. The
	// engine hashes every one of them into the cache key and passes them
	// to Run in [Inputs.Files]. cfg holds no unknown values when
	// InputFiles is called.
	InputFiles(cfg cty.Value, dir string) ([]string, error)

	// InputFolders returns the folders in which a file appearing,
	// changing or going away may change what InputFiles returns: the
	// folder a glob searches (its part before the first wildcard), a
	// folder given whole, a named file's folder. Paths are as
	// InputFiles's. pipe serve watches them, and the folders of the files
	// InputFiles returns, to apply when the data change. InputFolders
	// must neither fail nor read the files: a file may not exist yet, and
	// its folder is where it will appear. cfg may hold unknown values (the
	// outputs of steps that have not run yet); a path not known yet gives
	// no folder.
	InputFolders(cfg cty.Value, dir string) []Folder
}

// Folder is a folder a [FileReader] reads files from.
type Folder struct {
	// Path is slash-separated and relative to the pipeline's folder, or
	// absolute.
	Path string
	// From is the path of the attribute value that names the folder, e.g.
	// AttrPath("path").IndexInt(1): the engine never shows a folder named
	// by a sensitive value.
	From cty.Path
}

// Outputs are a step's results, by output name.
type Outputs map[string]cty.Value

// Inputs is what Run receives.
type Inputs struct {
	// Config is an object value with one attribute per schema attribute.
	Config cty.Value
	// Files are the files returned by FileReader.InputFiles, hashed.
	Files []File
	// Dir is the absolute path of the pipeline's folder: relative paths in
	// the configuration are relative to it.
	Dir string
	// Explanations hold, for each attribute the schema marks Explain and
	// the user wrote, the expression as written followed by the values of
	// the references in it: `evaluate.holdout.f1 >= 0.85 (evaluate.holdout.f1 = 0.81)`.
	Explanations map[string]string
}

// Attr returns the value of the named attribute of the configuration.
// It panics if the schema has no such attribute: that is a bug in the kind.
func (in *Inputs) Attr(name string) cty.Value {
	if !in.Config.Type().IsObjectType() || !in.Config.Type().HasAttribute(name) {
		panic("steps: configuration has no attribute " + name)
	}
	return in.Config.GetAttr(name)
}

// File is an input file read by a step.
type File struct {
	// Path is the path as the cache key records it: relative to the
	// pipeline folder with forward slashes, or absolute when the file is
	// outside it.
	Path string
	// Abs is the absolute path to open.
	Abs string
	// Digest is "sha256:" followed by the hex SHA-256 of the content.
	Digest string
	// Size is the size in bytes.
	Size int64
}
