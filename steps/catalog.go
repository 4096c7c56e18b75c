package steps

import (
	"fmt"
	"slices"
)

// ReservedNames cannot be step kinds: they are the language's own block
// types and the roots of its own references.
var ReservedNames = []string{"pipeline", "settings", "variable", "locals", "var", "local", "path", "self", "terraform", "depends_on"}

// Catalog maps block types to step kinds. The zero value is empty and
// ready to use. A Catalog is not safe for concurrent registration; build
// it once at start-up, then share it.
type Catalog struct {
	kinds map[string]Kind
	// order is the kinds' names in the order they were registered.
	order []string
	// media are the kinds of artifact the kinds declare, by media type.
	media map[string]Media
}

// NewCatalog returns a catalog holding kinds.
func NewCatalog(kinds ...Kind) *Catalog {
	r := &Catalog{}
	for _, k := range kinds {
		r.Register(k)
	}
	return r
}

// Register adds a kind. It panics when the name is taken or reserved, or
// when the schema is not well formed (an attribute or output declared
// twice, a constraint on an attribute of a type it cannot apply to, a
// media type with two labels): those are programming errors found by any
// test that builds the catalog.
func (r *Catalog) Register(k Kind) {
	name := k.Name()
	if slices.Contains(ReservedNames, name) {
		panic(fmt.Sprintf("steps: kind name %q is reserved", name))
	}
	if _, dup := r.kinds[name]; dup {
		panic(fmt.Sprintf("steps: kind %q registered twice", name))
	}
	s := k.Schema()
	if err := checkSchema(s); err != nil {
		panic(fmt.Sprintf("steps: kind %q: %v", name, err))
	}
	for _, a := range s.Attributes {
		r.addMedia(name, attributeMedia(a))
	}
	for _, o := range s.Outputs {
		r.addMedia(name, o.Media)
	}
	if r.kinds == nil {
		r.kinds = map[string]Kind{}
	}
	r.kinds[name] = k
	r.order = append(r.order, name)
}

// Lookup returns the kind for a block type.
func (r *Catalog) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Kinds returns the registered kinds in the order they were registered
// (for the built-in kinds, the order a pipeline uses them in).
func (r *Catalog) Kinds() []Kind {
	out := make([]Kind, len(r.order))
	for i, name := range r.order {
		out[i] = r.kinds[name]
	}
	return out
}

// Names returns the registered block types, sorted.
func (r *Catalog) Names() []string {
	names := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
