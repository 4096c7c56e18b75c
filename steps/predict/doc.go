// Package predict is the predict step kind: it applies a trained model
// (steps/shared/logreg, made by steps/train) to a dataset artifact and writes one
// prediction per row to a file, locally or in blob storage, in Parquet or
// CSV. The model's quality is steps/evaluate's business.
//
//	predict "scores" {
//	  model     = train.model.model
//	  data      = load.unlabelled.data
//	  to        = "gs://bucket/predictions/2026/predictions.parquet"   # or "out/predictions.csv"
//	  threshold = 0.5            # default; e.g. a number read off evaluate.validation.threshold
//	}
//
// to names a file: a path relative to the pipeline's folder (or
// absolute), or a gs://, s3://, file:// or mem:// URL whose last path
// element is the file name (query parameters such as ?anonymous=true go
// after it and apply to the bucket). Its extension chooses the format:
// .parquet or .pq for Parquet, .csv for CSV. The file appears whole or not
// at all: a blob writer commits only on success and is abandoned on any
// error, and a local file is written beside its final name and renamed.
// The same bytes are stored as the predictions artifact, so that lineage
// links the file to the model and data that made it.
//
// Columns, one row per dataset row, in the dataset's order:
//
//	id           string   the dataset's id column, or the 1-based row
//	                      number when it has none
//	probability  double   P(class 1 | row), σ(coef·x + intercept)
//	label        int64    1 when probability > threshold, else 0
//
// Parquet files are Snappy-compressed, without dictionaries, in row groups
// of 131,072 rows, with created_by "pipe predict"; CSV has a header line
// and floats in the shortest form that reads back to the same float64.
// Both are deterministic: the same model and data give the same bytes.
//
// Outputs: predictions (artifact, media.PredictionsParquet or media.PredictionsCSV),
// rows, positives (rows labelled 1) and uri (where the file was written,
// as a URL: file:///abs/path/name.csv, gs://bucket/path/name.parquet).
//
// A model whose feature width differs from the data's is refused with a
// message naming both widths, before anything is written.
//
// The step is cached like any other: when nothing it reads has changed it
// does not run. The file is a side effect the engine keeps track of
// (steps.ExternalFile): on a cache hit, on this machine or another that
// shares the store, a file that is missing or different is written again
// from the predictions artifact, and apply says so.
package predict
