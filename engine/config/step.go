package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/steps"
)

// Step is a step block: an instance of a step kind.
type Step struct {
	Addr StepAddr
	Kind steps.Kind
	// Catalog is the catalog Kind was found in: messages about a step's
	// artifacts name the kinds that make the right one. Nil in a Step
	// built by hand.
	Catalog *steps.Catalog
	// Attributes are the attributes as written, by name; depends_on is not
	// among them.
	Attributes hcl.Attributes
	// DependsOn lists steps this one runs after without using their
	// outputs.
	DependsOn []DependsOn
	// Resources is the step's resources block, or nil.
	Resources *Resources
	// DeclRange is the block header, `train "model"`.
	DeclRange hcl.Range
	// BodyRange is the whole block, for diagnostics about missing things.
	BodyRange hcl.Range
}

// DependsOn is one entry of a depends_on list.
type DependsOn struct {
	Addr  StepAddr
	Range hcl.Range
}

// AttributeRange returns the range of the named attribute's expression, or
// of the block header when the attribute is not written.
func (s *Step) AttributeRange(name string) hcl.Range {
	if a, ok := s.Attributes[name]; ok {
		return a.Expr.Range()
	}
	return s.DeclRange
}

// StepSchema is the HCL body schema of a step block of the given kind.
func StepSchema(kind steps.Kind) *hcl.BodySchema {
	s := kind.Schema()
	body := &hcl.BodySchema{}
	for _, a := range s.Attributes {
		body.Attributes = append(body.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	body.Attributes = append(body.Attributes, hcl.AttributeSchema{Name: "depends_on"})
	body.Blocks = append(body.Blocks, hcl.BlockHeaderSchema{Type: "resources"})
	return body
}

func (c *Config) decodeStep(block *hcl.Block, kind steps.Kind, kinds *steps.Catalog) hcl.Diagnostics {
	addr := StepAddr{Kind: block.Type, Name: block.Labels[0]}
	diags := checkName("step", addr.Name, block.LabelRanges[0])
	if prev, dup := c.Steps[addr]; dup {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate step",
			Detail: fmt.Sprintf("A %s step named %q was already declared at %s. Rename one of them: steps of one kind need names of their own.",
				addr.Kind, addr.Name, prev.DeclRange.String()),
			Subject: block.DefRange.Ptr(),
		})
	}
	content, cd := block.Body.Content(StepSchema(kind))
	for _, d := range cd {
		switch d.Summary {
		case "Unsupported block type":
			d.Detail += " Step settings are attributes (write an object with an equals sign, e.g. split = { test = 0.2 }); the only block a step takes is resources."
		case "Unsupported argument":
			if strings.Contains(d.Detail, `"resources"`) {
				d.Detail += " resources is a block: write resources { cpu = 2 }, without an equals sign."
				break
			}
			d.Detail += fmt.Sprintf(" A %s step takes: %s, and a resources block.", addr.Kind, strings.Join(attributeNames(kind), ", "))
		}
	}
	diags = append(diags, cd...)
	s := &Step{
		Addr:       addr,
		Kind:       kind,
		Catalog:    kinds,
		Attributes: content.Attributes,
		DeclRange:  block.DefRange,
		BodyRange:  hcl.RangeBetween(block.DefRange, block.Body.MissingItemRange()),
	}
	if a, ok := content.Attributes["depends_on"]; ok {
		delete(s.Attributes, "depends_on")
		deps, dd := decodeDependsOn(a.Expr)
		diags = append(diags, dd...)
		s.DependsOn = deps
	}
	diags = append(diags, s.decodeResources(content.Blocks.OfType("resources"))...)
	c.Steps[addr] = s
	return diags
}

func attributeNames(kind steps.Kind) []string {
	var names []string
	for _, a := range kind.Schema().Attributes {
		names = append(names, a.Name)
	}
	return append(names, "depends_on")
}

func decodeDependsOn(expr hcl.Expression) ([]DependsOn, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	var deps []DependsOn
	for _, e := range exprs {
		trav, td := hcl.AbsTraversalForExpr(e)
		if td.HasErrors() || len(trav) != 2 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid depends_on reference",
				Detail:   "depends_on lists steps by address, KIND.NAME, without quotes or outputs: depends_on = [load.corpus].",
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		name, ok := trav[1].(hcl.TraverseAttr)
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid depends_on reference",
				Detail:   "depends_on lists steps by address, KIND.NAME: depends_on = [load.corpus].",
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		deps = append(deps, DependsOn{
			Addr:  StepAddr{Kind: trav.RootName(), Name: name.Name},
			Range: e.Range(),
		})
	}
	return deps, diags
}
