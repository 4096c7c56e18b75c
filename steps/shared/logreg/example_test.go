package logreg_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/pipe-ml/pipe/steps/shared/logreg"
)

// toy is a small data set: two features, the label mostly follows
// x₀ − x₁.
func toy() *logreg.Data {
	x := []float32{
		1, 0, 2, 1, 0, 1, 0, 2, 3, 1, 1, 3, 2, 0, 0, 0.5,
		1.5, 1, 0.5, 1.5, 2.5, 2, 1, 2.5, 3, 0, 0, 3, 2, 2.5, 1, 0.2,
	}
	y := []float64{1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 1}
	return &logreg.Data{X: x, N: 16, D: 2, Y: y}
}

func ExampleFit() {
	params := logreg.DefaultParams() // l2, C = 1, as scikit-learn
	res, err := logreg.Fit(context.Background(), toy(), params, nil)
	if err != nil {
		log.Fatal(err)
	}
	// scikit-learn's LogisticRegression().fit(X, y) gives coef_
	// [[1.171 -1.039]] and intercept_ [-0.111].
	fmt.Printf("coef %.3f, intercept %.3f\n", res.Coef, res.Intercept)
	fmt.Printf("objective %.4f, converged %v (%v)\n", res.Objective, res.Converged, res.Status)
	// Output:
	// coef [1.171 -1.039], intercept -0.111
	// objective 6.2786, converged true (gradient threshold)
}

// A fold of a cross-validation is a view of the rows it trains on: X is
// shared, not copied.
func ExampleData_Subset() {
	data := toy()
	train, err := data.Subset([]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	if err != nil {
		log.Fatal(err)
	}
	params := logreg.DefaultParams()
	params.Penalty = logreg.L1
	params.ClassWeight = logreg.ClassWeight{Kind: logreg.Balanced}
	res, err := logreg.Fit(context.Background(), train, params, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d rows, class weights %.2f\n", train.Len(), data.N, res.ClassWeights)
	// scikit-learn's saga solver gives coef_ [[1.051 -1.406]].
	fmt.Printf("coef %.3f, objective %.4f\n", res.Coef, res.Objective)
	// Output:
	// 12 of 16 rows, class weights [0.86 1.20]
	// coef [1.051 -1.406], objective 5.6842
}

// A warm start: the solution for one C starts the fit for the next.
func ExampleSettings_warmStart() {
	data := toy()
	params := logreg.DefaultParams()
	var prev *logreg.Result
	for _, c := range []float64{0.1, 1, 10} {
		params.C = c
		s := &logreg.Settings{}
		if prev != nil {
			s.InitCoef, s.InitIntercept = prev.Coef, prev.Intercept
		}
		res, err := logreg.Fit(context.Background(), data, params, s)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("C=%-4v coef %.3f\n", c, res.Coef)
		prev = res
	}
	// Output:
	// C=0.1  coef [0.354 -0.324]
	// C=1    coef [1.171 -1.039]
	// C=10   coef [2.096 -1.868]
}

func ExampleModel() {
	data := toy()
	params := logreg.DefaultParams()
	params.Standardize = true
	res, err := logreg.Fit(context.Background(), data, params, nil)
	if err != nil {
		log.Fatal(err)
	}
	model, err := logreg.NewModel(res, data, params, logreg.Features{Names: []string{"a", "b"}}, "sha256:…")
	if err != nil {
		log.Fatal(err)
	}
	p, err := model.PredictProba([]float32{2, 0, 0, 2}, 2, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("P(y=1) = %.3f\n", p)

	var b bytes.Buffer
	if err := model.Encode(&b); err != nil {
		log.Fatal(err)
	}
	back, err := logreg.DecodeModel(&b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Format, back.Features.Dim, back.Params.Penalty)
	_, err = model.PredictProba([]float32{1, 2, 3}, 1, 3)
	fmt.Println(err)
	// Output:
	// P(y=1) = [0.900 0.104]
	// pipe.logreg.model/v1 2 l2
	// logreg: the data has 3 features per row, the model expects 2
}
