package testkinds

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// FakeModel stands in for train and evaluate together: it writes a model
// artifact (of the real model's media type) made from its training data
// and a report of it (the real report's media type, in evaluate's
// report.json shape) with the quality it is given as every metric,
// measured on eval. It feeds the publish step in tests.
type FakeModel struct{ c *Counter }

var _ steps.Summarizer = (*FakeModel)(nil)

// The kinds of artifact of the real train and evaluate kinds, whose media
// types and labels FakeModel's artifacts share (the engine imports no
// kind, so it spells them out).
var (
	fakeModel  = steps.Media{Type: "application/vnd.pipe.model.v1+json", Label: "model", Description: "A model (fakemodel's: JSON of its quality)."}
	fakeReport = steps.Media{Type: "application/vnd.pipe.report.v1+json", Label: "report", Description: "An evaluation report (fakemodel's)."}
)

func (*FakeModel) Name() string    { return "fakemodel" }
func (*FakeModel) Version() string { return "1" }
func (*FakeModel) Schema() *steps.Schema {
	return &steps.Schema{
		Description: "Writes a fake model and a report of it.",
		Attributes: []steps.Attribute{
			{Name: "data", Type: steps.ArtifactType, Required: true, Description: "Training data."},
			{Name: "eval", Type: steps.ArtifactType, Required: true, Description: "Evaluation data."},
			{Name: "quality", Type: cty.Number, Default: cty.NumberFloatVal(0.9), Description: "f1, accuracy and roc_auc; log_loss is 1 - quality."},
		},
		Outputs: []steps.Output{
			{Name: "model", Type: steps.ArtifactType, Media: []steps.Media{fakeModel}},
			{Name: "report", Type: steps.ArtifactType, Media: []steps.Media{fakeReport}},
			{Name: "f1", Type: cty.Number},
		},
	}
}

func (k *FakeModel) Run(ctx context.Context, env steps.Env, in *steps.Inputs) (steps.Outputs, error) {
	k.c.Add("fakemodel")
	data, err := in.Artifact("data")
	if err != nil {
		return nil, err
	}
	eval, err := in.Artifact("eval")
	if err != nil {
		return nil, err
	}
	q := in.Float("quality", 0.9)
	put := func(mediaType string, v any) (steps.Artifact, error) {
		b, err := json.Marshal(v)
		if err != nil {
			return steps.Artifact{}, err
		}
		return env.PutArtifact(ctx, mediaType, func(w io.Writer) error {
			_, err := w.Write(b)
			return err
		})
	}
	model, err := put(fakeModel.Type, map[string]any{"format": "pipe.model/v1", "trained_on": data.Digest, "quality": q})
	if err != nil {
		return nil, err
	}
	report, err := put(fakeReport.Type, map[string]any{
		"format":    "pipe.report/v1",
		"model":     map[string]any{"digest": model.Digest},
		"data":      map[string]any{"digest": eval.Digest, "rows": eval.Size},
		"threshold": 0.5,
		"metrics":   map[string]float64{"f1": q, "accuracy": q, "roc_auc": q, "log_loss": 1 - q},
	})
	if err != nil {
		return nil, err
	}
	return steps.Outputs{"model": model.Value(), "report": report.Value(), "f1": cty.NumberFloatVal(q)}, nil
}

// Summarize summarises a report in evaluate's shape, as the real evaluate
// kind does (steps.Summarizer): its metrics, sorted by name, and the
// picture it names under "plot", if any. Other media types it does not
// describe.
func (*FakeModel) Summarize(mediaType string, content []byte) (*steps.Summary, error) {
	if mediaType != fakeReport.Type {
		return nil, nil
	}
	var doc struct {
		Metrics map[string]float64 `json:"metrics"`
		Plot    *struct {
			Digest    string `json:"digest"`
			MediaType string `json:"media_type"`
		} `json:"plot"`
	}
	if err := json.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("fakemodel: the report is not JSON: %w", err)
	}
	s := &steps.Summary{}
	for _, name := range slices.Sorted(maps.Keys(doc.Metrics)) {
		s.Metrics = append(s.Metrics, steps.Metric{Name: name, Value: doc.Metrics[name]})
	}
	if doc.Plot != nil {
		s.Images = []steps.Image{{Title: "Curves", Digest: doc.Plot.Digest, MediaType: doc.Plot.MediaType}}
	}
	return s, nil
}
