package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Resources is a step's resources block: where the step runs and what it
// asks of that place. Like depends_on it is about the step, not its kind,
// and like parallelism it never changes what the step computes, so it is
// never part of a cache key. Its attributes may use variables and locals
// but no step's outputs (they are needed before the step is planned);
// engine/eval evaluates them.
//
//	train "model" {
//	  data   = load.corpus.train
//	  params = search.lr.best
//	  resources {
//	    executor = "kubernetes"
//	    cpu      = 4
//	    memory   = "8Gi"
//	    timeout  = "30m"
//	  }
//	}
type Resources struct {
	// Attributes are the attributes as written, by name.
	Attributes hcl.Attributes
	DeclRange  hcl.Range
}

// ResourceAttribute is one attribute a resources block takes.
type ResourceAttribute struct {
	Name string
	// Type is what the value is converted to.
	Type        cty.Type
	Description string
}

// ResourceAttributes are the attributes of a resources block, declared
// once: the block's schema, its documentation and what engine/eval checks
// come from here.
var ResourceAttributes = []ResourceAttribute{
	{"executor", cty.String, `Where the step runs: "local" (the apply's own process), "process" (a child pipe step exec) or "kubernetes" (a Job). Default: the pipeline's executor (-executor, PIPE_EXECUTOR, settings.executor, else local).`},
	{"cpu", cty.String, `CPU the step's pod requests, a Kubernetes quantity: 2, "500m".`},
	{"memory", cty.String, `Memory the step's pod requests and is limited to, a Kubernetes quantity: "4Gi".`},
	{"ephemeral_storage", cty.String, `Local disk the step's pod requests, a Kubernetes quantity: "10Gi".`},
	{"timeout", cty.String, `How long the step may run before it is stopped and fails, a duration: "30m", "2h".`},
	{"retries", cty.Number, `How many times a remote executor retries a failure of the infrastructure (a node lost, a pod evicted); a step's own error is never retried.`},
	{"shards", cty.Number, `For a step that splits into shards (search): run it as at most this many shards, in parallel on a remote executor; the result is the same bytes whatever the number.`},
}

var resourcesSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range ResourceAttributes {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name})
	}
	return s
}()

// ResourceAttributeNames lists the attributes of a resources block.
func ResourceAttributeNames() []string {
	names := make([]string, len(ResourceAttributes))
	for i, a := range ResourceAttributes {
		names[i] = a.Name
	}
	return names
}

func (s *Step) decodeResources(blocks hcl.Blocks) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, block := range blocks {
		if s.Resources != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate resources block",
				Detail:   fmt.Sprintf("%s already has a resources block at %s. Merge the two into one.", s.Addr, s.Resources.DeclRange),
				Subject:  block.DefRange.Ptr(),
			})
			continue
		}
		content, cd := block.Body.Content(resourcesSchema)
		for _, d := range cd {
			if d.Summary == "Unsupported argument" || d.Summary == "Unsupported block type" {
				d.Detail += fmt.Sprintf(" A resources block takes: %s.", strings.Join(ResourceAttributeNames(), ", "))
			}
		}
		diags = append(diags, cd...)
		s.Resources = &Resources{Attributes: content.Attributes, DeclRange: block.DefRange}
	}
	return diags
}
