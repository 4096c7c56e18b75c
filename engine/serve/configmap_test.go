package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configMap builds a folder the way kubelet's AtomicWriter publishes a
// ConfigMap volume: the files live in a timestamped folder, ..data is a
// symlink to it, and each file is a symlink through ..data.
type configMap struct {
	t   *testing.T
	dir string
	n   int
}

// publish writes a new version of the ConfigMap, in AtomicWriter's order:
// a new timestamped folder with the payload, a ..data_tmp symlink to it
// renamed over ..data (the atomic swap), symlinks for new files, removal
// of the symlinks of files gone, removal of the old timestamped folder.
func (c *configMap) publish(files map[string]string) {
	t := c.t
	t.Helper()
	c.n++
	ts := fmt.Sprintf("..2026_11_25_02_00_%02d.%09d", c.n, 123456789+c.n)
	if err := os.Mkdir(filepath.Join(c.dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(c.dir, ts, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := os.Readlink(filepath.Join(c.dir, "..data"))
	tmp := filepath.Join(c.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		link := filepath.Join(c.dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") {
			continue
		}
		if _, ok := files[e.Name()]; !ok {
			os.Remove(filepath.Join(c.dir, e.Name()))
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(c.dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

const configMapPipeline = `pipeline "cm" {}

variable "data_dir" {
  type = string
}

variable "factor" {
  type    = number
  default = 2
}

source "corpus" {
  path = "${var.data_dir}/*.txt"
}

transform "shout" {
  input  = source.corpus.data
  factor = var.factor
}
`

func TestConfigMapSwapAppliesOnce(t *testing.T) {
	// The test kinds read globs relative to the pipeline folder, so the
	// data folder is given as ../data (the deployment gives /data).
	root := t.TempDir()
	cm := &configMap{t: t, dir: filepath.Join(root, "pipelines")}
	data := filepath.Join(root, "data")
	write(t, filepath.Join(data, "a.txt"), "hello\n")
	if err := os.Mkdir(cm.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cm.publish(map[string]string{"main.pipe.hcl": configMapPipeline})
	f := start(t, cm.dir, func(o *Options) {
		o.Workspace.Env = append(o.Workspace.Env, "PIPE_VAR_data_dir=../data")
		o.Workspace.Vars.Env = o.Workspace.Env
	}, nil)
	c := f.expect(OutcomeApplied)
	if c.Reason != "start" {
		t.Errorf("first check: %+v", c)
	}
	var st Status
	f.getJSON("/api/status", 200, &st)
	if want := data + "," + cm.dir; strings.Join(st.Watching, ",") != want {
		t.Errorf("watching %v, want %s", st.Watching, want)
	}

	// A new version of the ConfigMap: one check, one run, by watch.
	cm.publish(map[string]string{"main.pipe.hcl": strings.Replace(configMapPipeline, "default = 2", "default = 3", 1)})
	c = f.expect(OutcomeApplied)
	if c.Trigger != "watch" || c.Status != "succeeded" || c.ToRun != 1 || c.Cached != 1 {
		t.Errorf("check after the swap: %+v", c)
	}
	// A touch of the data afterwards is the sentinel: whatever the swap
	// triggered has been handled before it.
	write(t, filepath.Join(data, "a.txt"), "hello\n")
	for c = f.next(); c.Outcome != OutcomeUpToDate; c = f.next() {
		if c.Outcome == OutcomeApplied {
			t.Fatalf("a second run after one swap: %+v", c)
		}
	}
	runs := f.runs()
	if len(runs) != 2 || runs[0].Trigger != "watch" || runs[1].Trigger != "watch" {
		t.Fatalf("runs: %+v", runs)
	}

	// A version that does not parse: not ready, nothing runs; a file added
	// and one removed in the same swap.
	cm.publish(map[string]string{"main.pipe.hcl": configMapPipeline, "extra.pipe.hcl": "transform \"x\" {\n  input = \n}\n"})
	f.expect(OutcomeInvalid)
	code, body, _ := f.get("/readyz")
	if code != 503 || !strings.Contains(body, "extra.pipe.hcl") {
		t.Errorf("/readyz: %d\n%s", code, body)
	}
	write(t, filepath.Join(data, "b.txt"), "new data\n")
	f.expect(OutcomeInvalid)
	cm.publish(map[string]string{"main.pipe.hcl": configMapPipeline})
	c = f.expect(OutcomeApplied)
	if c.ToRun != 2 {
		t.Errorf("after the fix: %+v", c)
	}
	if runs := f.runs(); len(runs) != 3 {
		t.Errorf("%d runs, want 3", len(runs))
	}
	if code, body, _ := f.get("/readyz"); code != 200 {
		t.Errorf("/readyz: %d\n%s", code, body)
	}
}
