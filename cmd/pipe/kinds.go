package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/steps"
)

type kindsCmd struct{}

func (*kindsCmd) Name() string { return "kinds" }
func (*kindsCmd) Synopsis() string {
	return "Show the step kinds: what each block takes and gives"
}
func (*kindsCmd) Usage() string {
	return `Usage: pipe kinds [options] [KIND]

Prints every step kind (or the one named) as its schema declares it: each
attribute with its type, whether it is required or its default, whether
it is part of the cache key, what else its value must be (the kinds of
artifact it takes, the numbers it takes) and its description; each output
with its type, the kind of artifact it holds and its description; and the
kinds of artifact the kinds exchange, with the outputs that make each.

Options:
  -json       The same as a JSON document, as terraform providers schema
              -json prints providers.
  -markdown   The reference page docs/kinds.md (make docs regenerates it).

Examples:
  pipe kinds
  pipe kinds search
  pipe kinds -json | jq '.kinds[] | select(.name == "load") | .attributes[].name'
`
}

func (*kindsCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseKinds(args)
	if err != nil {
		return err
	}
	d, err := describeKinds(c.kinds, a.Kind)
	if err != nil {
		return err
	}
	return views.NewKinds(a.ViewType, c.view(a.View)).Kinds(d, a.Kind == "")
}

// describeKinds documents every kind of the catalog, or only the one
// named and the kinds of artifact it makes or takes.
func describeKinds(kinds *steps.Catalog, name string) (*steps.CatalogDoc, error) {
	d := steps.Describe(kinds)
	if name == "" {
		return d, nil
	}
	for _, k := range d.Kinds {
		if k.Name != name {
			continue
		}
		d.Kinds = []steps.KindDoc{k}
		used := map[string]bool{}
		for _, o := range k.Outputs {
			for _, m := range o.Media {
				used[m.Type] = true
			}
		}
		var takes func(as []steps.AttributeDoc)
		takes = func(as []steps.AttributeDoc) {
			for _, a := range as {
				for _, m := range a.Accepts {
					used[m.Type] = true
				}
				takes(a.Fields)
			}
		}
		takes(k.Attributes)
		d.Media = slices.DeleteFunc(d.Media, func(m steps.MediaDoc) bool { return !used[m.Type] })
		return d, nil
	}
	return nil, &arguments.Error{Msg: fmt.Sprintf("there is no step kind %q", name),
		Try: "one of " + strings.Join(kinds.Names(), ", ") + ", or pipe kinds for all"}
}
