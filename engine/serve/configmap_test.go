package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/engine/serve/applies"
	"github.com/pipe-ml/pipe/engine/workspace"
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
	// data folder is given as ../data (the deployment gives /data), and
	// allowed as the deployment allows it (PIPE_ALLOWED_PATHS).
	root := t.TempDir()
	cm := &configMap{t: t, dir: filepath.Join(root, "pipelines")}
	data := filepath.Join(root, "data")
	write(t, filepath.Join(data, "a.txt"), "hello\n")
	if err := os.Mkdir(cm.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cm.publish(map[string]string{"main.pipe.hcl": configMapPipeline})
	f := start(t, cm.dir, func(o *Options) {
		o.Workspace.Env = append(o.Workspace.Env, "PIPE_VAR_data_dir=../data", "PIPE_ALLOWED_PATHS="+filepath.Join(root, "data"))
		o.Workspace.Vars.Env = o.Workspace.Env
	})
	c := f.expect(applies.OutcomeApplied)
	if c.Reason != "start" {
		t.Errorf("first check: %+v", c)
	}
	var st api.Status
	f.getJSON("/api/status", 200, &st)
	// A folder outside the pipeline folder is shown by its name only.
	if want := "…/" + filepath.Base(data) + ",."; strings.Join(st.Watching, ",") != want {
		t.Errorf("watching %v, want %s", st.Watching, want)
	}

	// A new version of the ConfigMap: one check, one run, by watch.
	cm.publish(map[string]string{"main.pipe.hcl": strings.Replace(configMapPipeline, "default = 2", "default = 3", 1)})
	c = f.expect(applies.OutcomeApplied)
	if c.Trigger != "watch" || c.Status != "succeeded" || c.ToRun != 1 || c.Cached != 1 {
		t.Errorf("check after the swap: %+v", c)
	}
	// A touch of the data afterwards is the sentinel: whatever the swap
	// triggered has been handled before it.
	write(t, filepath.Join(data, "a.txt"), "hello\n")
	for c = f.next(); c.Outcome != applies.OutcomeUpToDate; c = f.next() {
		if c.Outcome == applies.OutcomeApplied {
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
	f.expect(applies.OutcomeInvalid)
	code, body, _ := f.get("/readyz")
	if code != 503 || !strings.Contains(body, "extra.pipe.hcl") {
		t.Errorf("/readyz: %d\n%s", code, body)
	}
	write(t, filepath.Join(data, "b.txt"), "new data\n")
	f.expect(applies.OutcomeInvalid)
	cm.publish(map[string]string{"main.pipe.hcl": configMapPipeline})
	c = f.expect(applies.OutcomeApplied)
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

// TestConfigMapSwapDuringALoad swaps ..data while the pipeline is being
// read: the load is thrown away and the new version read whole.
func TestConfigMapSwapDuringALoad(t *testing.T) {
	root := t.TempDir()
	cm := &configMap{t: t, dir: filepath.Join(root, "pipelines")}
	write(t, filepath.Join(root, "data", "a.txt"), "hello\n")
	if err := os.Mkdir(cm.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(configMapPipeline, "default = 2", "default = 3", 1)
	cm.publish(map[string]string{"main.pipe.hcl": configMapPipeline})
	var loads atomic.Int32
	f := start(t, cm.dir, func(o *Options) {
		o.Workspace.Env = append(o.Workspace.Env, "PIPE_VAR_data_dir=../data", "PIPE_ALLOWED_PATHS="+filepath.Join(root, "data"))
		o.Workspace.Vars.Env = o.Workspace.Env
		o.Watch = false
		o.resolve = func(o workspace.Options) (*workspace.Workspace, hcl.Diagnostics) {
			ws, diags := workspace.Resolve(o)
			if loads.Add(1) == 1 {
				cm.publish(map[string]string{"main.pipe.hcl": v2}) // kubelet, mid-read
			}
			return ws, diags
		}
	})
	f.get("/healthz") // serve answers once the first load is done
	if n := loads.Load(); n != 2 {
		t.Errorf("%d loads, want 2: the one the swap spoilt and the one after", n)
	}
	l := f.srv.snapshot()
	if !l.Valid || l.Generation != "..2026_11_25_02_00_02.123456791" {
		t.Fatalf("load: valid %v, generation %q", l.Valid, l.Generation)
	}
	src := string(l.Workspace.Pipeline.Config.Sources[filepath.Join(cm.dir, "main.pipe.hcl")])
	if !strings.Contains(src, "default = 3") {
		t.Errorf("the load kept the old version:\n%s", src)
	}
}
