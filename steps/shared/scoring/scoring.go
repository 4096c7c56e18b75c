package scoring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/dataset"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// Scored is a model's probabilities for the rows of a dataset.
type Scored struct {
	Model *logreg.Model
	Data  *dataset.Dataset
	// ModelArtifact and DataArtifact are the artifacts they were read from.
	ModelArtifact, DataArtifact steps.Artifact
	// Prob holds P(y = 1) for each row of Data, in order.
	Prob []float64
	// Duration is how long scoring the rows took.
	Duration time.Duration
}

// Score reads the artifacts of a step's model and data attributes and
// scores the data with the model. kind prefixes errors ("evaluate"); fix
// ends the message for data of another width than the model's, saying
// what to do. The data's feature matrix is scored in one pass, and where
// it is mapped, the rows scored leave the process's resident memory as
// the pass goes (dataset.DropRows): Data.X still reads, from the page
// cache.
func Score(ctx context.Context, env steps.Env, in *steps.Inputs, kind, fix string) (*Scored, error) {
	modelArt, err := in.Artifact("model")
	if err != nil {
		return nil, err
	}
	dataArt, err := in.Artifact("data")
	if err != nil {
		return nil, err
	}
	b, err := env.ReadArtifact(ctx, modelArt)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the model: %w", kind, err)
	}
	m, err := logreg.DecodeModel(bytes.NewReader(b))
	if err != nil {
		return nil, steps.Errorf(steps.AttrPath("model"), "Unreadable model",
			"%s. Give a train step's model output.", strings.TrimPrefix(err.Error(), "logreg: "))
	}
	ds, err := dataset.OpenUnscanned(ctx, env, dataArt)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the data: %w", kind, err)
	}
	if ds.Dim != m.Features.Dim {
		return nil, steps.Errorf(steps.AttrPath("data"), "Feature width mismatch",
			"The model expects %d features per row (%s) but the data has %d (%s). %s",
			m.Features.Dim, describe(m.Features.Source, m.Features.Dim), ds.Dim, describe(ds.Meta.Features, ds.Dim), fix)
	}
	start := time.Now()
	p, err := scoreAndDrop(env, m, ds)
	var rowErr *rowError
	switch {
	case errors.As(err, &rowErr):
		return nil, fmt.Errorf("%s: reading the data: %w", kind, rowErr.err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return &Scored{Model: m, Data: ds, ModelArtifact: modelArt, DataArtifact: dataArt, Prob: p, Duration: time.Since(start)}, nil
}

// scoreBlock is how many bytes of the matrix are scored at a time
// before their pages are dropped: enough rows for every core to take
// many (a 584-wide row is 2.3 KB), few enough that the mapped matrix
// never stands whole in the process's resident memory.
const scoreBlock = 16 << 20

// rowError is a row of the data that holds a NaN or ±Inf.
type rowError struct{ err error }

func (e *rowError) Error() string { return e.err.Error() }

// scoreAndDrop returns P(y = 1) of every row of ds, scoring a block of
// rows at a time and dropping each block's pages once it is scored.
//
// The data was opened without a search for non-finite features
// (dataset.OpenUnscanned): scoring reads every row once, and a row that
// holds a NaN or ±Inf has a margin that is not finite (NaN, or ±Inf
// times any weight, 0 included, is not a finite number, and neither is
// any sum with one), so only such a row is searched, and the first one
// that holds one is refused with the message dataset.Open gives. (A
// margin can also overflow on finite features of enormous weights;
// such a row searches clean and keeps its probability, 0 or 1.)
func scoreAndDrop(env steps.Env, m *logreg.Model, ds *dataset.Dataset) ([]float64, error) {
	p := make([]float64, 0, ds.N)
	rows := max(1, scoreBlock/(4*ds.Dim))
	for lo := 0; ; lo += rows {
		hi := min(ds.N, lo+rows)
		z, err := m.Decision(ds.X[lo*ds.Dim:hi*ds.Dim], hi-lo, ds.Dim)
		if err != nil {
			return nil, err
		}
		for i, v := range z {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				if err := ds.CheckRow(lo + i); err != nil {
					return nil, &rowError{err}
				}
			}
			z[i] = logreg.Sigmoid(v)
		}
		p = append(p, z...)
		dataset.DropRows(env, ds, lo, hi)
		if hi == ds.N {
			break
		}
	}
	return p, nil
}

// describe names where features came from, or their width.
func describe(source string, dim int) string {
	if source != "" {
		return source
	}
	return fmt.Sprintf("dim %d", dim)
}
