package publish

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strings"

	"github.com/pipe-ml/pipe/steps"
)

// report is what publish reads of an evaluation report.
type report struct {
	ModelDigest string
	DataDigest  string
	// Metrics are the report's numeric metrics, by name.
	Metrics map[string]float64
}

// reportJSON is the part of evaluate's report.json that publish relies
// on.
type reportJSON struct {
	Format json.RawMessage `json:"format"`
	Model  struct {
		Digest string `json:"digest"`
	} `json:"model"`
	Data struct {
		Digest string `json:"digest"`
	} `json:"data"`
	Metrics map[string]json.RawMessage `json:"metrics"`
}

// parseReport reads an evaluation report. Errors are AttrErrors on report.
func parseReport(b []byte) (*report, error) {
	bad := func(format string, args ...any) error {
		return steps.Errorf(steps.AttrPath("report"), "Unreadable report", format, args...)
	}
	var r reportJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return nil, bad("The report is not a JSON evaluation report: %v. Give the report output of an evaluate step.", err)
	}
	var format string
	if len(r.Format) > 0 && json.Unmarshal(r.Format, &format) == nil && format != "" && !strings.HasPrefix(format, "pipe.report/") {
		return nil, bad("The report's format is %q, not pipe.report/v1. Give the report output of an evaluate step.", format)
	}
	if !steps.ValidDigest(r.Model.Digest) {
		return nil, bad("The report names no model (model.digest is %q). Give the report output of an evaluate step.", r.Model.Digest)
	}
	if r.Data.Digest != "" && !steps.ValidDigest(r.Data.Digest) {
		return nil, bad("The report's data.digest %q is not a digest.", r.Data.Digest)
	}
	out := &report{ModelDigest: r.Model.Digest, DataDigest: r.Data.Digest, Metrics: map[string]float64{}}
	for name, raw := range r.Metrics {
		var f float64
		if json.Unmarshal(raw, &f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			continue // not a number: a matrix, a curve
		}
		out.Metrics[name] = f
	}
	return out, nil
}

// metricNames lists the report's metrics, sorted, for messages.
func (r *report) metricNames() string {
	names := make([]string, 0, len(r.Metrics))
	for n := range r.Metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "it has none"
	}
	return "it has " + strings.Join(names, ", ")
}

// short shortens a digest for messages: sha256:0123456789ab.
func short(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func errorf(path string, summary, format string, args ...any) error {
	return steps.Errorf(steps.AttrPath(path), summary, format, args...)
}
