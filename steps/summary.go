package steps

import (
	"fmt"
	"slices"
)

// Summarizer is implemented by kinds that can tell people what an artifact
// they make holds, so that a display (pipe serve's page) shows it without
// knowing the kind's format. The engine asks through [Catalog.Summarize].
type Summarizer interface {
	// Summarize summarises an artifact of a media type the kind declares
	// on an output ([Output.Media]), from its whole content (its digest
	// checked). It returns nil and no error for a media type it does not
	// describe, and an error for bytes it cannot read. It must be safe
	// for concurrent use and give the same summary for the same bytes.
	Summarize(mediaType string, content []byte) (*Summary, error)
}

// Summary is what people are shown of an artifact. Every part is
// optional; each list is in the order to show it.
type Summary struct {
	// Metrics are named numbers: f1 0.91.
	Metrics []Metric
	// Curves are lines of points, such as an ROC curve.
	Curves []Curve
	// Images are other artifacts that picture this one, such as a plot of
	// its curves, to be linked by digest. A display checks each digest's
	// form and its media type before it links one.
	Images []Image
	// Tables are rows of named values, such as a search's trials.
	Tables []Table
	// Charts are series of points with their spread against shared axes,
	// such as a metric against a parameter.
	Charts []Chart
}

// Metric is a named number.
type Metric struct {
	Name  string
	Value float64
}

// Curve is a named line of points, X against Y.
type Curve struct {
	// Name is short and lower case: "roc".
	Name string
	// Title says what it is, for people: "ROC curve".
	Title string
	// X and Y name the axes: "false positive rate", "true positive rate".
	X, Y   string
	Points []Point
}

// Point is one point of a Curve.
type Point struct{ X, Y float64 }

// Image is an artifact that pictures another.
type Image struct {
	// Title says what it shows, for people (and as an image's alternative
	// text): "ROC and precision-recall curves".
	Title string
	// Digest and MediaType name the artifact in the store: "sha256:...",
	// "image/png".
	Digest    string
	MediaType string
}

// Summarize returns a summary of an artifact of the given media type, or
// nil when no kind describes it: it asks the kinds that make that media
// type (see [Catalog.Producers]) and implement [Summarizer], in the order
// of their names, and the first summary wins. A nil catalog describes
// nothing.
func (r *Catalog) Summarize(mediaType string, content []byte) (*Summary, error) {
	if r == nil {
		return nil, nil
	}
	var asked []string
	for _, p := range r.Producers(mediaType) {
		if slices.Contains(asked, p.Kind) {
			continue
		}
		asked = append(asked, p.Kind)
		d, ok := r.kinds[p.Kind].(Summarizer)
		if !ok {
			continue
		}
		s, err := d.Summarize(mediaType, content)
		if err != nil {
			return nil, fmt.Errorf("steps: %s cannot summarise its %s: %w", p.Kind, mediaType, err)
		}
		if s != nil {
			return s, nil
		}
	}
	return nil, nil
}
