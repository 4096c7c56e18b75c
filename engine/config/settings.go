package config

import (
	"github.com/hashicorp/hcl/v2"
)

// Settings is the settings block. Its attributes may use variables and
// locals, so they stay expressions here; engine/eval evaluates them. Each
// is nil when not set.
type Settings struct {
	// Store is the blob store URL for artifacts and cache entries.
	Store hcl.Expression
	// Registry is the path of the SQLite lineage registry.
	Registry hcl.Expression
	// Executor names where steps run by default (engine/executor).
	Executor hcl.Expression
	// AllowedPaths lists the folders besides its own that the pipeline
	// may read and write (engine/confine). It may use variables only.
	AllowedPaths hcl.Expression
	DeclRange    hcl.Range
}

var settingsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "store"}, {Name: "registry"}, {Name: "executor"}, {Name: "allowed_paths"}},
}

func (c *Config) decodeSettings(block *hcl.Block) hcl.Diagnostics {
	if c.Settings != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate settings block",
			Detail:   "A settings block was already declared at " + c.Settings.DeclRange.String() + ". Merge the two into one.",
			Subject:  block.DefRange.Ptr(),
		}}
	}
	s := &Settings{DeclRange: block.DefRange}
	content, diags := block.Body.Content(settingsSchema)
	if a, ok := content.Attributes["store"]; ok {
		s.Store = a.Expr
	}
	if a, ok := content.Attributes["registry"]; ok {
		s.Registry = a.Expr
	}
	if a, ok := content.Attributes["executor"]; ok {
		s.Executor = a.Expr
	}
	if a, ok := content.Attributes["allowed_paths"]; ok {
		s.AllowedPaths = a.Expr
	}
	c.Settings = s
	return diags
}
