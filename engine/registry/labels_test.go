package registry

// labelOf is, for the tests, the label the step kinds declare for a media
// type; engine/apply takes it from the catalog.
func labelOf(mediaType string) string {
	return map[string]string{
		"application/vnd.apache.arrow.file":   "dataset",
		"application/vnd.pipe.model.v1+json":  "model",
		"application/vnd.pipe.report.v1+json": "report",
		"application/vnd.pipe.trials.v1+json": "trials",
		"application/vnd.apache.parquet":      "predictions",
		"text/csv":                            "predictions",
		"image/png":                           "image",
	}[mediaType]
}
