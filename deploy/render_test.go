package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// repoRoot is the repository's root, seen from this package's folder.
const repoRoot = ".."

// overlays are the folders a user deploys, relative to the repository root.
var overlays = []string{"deploy/overlays/dev", "deploy/overlays/prod"}

// renders caches kustomize's output by folder: several tests read the same
// overlay.
var renders sync.Map // string -> renderResult

type renderResult struct {
	out []byte
	err error
}

// kustomize renders the kustomization in dir with Kustomize's library, the
// way `kubectl kustomize dir` does (files outside the kustomization's root
// refused, no plugins).
func kustomize(dir string) ([]byte, error) {
	if r, ok := renders.Load(dir); ok {
		return r.(renderResult).out, r.(renderResult).err
	}
	out, err := func() ([]byte, error) {
		opts := krusty.MakeDefaultOptions()
		opts.Reorder = krusty.ReorderOptionLegacy // kubectl's order
		m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			return nil, fmt.Errorf("kustomize %s: %w", dir, err)
		}
		return m.AsYaml()
	}()
	renders.Store(dir, renderResult{out, err})
	return out, err
}

// mustKustomize is kustomize for a test.
func mustKustomize(t *testing.T, dir string) []byte {
	t.Helper()
	out, err := kustomize(dir)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// splitDocuments splits a multi-document YAML stream, dropping empty
// documents.
func splitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "---" {
			continue
		}
		docs = append(docs, doc)
	}
}

// strict decodes Kubernetes objects into the k8s.io/api types, refusing
// unknown fields, duplicate fields and wrong types.
var strict = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// decodeStrict decodes one document into its k8s.io/api type.
func decodeStrict(doc []byte) (runtime.Object, error) {
	obj, _, err := strict.Decode(doc, nil, nil)
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// renderObjects renders dir and decodes every object strictly.
func renderObjects(t *testing.T, dir string) []runtime.Object {
	t.Helper()
	docs, err := splitDocuments(mustKustomize(t, dir))
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	var objs []runtime.Object
	for i, doc := range docs {
		obj, err := decodeStrict(doc)
		if err != nil {
			t.Fatalf("%s: object %d does not decode strictly: %v\n%s", dir, i+1, err, doc)
		}
		objs = append(objs, obj)
	}
	return objs
}

// objectKey names an object in a rendered stream.
func objectKey(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	return fmt.Sprintf("%v %v %v/%v", obj["apiVersion"], obj["kind"], meta["namespace"], meta["name"])
}

// genericObjects decodes a rendered stream into maps keyed by objectKey.
func genericObjects(data []byte) (map[string]map[string]any, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, err
	}
	objs := make(map[string]map[string]any)
	for _, doc := range docs {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, err
		}
		k := objectKey(obj)
		if _, dup := objs[k]; dup {
			return nil, fmt.Errorf("%s appears twice", k)
		}
		objs[k] = obj
	}
	return objs, nil
}

// kustomizeDirs are all the kustomizations in the repository that render on
// their own (components do not: they are tested through prodVariant).
var kustomizeDirs = append([]string{"deploy/base", "deploy/monitoring"}, overlays...)

// TestEveryKustomizationIsTested keeps kustomizeDirs and the components
// list complete: a new overlay or component is rendered by these tests or
// this test fails.
func TestEveryKustomizationIsTested(t *testing.T) {
	known := make(map[string]bool)
	for _, d := range kustomizeDirs {
		known[d] = true
	}
	for _, c := range credentialComponents {
		known["deploy/components/"+c.name] = true
	}
	for _, c := range optInComponents {
		known["deploy/components/"+c] = true
	}
	known["pipelines"] = true // rendered through deploy/base
	err := filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != "kustomization.yaml" {
			return nil
		}
		rel, err := filepath.Rel(repoRoot, filepath.Dir(path))
		if err != nil {
			return err
		}
		if !known[filepath.ToSlash(rel)] {
			t.Errorf("%s has a kustomization.yaml that no test renders; add it to kustomizeDirs or credentialComponents", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKubectlRendersTheSame renders every kustomization with kubectl too,
// when it is installed, and compares the objects: the library the tests
// use and the binary users run must agree.
func TestKubectlRendersTheSame(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed; the in-process render is still tested")
	}
	dirs := make(map[string]string) // test name -> folder
	for _, d := range kustomizeDirs {
		dirs[filepath.Base(d)] = d
	}
	for _, c := range credentialComponents {
		dirs["prod+"+c.name] = prodVariant(t, c.name)
	}
	dirs["prod+"+executorComponent] = executorOverlay(t)
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			path := dir
			if !filepath.IsAbs(path) {
				path = filepath.Join(repoRoot, dir)
			}
			cmd := exec.Command(kubectl, "kustomize", path)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			fromKubectl, err := cmd.Output()
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.Bytes())
			}
			want, err := genericObjects(fromKubectl)
			if err != nil {
				t.Fatalf("kubectl's output: %v", err)
			}
			got, err := genericObjects(mustKustomize(t, path))
			if err != nil {
				t.Fatalf("krusty's output: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("kubectl kustomize and krusty differ (-kubectl +krusty):\n%s", diff)
			}
		})
	}
}

// prodVariant copies the prod overlay and everything it reads into a
// temporary folder, with the credentials component replaced by the named
// one, and returns the copy's overlay folder: the switch the prod overlay's
// comment documents, tested.
func prodVariant(t *testing.T, component string) string {
	t.Helper()
	return prodOverlay(t, component, "- ../../components/"+component+"\n")
}

// prodOverlay copies the prod overlay as prodVariant does, with the line
// of its credentials component replaced by components (the lines of one
// or more components), and remembers the copy under key.
func prodOverlay(t *testing.T, key, components string) string {
	t.Helper()
	if v, ok := variants.Load(key); ok {
		return v.(string)
	}
	dst, err := os.MkdirTemp("", "pipe-deploy-variant-")
	if err != nil {
		t.Fatal(err)
	}
	variantDirs.Store(dst, true)
	for _, dir := range []string{"deploy/base", "deploy/components", "deploy/overlays/prod", "pipelines"} {
		if err := copyTree(filepath.Join(repoRoot, dir), filepath.Join(dst, dir)); err != nil {
			t.Fatal(err)
		}
	}
	kpath := filepath.Join(dst, "deploy/overlays/prod/kustomization.yaml")
	k, err := os.ReadFile(kpath)
	if err != nil {
		t.Fatal(err)
	}
	const current = "- ../../components/gke-workload-identity\n"
	if bytes.Count(k, []byte(current)) != 1 {
		t.Fatalf("deploy/overlays/prod/kustomization.yaml should list %q once under components", strings.TrimSpace(current))
	}
	k = bytes.Replace(k, []byte(current), []byte(components), 1)
	if err := os.WriteFile(kpath, k, 0o644); err != nil {
		t.Fatal(err)
	}
	overlay := filepath.Join(dst, "deploy/overlays/prod")
	variants.Store(key, overlay)
	return overlay
}

var (
	variants    sync.Map // component -> overlay folder
	variantDirs sync.Map // temporary folders to remove after the tests
)

func TestMain(m *testing.M) {
	code := m.Run()
	variantDirs.Range(func(k, _ any) bool {
		os.RemoveAll(k.(string))
		return true
	})
	os.Exit(code)
}

// copyTree copies the regular files under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
