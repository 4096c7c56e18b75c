package predict

import (
	"fmt"
	"path"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/media"
)

// Kind is the predict step kind. The zero value is ready to use.
type Kind struct{}

var (
	_ steps.Kind      = Kind{}
	_ steps.Validator = Kind{}
)

// Name returns "predict".
func (Kind) Name() string { return "predict" }

// Version changes whenever the same model, data and configuration could
// give other predictions or another file.
func (Kind) Version() string { return "predict/1" }

var schema = &steps.Schema{
	Description: "Applies a model to a dataset and writes each row's id, probability and label to a Parquet or CSV file.",
	Attributes: []steps.Attribute{
		{Name: "model", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{media.Model},
			Description: "The model: a train step's model output."},
		{Name: "data", Type: steps.ArtifactType, Required: true, Accepts: []steps.Media{media.Dataset},
			Description: "The rows to predict: a load step's output."},
		{Name: "to", Type: cty.String, Required: true, Path: steps.PathWrite,
			Description: "The file to write, .parquet or .csv: a path relative to the pipeline's folder, or a gs://, s3://, file:// or mem:// URL."},
		{Name: "threshold", Type: cty.Number, Default: cty.NumberFloatVal(0.5),
			Number:      &steps.Number{Min: cty.Zero, Max: cty.NumberIntVal(1), MinExclusive: true, MaxExclusive: true},
			Description: "label is 1 when the probability is above it."},
	},
	Outputs: []steps.Output{
		{Name: "predictions", Type: steps.ArtifactType, Media: []steps.Media{media.PredictionsParquet, media.PredictionsCSV},
			Description: "The file's bytes, as an artifact."},
		{Name: "rows", Type: cty.Number, Description: "Rows written."},
		{Name: "positives", Type: cty.Number, Description: "Rows labelled 1."},
		{Name: "uri", Type: cty.String, Description: "Where the file was written, as a URL."},
	},
}

// Schema returns the predict block's attributes and outputs.
func (Kind) Schema() *steps.Schema { return schema }

// Validate checks to, when it is known; the schema's constraints cover
// the threshold and the artifacts' media types.
func (Kind) Validate(cfg cty.Value) []*steps.AttrError {
	if v := cfg.GetAttr("to"); v.IsKnown() && !v.IsNull() {
		if _, err := parseDest(v.AsString()); err != nil {
			return []*steps.AttrError{err}
		}
	}
	return nil
}

// Formats of the predictions file.
const (
	formatParquet = "parquet"
	formatCSV     = "csv"
)

// dest is a parsed to attribute: the folder to open with Env.OpenBucket,
// the file's key in it, and the format its extension names.
type dest struct {
	folder, name, format string
}

// parseDest splits to into a folder and a file name. A URL keeps its
// query on the folder: gs://b/p/x.csv?anonymous=true is the folder
// gs://b/p?anonymous=true and the file x.csv.
func parseDest(to string) (*dest, *steps.AttrError) {
	bad := func(format string, args ...any) *steps.AttrError {
		return steps.Errorf(steps.AttrPath("to"), "Invalid destination", format, args...)
	}
	if strings.TrimSpace(to) == "" {
		return nil, bad(`to names the file to write, e.g. "out/predictions.parquet" or "gs://bucket/predictions/predictions.csv".`)
	}
	d := &dest{}
	if scheme, rest, ok := strings.Cut(to, "://"); ok {
		query := ""
		if scheme != "file" {
			rest, query, _ = strings.Cut(rest, "?")
			if query != "" {
				query = "?" + query
			}
		}
		i := strings.LastIndexByte(rest, '/')
		switch {
		case i < 0 && scheme == "file":
			d.folder, d.name = ".", rest
		case i < 0:
			return nil, bad("%q names a bucket but no file; write %s://BUCKET/FOLDER/NAME.parquet (or .csv).", to, scheme)
		case i == 0:
			d.folder, d.name = scheme+":///"+query, rest[1:]
		default:
			d.folder, d.name = scheme+"://"+rest[:i]+query, rest[i+1:]
		}
	} else {
		dir, name := path.Split(strings.ReplaceAll(to, `\`, "/"))
		if dir == "" {
			dir = "."
		}
		d.folder, d.name = dir, name
	}
	if d.name == "" || d.name == "." || d.name == ".." {
		return nil, bad("%q names a folder, not a file; add the file name, e.g. %s.", to, strings.TrimRight(to, "/")+"/predictions.parquet")
	}
	switch ext := strings.ToLower(path.Ext(d.name)); ext {
	case ".parquet", ".pq":
		d.format = formatParquet
	case ".csv":
		d.format = formatCSV
	default:
		what := fmt.Sprintf("the extension %q", ext)
		if ext == "" {
			what = "no extension"
		}
		return nil, bad("%q has %s; name a .parquet or .csv file, which chooses the format.", d.name, what)
	}
	return d, nil
}

var _ steps.CoordinatorBound = Kind{}

// NeedsCoordinator keeps a predict step that writes anywhere but a bucket
// (gs://, s3://) in the process running the apply: a worker elsewhere
// would write into its own file system or memory.
func (Kind) NeedsCoordinator(cfg cty.Value) string {
	to := cfg.GetAttr("to")
	if !to.IsKnown() || to.IsNull() {
		return ""
	}
	to, _ = to.Unmark()
	s := to.AsString()
	if strings.HasPrefix(s, "gs://") || strings.HasPrefix(s, "s3://") {
		return ""
	}
	return "writes to " + s + ", which only this machine sees"
}
