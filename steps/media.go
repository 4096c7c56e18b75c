package steps

import (
	"fmt"
	"slices"
	"strings"
)

// Media is a kind of artifact: the media type its bytes are encoded in and
// the word people use for it. Kinds declare the media they make on their
// outputs ([Output.Media]) and the media they take on their attributes
// ([Attribute.Accepts]); a [Catalog] gathers them, so that the registry's
// artifact labels, the documentation and the messages about a wrong
// artifact all come from the kinds. Kinds that exchange an artifact share
// one Media value: the built-in kinds' are in steps/shared/media, and a new
// kind with a new kind of artifact declares its own.
type Media struct {
	// Type is the media type, e.g. "application/vnd.pipe.model.v1+json".
	Type string `json:"media_type"`
	// Label is a short lower-case name for the kind of artifact, e.g.
	// "model": the registry records it as the artifact's kind, and
	// lineage shows it.
	Label string `json:"label"`
	// Description is one sentence for documentation.
	Description string `json:"description,omitempty"`
}

// String returns the label and the media type, for messages: "model
// (application/vnd.pipe.model.v1+json)".
func (m Media) String() string {
	return m.Label + " (" + m.Type + ")"
}

func (m Media) check() error {
	if m.Type == "" || !strings.Contains(m.Type, "/") {
		return fmt.Errorf("media type %q is not of the form type/subtype", m.Type)
	}
	if m.Label == "" || strings.ToLower(m.Label) != m.Label || strings.ContainsAny(m.Label, " \t\n") {
		return fmt.Errorf("media %s has label %q: want one lower-case word", m.Type, m.Label)
	}
	return nil
}

// Producer is an output that makes a kind of artifact: the Output output of
// the Kind kind.
type Producer struct {
	Kind, Output string
}

// Example is the reference a pipeline writes to use it: load.NAME.train.
func (p Producer) Example() string { return p.Kind + ".NAME." + p.Output }

// Media returns every kind of artifact the registered kinds make or take,
// sorted by media type.
func (r *Catalog) Media() []Media {
	out := make([]Media, 0, len(r.media))
	for _, m := range r.media {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Media) int { return strings.Compare(a.Type, b.Type) })
	return out
}

// MediaOf returns the kind of artifact with the given media type, and
// whether a registered kind declares it. A nil catalog declares none.
func (r *Catalog) MediaOf(mediaType string) (Media, bool) {
	if r == nil {
		return Media{}, false
	}
	m, ok := r.media[mediaType]
	return m, ok
}

// Producers returns the outputs that declare the given media type, sorted
// by kind and in each kind in the schema's order.
func (r *Catalog) Producers(mediaType string) []Producer {
	var out []Producer
	for _, name := range r.Names() {
		for _, o := range r.kinds[name].Schema().Outputs {
			if slices.ContainsFunc(o.Media, func(m Media) bool { return m.Type == mediaType }) {
				out = append(out, Producer{Kind: name, Output: o.Name})
			}
		}
	}
	return out
}

// addMedia records the media a kind declares, panicking when one media
// type has two labels.
func (r *Catalog) addMedia(kind string, ms []Media) {
	for _, m := range ms {
		if err := m.check(); err != nil {
			panic(fmt.Sprintf("steps: kind %q: %v", kind, err))
		}
		if prev, ok := r.media[m.Type]; ok {
			if prev.Label != m.Label {
				panic(fmt.Sprintf("steps: kind %q labels %s %q, another kind labels it %q", kind, m.Type, m.Label, prev.Label))
			}
			if prev.Description != "" {
				continue
			}
		}
		if r.media == nil {
			r.media = map[string]Media{}
		}
		r.media[m.Type] = m
	}
}
