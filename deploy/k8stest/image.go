package k8stest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// PipeImage is the tag the dev overlay runs (deploy/overlays/dev), under
// which Image builds the image.
const PipeImage = "pipe:dev"

// TestImage is the tag of pipe's image built with the pipetest build tag
// (the test step kinds and failpoints), which the kubernetes executor's
// tests run as their workers.
const TestImage = "pipe:pipetest"

// imageBuild is one tag's build, done once per test process.
type imageBuild struct {
	once sync.Once
	log  string
	err  error
}

var builds sync.Map // tag → *imageBuild

// Image builds pipe's image from the repository's Dockerfile with
// cluster/image.sh (base images made locally, the build on the cluster's
// Docker daemon), imports it into the node's containerd, and returns its
// tag, PipeImage. It builds once per test process; a failed build fails
// every test that asks, each with the build's output.
func (c *Cluster) Image(t testing.TB) string {
	t.Helper()
	return c.BuildImage(t, PipeImage, "")
}

// BuildImage is Image for another tag, built with the Go build tags
// goTags (comma-separated, "" for none): TestImage with "pipetest".
func (c *Cluster) BuildImage(t testing.TB, tag, goTags string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(tag, &imageBuild{})
	b := v.(*imageBuild)
	b.once.Do(func() {
		script, err := scriptPath("image.sh")
		if err != nil {
			b.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, script, tag)
		cmd.Env = append(os.Environ(), "PIPE_K8S_STATE="+c.State, "PIPE_IMAGE_TAGS="+goTags)
		out, err := cmd.CombinedOutput()
		b.log = string(out)
		if err != nil {
			b.err = fmt.Errorf("k8stest: %s %s: %v", script, tag, err)
		}
	})
	if b.err != nil {
		t.Fatalf("%v:\n%s", b.err, clip(b.log))
	}
	return tag
}

// ImageLog is the output of the image's build (empty before Image).
func ImageLog() string {
	if v, ok := builds.Load(PipeImage); ok {
		return v.(*imageBuild).log
	}
	return ""
}

// scriptPath is the path of a script in cluster/, found beside this
// source file, so that the checkout under test builds its own image.
func scriptPath(name string) (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", fmt.Errorf("k8stest: cannot find cluster/%s (this package was built with -trimpath?)", name)
	}
	p := filepath.Join(filepath.Dir(file), "cluster", name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("k8stest: %w", err)
	}
	return p, nil
}

// ImageSize is the size in bytes of the image tag on the cluster's Docker
// daemon.
func (c *Cluster) ImageSize(ctx context.Context, tag string) (string, error) {
	out, err := c.Docker(ctx, "image", "inspect", "-f", "{{.Size}}", tag)
	return strings.TrimSpace(out), err
}
