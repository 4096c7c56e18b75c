package load

import (
	"math"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/media"
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

// featuresFields are the fields of the features attribute.
var featuresFields = []steps.Attribute{
	{Name: "prefix", Type: cty.String,
		Description: `The prefix of the wide feature columns: "emb_" for emb_0, emb_1, ...`},
	{Name: "column", Type: cty.String,
		Description: "The one column holding each row's vector, as a list or a JSON array."},
	{Name: "dim", Type: cty.Number, Required: true, Number: &steps.Number{Whole: true, Min: cty.NumberIntVal(1), Max: cty.NumberIntVal(1 << 20)},
		Description: "The embedding width: features per row."},
}

// splitFields are the fields of the split attribute.
var splitFields = []steps.Attribute{
	{Name: "test", Type: cty.Number, Required: true, Number: &steps.Number{Min: cty.Zero, Max: cty.NumberIntVal(1), MinExclusive: true, MaxExclusive: true},
		Description: "The fraction of rows held out for testing, e.g. 0.2."},
	{Name: "seed", Type: cty.Number, Number: &steps.Number{Whole: true, Min: cty.Zero, Max: cty.NumberUIntVal(math.MaxUint64)},
		Description: "Seeds the shuffle; default 0."},
	{Name: "stratify", Type: cty.Bool,
		Description: "Keeps the share of each class the same on both sides; default false."},
	{Name: "group", Type: cty.String,
		Description: "A column whose equal values stay on one side of the split (an empty value is a group of its own)."},
}

var schema = &steps.Schema{
	Description: "Reads labelled embeddings from CSV or Parquet files into train and test datasets.",
	Attributes: []steps.Attribute{
		{Name: "path", Type: cty.DynamicPseudoType, Required: true, Path: steps.PathRead,
			Description: "A file, glob or folder, or a list of them, relative to the pipeline's folder."},
		{Name: "format", Type: cty.String,
			Description: `"csv" or "parquet"; by default each file's extension decides.`},
		{Name: "label", Type: cty.String, Default: cty.StringVal("label"),
			Description: "The column holding the class label."},
		{Name: "positive", Type: cty.DynamicPseudoType, Required: true,
			Description: "The label value (string, number or bool) that means class 1."},
		{Name: "negative", Type: cty.DynamicPseudoType,
			Description: "The label value that means class 0; when set, any other value is invalid. Without it, the one other value is class 0, and a third is an error."},
		{Name: "features", Type: steps.ObjectType(featuresFields), Fields: featuresFields, Required: true,
			Description: "Where the embedding is: { prefix = \"emb_\", dim = 584 } for wide columns, { column = \"embedding\", dim = 584 } for one list or JSON-array column."},
		{Name: "id", Type: cty.String, Description: "A column of row ids to carry through."},
		{Name: "text", Type: cty.String, Description: "A column of original texts to carry through."},
		{Name: "weight", Type: cty.String, Description: "A column of non-negative row weights."},
		{Name: "split", Type: steps.ObjectType(splitFields), Fields: splitFields,
			Description: "{ test = 0.2, seed = 7, stratify = true, group = \"text\" } splits rows into train and test."},
		{Name: "on_invalid", Type: cty.String, Default: cty.StringVal("fail"),
			Description: `"fail" stops at invalid rows; "skip" drops them (within max_invalid).`},
		{Name: "max_invalid", Type: cty.Number,
			Description: "With on_invalid = \"skip\": how many rows may be dropped, a count (>= 1) or a fraction of all rows (< 1); unlimited when unset."},
		{Name: "delimiter", Type: cty.String, Default: cty.StringVal(","),
			Description: "The CSV field delimiter, one character."},
	},
	Outputs: []steps.Output{
		{Name: "data", Type: steps.ArtifactType, Media: []steps.Media{media.Dataset}, Description: "All rows, when there is no split (null otherwise)."},
		{Name: "train", Type: steps.ArtifactType, Media: []steps.Media{media.Dataset}, Description: "The training rows of a split (null without one)."},
		{Name: "test", Type: steps.ArtifactType, Media: []steps.Media{media.Dataset}, Description: "The test rows of a split (null without one)."},
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
