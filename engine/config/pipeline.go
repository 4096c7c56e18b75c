package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Pipeline is the pipeline block: the pipeline's name and description.
type Pipeline struct {
	Name        string
	Description string
	DeclRange   hcl.Range
}

var pipelineSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "description"}},
}

func (c *Config) decodePipeline(block *hcl.Block) hcl.Diagnostics {
	p := &Pipeline{Name: block.Labels[0], DeclRange: block.DefRange}
	diags := checkName("pipeline", p.Name, block.LabelRanges[0])
	if c.Pipeline != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate pipeline block",
			Detail:   "A pipeline block was already declared at " + c.Pipeline.DeclRange.String() + ". A pipeline has one name; remove one of the blocks.",
			Subject:  block.DefRange.Ptr(),
		})
		return diags
	}
	content, cd := block.Body.Content(pipelineSchema)
	diags = append(diags, cd...)
	if attr, ok := content.Attributes["description"]; ok {
		diags = append(diags, decodeLiteral(attr, cty.String, func(v cty.Value) { p.Description = v.AsString() })...)
	}
	c.Pipeline = p
	return diags
}
