package testkinds

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/steps"
)

// Export writes an artifact to a file outside the store, as predict and
// publish do, and tells the engine it did (steps.WroteExternal).
type Export struct{ c *Counter }

func (*Export) Name() string    { return "export" }
func (*Export) Version() string { return "1" }
func (*Export) Schema() *steps.Schema {
	return &steps.Schema{
		Description: "Writes an artifact to a file outside the store.",
		Attributes: []steps.Attribute{
			{Name: "input", Type: steps.ArtifactType, Required: true},
			{Name: "to", Type: cty.String, Required: true, Path: steps.PathWrite, Description: "The folder: a path relative to the pipeline, or a URL."},
			{Name: "name", Type: cty.String, Required: true, Description: "The file's name in the folder."},
		},
		Outputs: []steps.Output{{Name: "size", Type: cty.Number}},
	}
}

func (e *Export) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	e.c.Add("export")
	a, err := in.Artifact("input")
	if err != nil {
		return nil, err
	}
	data, err := env.ReadArtifact(ctx, a)
	if err != nil {
		return nil, err
	}
	b, err := env.OpenBucket(ctx, in.String("to"))
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := b.WriteAll(ctx, in.String("name"), data, &blob.WriterOptions{ContentType: a.MediaType}); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	steps.WroteExternal(env, steps.ExternalFile{Folder: in.String("to"), Name: in.String("name"), Artifact: a})
	return steps.Outputs{"size": cty.NumberIntVal(a.Size)}, nil
}
