package media

import (
	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// The kinds of artifact of the built-in kinds.
var (
	// Dataset is the rows a load step reads, as one Arrow IPC file
	// (steps/shared/dataset).
	Dataset = steps.Media{Type: dataset.MediaType, Label: "dataset",
		Description: "Labelled rows (features, label, optional ids, texts and weights) as one Apache Arrow IPC file."}
	// Model is a trained logistic regression model (steps/shared/logreg).
	Model = steps.Media{Type: logreg.MediaType, Label: "model",
		Description: "A logistic regression model (coefficients, intercept, parameters, feature schema, training data digest) as JSON."}
	// Report is an evaluation report (steps/evaluate).
	Report = steps.Media{Type: "application/vnd.pipe.report.v1+json", Label: "report",
		Description: "An evaluation report (every metric, the ROC and precision-recall curves, the model's and data's digests) as JSON."}
	// Plot is the picture of an evaluation's curves (steps/evaluate).
	Plot = steps.Media{Type: "image/png", Label: "image",
		Description: "A PNG image."}
	// Trials is a search's table of trials (steps/search).
	Trials = steps.Media{Type: "application/vnd.pipe.trials.v1+json", Label: "trials",
		Description: "A search's trials (parameters, fold scores, mean, standard deviation, rank) as JSON."}
	// PredictionsParquet and PredictionsCSV are the files predict writes.
	PredictionsParquet = steps.Media{Type: "application/vnd.apache.parquet", Label: "predictions",
		Description: "Each row's id, probability and label, as a Parquet file."}
	PredictionsCSV = steps.Media{Type: "text/csv", Label: "predictions",
		Description: "Each row's id, probability and label, as a CSV file."}
)
