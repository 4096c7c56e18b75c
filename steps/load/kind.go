package load

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// Kind is the load step kind. The zero value is ready to use.
type Kind struct{}

var (
	_ steps.Kind       = Kind{}
	_ steps.Validator  = Kind{}
	_ steps.FileReader = Kind{}
)

// Name returns "load".
func (Kind) Name() string { return "load" }

// Version changes whenever the same files and configuration could give
// different datasets.
//
// load/2: rows with an empty split.group value are groups of one (they
// were one group).
func (Kind) Version() string { return "load/2" }

var featuresType = cty.ObjectWithOptionalAttrs(map[string]cty.Type{
	"prefix": cty.String,
	"column": cty.String,
	"dim":    cty.Number,
}, []string{"prefix", "column"})

var splitType = cty.ObjectWithOptionalAttrs(map[string]cty.Type{
	"test":     cty.Number,
	"seed":     cty.Number,
	"stratify": cty.Bool,
	"group":    cty.String,
}, []string{"seed", "stratify", "group"})

var schema = &steps.Schema{
	Description: "Reads labelled embeddings from CSV or Parquet files into train and test datasets.",
	Attributes: []steps.Attribute{
		{Name: "path", Type: cty.DynamicPseudoType, Required: true,
			Description: "A file, glob or folder, or a list of them, relative to the pipeline's folder."},
		{Name: "format", Type: cty.String,
			Description: `"csv" or "parquet"; by default each file's extension decides.`},
		{Name: "label", Type: cty.String, Default: cty.StringVal("label"),
			Description: "The column holding the class label."},
		{Name: "positive", Type: cty.DynamicPseudoType, Required: true,
			Description: "The label value (string, number or bool) that means class 1."},
		{Name: "negative", Type: cty.DynamicPseudoType,
			Description: "The label value that means class 0; when set, any other value is invalid."},
		{Name: "features", Type: featuresType, Required: true,
			Description: "Where the embedding is: { prefix = \"emb_\", dim = 584 } for wide columns, { column = \"embedding\", dim = 584 } for one list or JSON-array column."},
		{Name: "id", Type: cty.String, Description: "A column of row ids to carry through."},
		{Name: "text", Type: cty.String, Description: "A column of original texts to carry through."},
		{Name: "weight", Type: cty.String, Description: "A column of non-negative row weights."},
		{Name: "split", Type: splitType,
			Description: "{ test = 0.2, seed = 7, stratify = true, group = \"text\" } splits rows into train and test."},
		{Name: "on_invalid", Type: cty.String, Default: cty.StringVal("fail"),
			Description: `"fail" stops at invalid rows; "skip" drops them (within max_invalid).`},
		{Name: "max_invalid", Type: cty.Number,
			Description: "With on_invalid = \"skip\": how many rows may be dropped, a count (>= 1) or a fraction of all rows (< 1); unlimited when unset."},
		{Name: "delimiter", Type: cty.String, Default: cty.StringVal(","),
			Description: "The CSV field delimiter, one character."},
	},
	Outputs: []steps.Output{
		{Name: "data", Type: steps.ArtifactType, Description: "All rows, when there is no split (null otherwise)."},
		{Name: "train", Type: steps.ArtifactType, Description: "The training rows of a split (null without one)."},
		{Name: "test", Type: steps.ArtifactType, Description: "The test rows of a split (null without one)."},
		{Name: "rows", Type: cty.Number, Description: "Rows kept."},
		{Name: "positives", Type: cty.Number, Description: "Rows kept with label 1."},
		{Name: "dim", Type: cty.Number, Description: "Features per row."},
		{Name: "skipped", Type: cty.Number, Description: "Invalid rows dropped (on_invalid = \"skip\")."},
		{Name: "train_rows", Type: cty.Number, Description: "Rows in train (null without a split)."},
		{Name: "test_rows", Type: cty.Number, Description: "Rows in test (null without a split)."},
	},
}

// Schema returns the load block's attributes and outputs.
func (Kind) Schema() *steps.Schema { return schema }

// Validate checks the configuration beyond its types.
func (Kind) Validate(cfg cty.Value) []*steps.AttrError {
	_, errs := parseConfig(cfg, true)
	return errs
}
