package synth_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// Generate rows and write them as a wide CSV file, as a user's export
// would look.
func Example() {
	g := synth.Generate(synth.Config{N: 1000, Seed: 7})
	fmt.Println(g.N, "rows of", g.Dim, "features,", g.Positives(), "positive")
	fmt.Println(g.IDs[0], g.Texts[0])

	dir, _ := os.MkdirTemp("", "synth")
	defer os.RemoveAll(dir)
	if err := synth.WriteFile(filepath.Join(dir, "corpus.csv"), g.Dataset, synth.FileOptions{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1000 rows of 584 features, 304 positive
	// r0000000 Do not store my location history from August 11, 2018 now.
}
