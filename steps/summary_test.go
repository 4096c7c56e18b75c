package steps_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/steps"
)

// summarizingKind makes text and describes what it is asked to, counting
// the calls.
type summarizingKind struct {
	schemaKind
	calls   *int
	summary *steps.Summary
	err     error
}

func (k summarizingKind) Summarize(mediaType string, content []byte) (*steps.Summary, error) {
	*k.calls++
	if k.err != nil {
		return nil, k.err
	}
	if mediaType != text.Type {
		return nil, nil
	}
	s := *k.summary
	s.Metrics = append(s.Metrics, steps.Metric{Name: "bytes", Value: float64(len(content))})
	return &s, nil
}

func makesText(name string) schemaKind {
	return schemaKind{name, &steps.Schema{Outputs: []steps.Output{
		{Name: "a", Type: steps.ArtifactType, Media: []steps.Media{text}},
		{Name: "b", Type: steps.ArtifactType, Media: []steps.Media{text}},
	}}}
}

// TestCatalogSummarize: the kinds that make a media type are asked, in the
// order of their names, each once, and the first summary wins; kinds that
// make another media type, or that do not describe, are not asked.
func TestCatalogSummarize(t *testing.T) {
	var first, second, other int
	c := steps.NewCatalog(
		makesText("a-plain"), // makes text, is no Summarizer
		summarizingKind{makesText("b-first"), &first, &steps.Summary{Images: []steps.Image{{Title: "a picture"}}}, nil},
		summarizingKind{makesText("c-second"), &second, &steps.Summary{}, nil},
		summarizingKind{schemaKind{"d-other", &steps.Schema{Outputs: []steps.Output{
			{Name: "counts", Type: steps.ArtifactType, Media: []steps.Media{counts}},
		}}}, &other, &steps.Summary{}, nil},
	)
	s, err := c.Summarize(text.Type, []byte("four"))
	if err != nil || s == nil {
		t.Fatalf("Summarize(text) = %v, %v", s, err)
	}
	if len(s.Images) != 1 || s.Images[0].Title != "a picture" || len(s.Metrics) != 1 || s.Metrics[0] != (steps.Metric{Name: "bytes", Value: 4}) {
		t.Errorf("Summarize(text) = %+v, want b-first's summary", s)
	}
	if first != 1 || second != 0 || other != 0 {
		t.Errorf("calls: b-first %d (want 1, though it makes text twice), c-second %d, d-other %d (want 0)", first, second, other)
	}

	// d-other makes counts but describes only text: no summary, no error.
	if s, err := c.Summarize(counts.Type, nil); s != nil || err != nil || other != 1 {
		t.Errorf("Summarize(counts) = %v, %v after %d calls; want nil, nil after 1", s, err, other)
	}
	// A media type no kind makes.
	if s, err := c.Summarize("image/png", nil); s != nil || err != nil {
		t.Errorf("Summarize(image/png) = %v, %v", s, err)
	}
	var nilCatalog *steps.Catalog
	if s, err := nilCatalog.Summarize(text.Type, nil); s != nil || err != nil {
		t.Errorf("a nil catalog described: %v, %v", s, err)
	}
}

func TestCatalogSummarizeNamesTheKindThatFailed(t *testing.T) {
	var calls int
	c := steps.NewCatalog(summarizingKind{makesText("reader"), &calls, nil, errors.New("not JSON")})
	_, err := c.Summarize(text.Type, []byte("{"))
	if err == nil || !strings.HasPrefix(err.Error(), "steps: reader cannot summarise its text/plain: not JSON") {
		t.Errorf("error %v", err)
	}
}
