package deploy

// The tests in cluster_*_test.go run on the real test cluster of
// deploy/k8stest (make test-k8s); without one they skip.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pipe-ml/pipe/deploy/k8stest"
)

// variant is what a cluster test changes in an overlay, through a
// kustomization of its own around it: the overlay's files stay as they
// are.
type variant struct {
	// env are KEY=VALUE literals merged into the pipe-env ConfigMap.
	env []string
	// image replaces the overlay's image (NAME:TAG).
	image string
	// patches are strategic-merge patches (YAML documents).
	patches []string
	// components are components of deploy/components added to the
	// overlay, by name.
	components []string
}

// renderInto renders the kustomization in dir (a path from this package's
// folder, as installCases gives it) into namespace ns with v's changes,
// with Kustomize's library as the other tests do.
func renderInto(t *testing.T, dir, ns string, v variant) []byte {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	wrap := t.TempDir()
	// Kustomize takes only relative paths to other kustomizations.
	rel, err := filepath.Rel(wrap, abs)
	if err != nil {
		t.Fatal(err)
	}
	var k strings.Builder
	fmt.Fprintf(&k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\nnamespace: %s\n", rel, ns)
	if len(v.components) > 0 {
		k.WriteString("components:\n")
		for _, c := range v.components {
			fmt.Fprintf(&k, "  - %s\n", filepath.Join(rel, "../../components", c))
		}
	}
	if len(v.env) > 0 {
		k.WriteString("configMapGenerator:\n  - name: pipe-env\n    behavior: merge\n    literals:\n")
		for _, e := range v.env {
			fmt.Fprintf(&k, "      - %q\n", e)
		}
	}
	if v.image != "" {
		// The dev overlay's image, and the base's that prod tags.
		name, tag, _ := strings.Cut(v.image, ":")
		k.WriteString("images:\n")
		for _, from := range []string{"pipe", "ghcr.io/pipe-ml/pipe"} {
			fmt.Fprintf(&k, "  - name: %s\n    newName: %s\n    newTag: %q\n", from, name, tag)
		}
	}
	if len(v.patches) > 0 {
		k.WriteString("patches:\n")
		for i, p := range v.patches {
			file := fmt.Sprintf("patch-%d.yaml", i)
			if err := os.WriteFile(filepath.Join(wrap, file), []byte(p), 0o644); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&k, "  - path: %s\n", file)
		}
	}
	if err := os.WriteFile(filepath.Join(wrap, "kustomization.yaml"), []byte(k.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := kustomize(wrap)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// apply is `kubectl apply --server-side` of manifests, with extra flags
// (--dry-run=server, -l SELECTOR).
func apply(ctx context.Context, c *k8stest.Cluster, manifests []byte, flags ...string) (string, error) {
	args := append([]string{"apply", "--server-side", "--field-manager=pipe-test", "-f", "-"}, flags...)
	return c.Kubectl(ctx, bytes.NewReader(manifests), args...)
}

// serverPod is the Ready pod of pipe serve in ns.
func serverPod(ctx context.Context, t *testing.T, c *k8stest.Cluster, ns string) *corev1.Pod {
	t.Helper()
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=server"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pods.Items {
		if p := &pods.Items[i]; p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			return p
		}
	}
	t.Fatalf("no running pipe serve pod in %s:\n%s", ns, c.Diagnose(ctx, ns))
	return nil
}

// get fetches url (serve's port on a pod's address: the host reaches pods
// directly) and returns the status code and body.
func get(ctx context.Context, url string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// getJSON fetches url and decodes its JSON body into v, failing the test
// on anything but 200.
func getJSON(ctx context.Context, t *testing.T, url string, v any) {
	t.Helper()
	code, body, err := get(ctx, url)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET %s: %d %v: %s", url, code, err, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}

// eventually polls cond every half second until it holds or d passes;
// then it fails the test with what, and msg's last account.
func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(d)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("after %s, still not %s: %s", d, what, msg)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// gendata writes count rows of the synthetic privacy-intent data (fixed
// seed) as a Parquet file at path, readable by the pods' user.
func gendata(t *testing.T, path string, rows, seed int) {
	t.Helper()
	gendataDim(t, path, rows, seed, 584)
}

// gendataDim is gendata with dim features per row.
func gendataDim(t *testing.T, path string, rows, seed, dim int) {
	t.Helper()
	cmd := exec.Command("go", "run", "./cmd/pipe-gendata", "-rows", fmt.Sprint(rows), "-seed", fmt.Sprint(seed),
		"-dim", fmt.Sprint(dim), "-out", path)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pipe-gendata: %v\n%s", err, out)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
}
