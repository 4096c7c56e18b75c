package metrics

import (
	"encoding/json"
	"io"
	"testing"
)

// The benchmarks score 100,000 rows, the size of the first user's data.
const benchRows = 100_000

func benchData(b *testing.B, decimals int, weighted bool) Data {
	b.Helper()
	return synthetic(42, benchRows, 0.3, decimals, weighted)
}

func BenchmarkEvaluate(b *testing.B) {
	for _, bc := range []struct {
		name     string
		decimals int
		weighted bool
		settings *Settings
	}{
		{"continuous", 0, false, nil},
		{"continuous/max_f1", 0, false, &Settings{MaxF1: true}},
		{"ties_3_decimals", 3, false, nil},
		{"weighted", 0, true, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := benchData(b, bc.decimals, bc.weighted)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Evaluate(d, bc.settings); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOneByOne calls the metric functions one at a time, each
// sorting again, to show what Evaluate saves.
func BenchmarkOneByOne(b *testing.B) {
	d := benchData(b, 0, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ConfusionAt(d, 0.5); err != nil {
			b.Fatal(err)
		}
		if _, err := LogLoss(d); err != nil {
			b.Fatal(err)
		}
		if _, err := ROCAUC(d); err != nil {
			b.Fatal(err)
		}
		if _, err := AveragePrecision(d); err != nil {
			b.Fatal(err)
		}
		if _, err := MaxF1(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReportJSON(b *testing.B) {
	r, err := Evaluate(benchData(b, 0, false), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := json.NewEncoder(io.Discard).Encode(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWritePNG(b *testing.B) {
	r, err := Evaluate(benchData(b, 0, false), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePNG(io.Discard, r, nil); err != nil {
			b.Fatal(err)
		}
	}
}
