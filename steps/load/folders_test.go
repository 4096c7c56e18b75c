package load

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

func TestInputFolders(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a/2.csv", "a/1.parquet", "a/sub/3.csv", "b.csv", "deep/x/1.csv", "deep/y/2.csv"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	outside := filepath.ToSlash(t.TempDir())
	at := steps.AttrPath("path")
	cases := []struct {
		name string
		path cty.Value
		want []steps.Folder
	}{
		{"file", cty.StringVal("b.csv"), []steps.Folder{{Path: ".", From: at}}},
		{"folder", cty.StringVal("a"), []steps.Folder{{Path: "a", From: at}}},
		{"glob", cty.StringVal("a/*.csv"), []steps.Folder{{Path: "a", From: at}}},
		{"glob over folders", cty.StringVal("deep/*/*.csv"), []steps.Folder{{Path: "deep", From: at}}},
		{"glob in the pipeline folder", cty.StringVal("*.csv"), []steps.Folder{{Path: ".", From: at}}},
		{"glob of a folder not made yet", cty.StringVal("./incoming//*.parquet"), []steps.Folder{{Path: "incoming", From: at}}},
		{"file not there yet", cty.StringVal("new/today.csv"), []steps.Folder{{Path: "new", From: at}}},
		{"absolute glob", cty.StringVal(outside + "/*.csv"), []steps.Folder{{Path: outside, From: at}}},
		{"list, each element its own", cty.TupleVal([]cty.Value{cty.StringVal("b.csv"), cty.StringVal("a/sub")}),
			[]steps.Folder{{Path: ".", From: at.IndexInt(0)}, {Path: "a/sub", From: at.IndexInt(1)}}},
		{"an element not known yet", cty.TupleVal([]cty.Value{cty.UnknownVal(cty.String), cty.StringVal("a/*.csv")}),
			[]steps.Folder{{Path: "a", From: at.IndexInt(1)}}},
		{"not known yet", cty.UnknownVal(cty.String), nil},
		{"empty", cty.StringVal(" "), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cty.ObjectVal(map[string]cty.Value{"path": tc.path, "label": cty.UnknownVal(cty.String)})
			got := Kind{}.InputFolders(cfg, dir)
			if len(got) != len(tc.want) {
				t.Fatalf("InputFolders = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].Path != tc.want[i].Path || !got[i].From.Equals(tc.want[i].From) {
					t.Errorf("folder %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestInputFoldersHoldTheInputFiles: every file InputFiles finds lies in
// one of the folders InputFolders names, or below it.
func TestInputFoldersHoldTheInputFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a/2.csv", "a/sub/3.csv", "b.csv", "deep/x/1.csv"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	for _, p := range []string{"b.csv", "a", "a/sub", "a/*.csv", "deep/*/*.csv", "*/*/*.csv"} {
		cfg := configValue(t, small(map[string]cty.Value{"path": cty.StringVal(p)}))
		files, err := Kind{}.InputFiles(cfg, dir)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		folders := Kind{}.InputFolders(cfg, dir)
		for _, f := range files {
			in := false
			for _, d := range folders {
				in = in || d.Path == "." || strings.HasPrefix(path.Dir(f)+"/", d.Path+"/")
			}
			if !in {
				t.Errorf("path %q: %s is in none of %v", p, f, folders)
			}
		}
	}
}
