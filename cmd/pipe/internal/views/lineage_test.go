package views

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/registry"
)

// The graphs in testdata/lineage/*.json are what the registry answered for
// a recorded history of three applies (engine/registry's lineage tests):
// upstream of a champion and of a model digest, downstream of a file and
// of a model version. Each renders in every format; JSON gives the graph
// back byte for byte.
func TestLineageFormats(t *testing.T) {
	for _, name := range []string{"upstream_champion", "upstream_model1_digest", "downstream_corpus", "downstream_v2"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "lineage", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var g registry.Graph
			if err := json.Unmarshal(src, &g); err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				ext     string
				vt      arguments.ViewType
				verbose bool
			}{{"tree", arguments.ViewHuman, false}, {"verbose.tree", arguments.ViewHuman, true}, {"json", arguments.ViewJSON, false}, {"dot", arguments.ViewDOT, false}} {
				var out bytes.Buffer
				if err := NewLineage(f.vt, f.verbose, &View{Stdout: &out}).Graph(&g); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("lineage", name+"."+f.ext), out.Bytes())
			}
		})
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// Upstream of one output, the tree lists the execution's other outputs
// as details, and not the one it was reached from.
func TestLineageTreeListsOtherOutputs(t *testing.T) {
	ctx := context.Background()
	db, err := registry.Open(ctx, filepath.Join(t.TempDir(), "registry.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.BeginRun(ctx, registry.Run{Pipeline: "p", Trigger: registry.TriggerManual, PipeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	art := func(d, name string) registry.ArtifactRef {
		return registry.ArtifactRef{Digest: d, MediaType: "text/plain", Size: 1, Name: name}
	}
	empty, out := sha(""), sha("out")
	_, err = db.RecordExecution(ctx, registry.Execution{RunID: run, Step: "main.x", Kind: "k", KindVersion: "1", Status: registry.ExecRan,
		Used: []registry.ArtifactRef{art(sha("a"), "in")}, Produced: []registry.ArtifactRef{art(empty, "log"), art(out, "out")}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.Upstream(ctx, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tree bytes.Buffer
	if err := NewLineage(arguments.ViewHuman, false, &View{Stdout: &tree}).Graph(g); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tree.String(), "│ produced log: "+shortDigest(empty)) || strings.Contains(tree.String(), "produced out:") {
		t.Errorf("tree should list the other output, not the one asked about:\n%s", tree.String())
	}
}

// The compact tree shows the outputs that fit in a few words, and leaves
// nulls and wide values to -v.
func TestShortOutputs(t *testing.T) {
	wide := `"` + strings.Repeat("x", maxShort) + `"`
	for raw, want := range map[string]string{
		``:   ``,
		`{}`: ``,
		`{"f1":0.8882352941176471,"rows":5000,"ok":true,"data":null,"mode":"upper"}`:             `f1=0.8882 mode="upper" ok=true rows=5000`,
		`{"confusion":{"tp":278,"fp":23},"best":{"C":1.5518,"l1_ratio":null,"penalty":"l1"}}`:    `best={C=1.552 penalty="l1"} confusion={fp=23 tp=278}`,
		`{"list":[1,null,"a"],"huge":1e300,"wide":` + wide + `,"obj":{"w":` + wide + `},"n":-3}`: `huge=1e+300 list=[1, null, "a"] n=-3`,
		`not json`: ``,
	} {
		if got := shortOutputs([]byte(raw)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", raw, got, want)
		}
	}
}
