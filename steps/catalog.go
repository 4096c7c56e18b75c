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
}

// NewCatalog returns a registry holding kinds.
func NewCatalog(kinds ...Kind) *Catalog {
	r := &Catalog{}
	for _, k := range kinds {
		r.Register(k)
	}
	return r
}

// Register adds a kind. It panics when the name is taken or reserved, or
// when the schema declares an attribute or output twice: those are
// programming errors found by any test that builds the registry.
func (r *Catalog) Register(k Kind) {
	name := k.Name()
	if slices.Contains(ReservedNames, name) {
		panic(fmt.Sprintf("steps: kind name %q is reserved", name))
	}
	if _, dup := r.kinds[name]; dup {
		panic(fmt.Sprintf("steps: kind %q registered twice", name))
	}
	s := k.Schema()
	seen := map[string]bool{}
	for _, a := range s.Attributes {
		if seen[a.Name] || a.Name == "depends_on" {
			panic(fmt.Sprintf("steps: kind %q declares attribute %q twice or uses a reserved name", name, a.Name))
		}
		seen[a.Name] = true
	}
	seen = map[string]bool{}
	for _, o := range s.Outputs {
		if seen[o.Name] {
			panic(fmt.Sprintf("steps: kind %q declares output %q twice", name, o.Name))
		}
		seen[o.Name] = true
	}
	if r.kinds == nil {
		r.kinds = map[string]Kind{}
	}
	r.kinds[name] = k
}

// Lookup returns the kind for a block type.
func (r *Catalog) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
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
