package logreg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/pipe-ml/pipe/steps/shared/fault"
)

// MediaType is the media type of an encoded [Model]. steps/shared/media
// declares it, with its label, as the model artifact of the step kinds.
const MediaType = "application/vnd.pipe.model.v1+json"

// ModelFormat identifies the JSON encoding of a Model and its version.
// Decoding rejects any other value.
const ModelFormat = "pipe.logreg.model/v1"

// Model is a trained binary logistic regression model: what train writes,
// evaluate and predict read, and publish versions. Its JSON encoding is
// deterministic (the same model gives the same bytes) and round-trips
// every float64 exactly.
type Model struct {
	// Format is ModelFormat.
	Format string `json:"format"`
	// Coef and Intercept apply to raw features: P(y = 1 | x) =
	// σ(Coef·x + Intercept). With standardisation the scaling is folded
	// in: Coef[j] = w[j]/scale[j] and Intercept = b − Σⱼ Coef[j]·mean[j]
	// for the fitted (w, b) of [Result]; Features.Scaling keeps mean and
	// scale, so w[j] = Coef[j]·scale[j].
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	// Params are the hyperparameters it was trained with.
	Params Params `json:"params"`
	// Features describes the input the model expects.
	Features Features `json:"features"`
	// TrainingData identifies the training data (e.g. a dataset digest);
	// it is opaque here.
	TrainingData string `json:"training_data"`
	// Rows is the number of training rows; ClassWeights the weights
	// applied to classes 0 and 1.
	Rows         int        `json:"rows"`
	ClassWeights [2]float64 `json:"class_weights"`
	// Objective, Iterations, Converged and Status are those of the fit.
	Objective  float64 `json:"objective"`
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
	Status     string  `json:"status"`
}

// Features describes a model's input.
type Features struct {
	// Dim is the number of features per row.
	Dim int `json:"dim"`
	// Names optionally names each feature (len Dim).
	Names []string `json:"names,omitempty"`
	// Source optionally says where the features come from, e.g.
	// "prefix emb_, dim 584".
	Source string `json:"source,omitempty"`
	// Scaling is the standardisation the model was trained with (already
	// folded into Coef), or nil.
	Scaling *Scaling `json:"scaling,omitempty"`
}

// NewModel makes a Model from a fit of data's rows with params. features
// may leave Dim zero (it is taken from the result) and must leave Scaling
// nil (it is taken from the result); trainingData is stored as given.
func NewModel(r *Result, data *Data, params Params, features Features, trainingData string) (*Model, error) {
	if r == nil || data == nil {
		return nil, errors.New("logreg: NewModel needs a result and its data")
	}
	if features.Dim == 0 {
		features.Dim = len(r.Coef)
	}
	if features.Scaling != nil {
		return nil, errors.New("logreg: Features.Scaling is taken from the result; leave it nil")
	}
	features.Scaling = r.Scaling
	m := &Model{
		Format:       ModelFormat,
		Coef:         slices.Clone(r.rawCoef()),
		Intercept:    r.rawIntercept(),
		Params:       params,
		Features:     features,
		TrainingData: trainingData,
		Rows:         data.Len(),
		ClassWeights: r.ClassWeights,
		Objective:    r.Objective,
		Iterations:   r.Iterations,
		Converged:    r.Converged,
		Status:       r.Status.String(),
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Decision returns the margins Coef·xᵢ + Intercept of the n rows of x
// (row-major, d features each). A fault on a memory-mapped x is a
// *fault.Error (see steps/shared/fault).
func (m *Model) Decision(x []float32, n, d int) (_ []float64, err error) {
	defer fault.Guard(&err)()
	if d != m.Features.Dim {
		return nil, fmt.Errorf("logreg: the data has %d features per row, the model expects %d", d, m.Features.Dim)
	}
	if n < 0 || len(x) != n*d {
		return nil, fmt.Errorf("logreg: %d values do not make %d rows of %d features", len(x), n, d)
	}
	z := make([]float64, n)
	const chunk = 1024
	parallelFor(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk, func(c int) {
		for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
			z[i] = dot(x[i*d:(i+1)*d], m.Coef) + m.Intercept
		}
	})
	return z, nil
}

// PredictProba returns P(y = 1 | xᵢ) = σ(Coef·xᵢ + Intercept) for the n
// rows of x (row-major, d features each).
func (m *Model) PredictProba(x []float32, n, d int) ([]float64, error) {
	z, err := m.Decision(x, n, d)
	if err != nil {
		return nil, err
	}
	for i, v := range z {
		z[i] = sigmoid(v)
	}
	return z, nil
}

// Sigmoid returns σ(z) = 1/(1 + e⁻ᶻ) without overflow: PredictProba's
// probability of the margin z that Decision returned.
func Sigmoid(z float64) float64 { return sigmoid(z) }

// sigmoid returns 1/(1 + e⁻ᶻ) without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Encode writes m as indented JSON and a newline: the bytes of a model
// artifact.
func (m *Model) Encode(w io.Writer) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// DecodeModel reads a model written by Encode (or MarshalJSON).
func DecodeModel(r io.Reader) (*Model, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("logreg: reading model: %w", err)
	}
	m := new(Model)
	if err := m.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return m, nil
}

// modelJSON has Model's fields without its methods.
type modelJSON Model

// MarshalJSON encodes m; it fails on a model that is not valid (e.g. a
// non-finite coefficient), so that only readable models are written.
func (m *Model) MarshalJSON() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	return json.Marshal((*modelJSON)(m))
}

// UnmarshalJSON decodes a model strictly: unknown fields, another format
// or inconsistent contents are errors.
func (m *Model) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var v modelJSON
	if err := dec.Decode(&v); err != nil {
		if strings.HasPrefix(err.Error(), "logreg: ") {
			return err
		}
		return fmt.Errorf("logreg: decoding model: %w", err)
	}
	if v.Format != ModelFormat {
		return fmt.Errorf("logreg: model format is %q, this version reads %q", v.Format, ModelFormat)
	}
	if err := (*Model)(&v).validate(); err != nil {
		return err
	}
	*m = Model(v)
	return nil
}

// validate checks that the parts of m agree.
func (m *Model) validate() error {
	if m.Format != ModelFormat {
		return fmt.Errorf("logreg: model format %q, want %q", m.Format, ModelFormat)
	}
	if err := m.Params.Validate(); err != nil {
		return err
	}
	f := m.Features
	if f.Dim < 1 || len(m.Coef) != f.Dim {
		return fmt.Errorf("logreg: model has %d coefficients for %d features", len(m.Coef), f.Dim)
	}
	if f.Names != nil && len(f.Names) != f.Dim {
		return fmt.Errorf("logreg: model has %d feature names for %d features", len(f.Names), f.Dim)
	}
	if s := f.Scaling; s != nil && (len(s.Mean) != f.Dim || len(s.Scale) != f.Dim) {
		return fmt.Errorf("logreg: model scaling has %d means and %d scales for %d features", len(s.Mean), len(s.Scale), f.Dim)
	}
	finite := append(slices.Clip(m.Coef), m.Intercept, m.Objective, m.ClassWeights[0], m.ClassWeights[1])
	if s := f.Scaling; s != nil {
		finite = append(append(finite, s.Mean...), s.Scale...)
	}
	if i := firstNaN(finite); i >= 0 {
		return fmt.Errorf("logreg: model has a non-finite value %v", finite[i])
	}
	if m.Rows < 0 || m.Iterations < 0 {
		return fmt.Errorf("logreg: model has %d rows and %d iterations", m.Rows, m.Iterations)
	}
	return nil
}
