package config

import (
	"github.com/hashicorp/hcl/v2"
)

// Local is one named value in a locals block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

func (c *Config) decodeLocals(block *hcl.Block) hcl.Diagnostics {
	attrs, diags := block.Body.JustAttributes()
	for _, name := range sortedAttrNames(attrs) {
		attr := attrs[name]
		diags = append(diags, checkName("local value", name, attr.NameRange)...)
		if prev, dup := c.Locals[name]; dup {
			diags = append(diags, duplicate("local value", name, prev.DeclRange, attr.NameRange))
			continue
		}
		c.Locals[name] = &Local{Name: name, Expr: attr.Expr, DeclRange: attr.NameRange}
	}
	return diags
}
