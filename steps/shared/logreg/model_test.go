package logreg

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

func fitModel(t *testing.T, data *Data, params Params) (*Result, *Model) {
	t.Helper()
	res, err := Fit(context.Background(), data, params, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(res, data, params, Features{Source: "test"}, "sha256:"+strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	return res, m
}

func encode(t *testing.T, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestModelRoundTrip checks that a model encodes to the same bytes every
// time, decodes to a model that encodes to the same bytes again, and
// predicts the same.
func TestModelRoundTrip(t *testing.T) {
	data := loadData(t, "weighted")
	for _, params := range []Params{
		DefaultParams(),
		{Penalty: ElasticNet, C: 0.5, L1Ratio: 0.3, ClassWeight: ClassWeight{Kind: Explicit, Negative: 1, Positive: 2.5}, MaxIter: 100, Tol: 1e-6, Standardize: true},
	} {
		_, m1 := fitModel(t, data, params)
		_, m2 := fitModel(t, data, params)
		b1, b2 := encode(t, m1), encode(t, m2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("two fits encode differently:\n%s\n%s", b1, b2)
		}
		back, err := DecodeModel(bytes.NewReader(b1))
		if err != nil {
			t.Fatal(err)
		}
		if b3 := encode(t, back); !bytes.Equal(b1, b3) {
			t.Fatalf("decoded model encodes differently:\n%s\n%s", b1, b3)
		}
		p1, err := m1.PredictProba(data.X, data.N, data.D)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := back.PredictProba(data.X, data.N, data.D)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p1 {
			if p1[i] != p2[i] {
				t.Fatalf("row %d: %v before encoding, %v after", i, p1[i], p2[i])
			}
		}
	}
}

// TestModelFoldsStandardization checks that a standardised model predicts
// on raw features what the fitted coefficients give on standardised ones.
func TestModelFoldsStandardization(t *testing.T) {
	data := loadData(t, "scaled")
	params := DefaultParams()
	params.Standardize = true
	res, m := fitModel(t, data, params)
	z, err := m.Decision(data.X, data.N, data.D)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data.N {
		want := res.Intercept
		for j := range data.D {
			x := (float64(data.X[i*data.D+j]) - res.Scaling.Mean[j]) / res.Scaling.Scale[j]
			want += res.Coef[j] * x
		}
		if !scalar.EqualWithinAbsOrRel(z[i], want, 1e-9, 1e-9) {
			t.Fatalf("row %d: margin %v, want %v", i, z[i], want)
		}
	}
	if m.Features.Scaling == nil {
		t.Fatal("model does not record its scaling")
	}
}

func TestModelWidthMismatch(t *testing.T) {
	data := loadData(t, "basic")
	_, m := fitModel(t, data, DefaultParams())
	_, err := m.PredictProba(make([]float32, 30), 3, 10)
	if err == nil || !strings.Contains(err.Error(), "10 features") || !strings.Contains(err.Error(), "expects 20") {
		t.Fatalf("error %v, want one naming both widths", err)
	}
	_, err = m.Decision(make([]float32, 30), 2, 20)
	if err == nil {
		t.Fatal("no error for a short matrix")
	}
}

func TestDecodeModelRejects(t *testing.T) {
	data := loadData(t, "basic")
	_, m := fitModel(t, data, DefaultParams())
	good := string(encode(t, m))
	for name, text := range map[string]string{
		"other format":   strings.Replace(good, ModelFormat, "pipe.logreg.model/v9", 1),
		"unknown field":  strings.Replace(good, `"rows"`, `"rowz"`, 1),
		"wrong dim":      strings.Replace(good, `"dim": 20`, `"dim": 21`, 1),
		"bad params":     strings.Replace(good, `"penalty": "l2"`, `"penalty": "l3"`, 1),
		"not json":       good[:len(good)/2],
		"bad weight map": strings.Replace(good, `"class_weight": "none"`, `"class_weight": {"2": 1}`, 1),
	} {
		if text == good {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if _, err := DecodeModel(strings.NewReader(text)); err == nil {
			t.Errorf("%s: decoded without error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	m.Coef[0] = math.NaN()
	if _, err := m.MarshalJSON(); err == nil {
		t.Error("a NaN coefficient encoded without error")
	}
}
