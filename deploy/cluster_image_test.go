package deploy

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/deploy/k8stest"
)

// maxImageBytes guards the image's size: about 84 MB is the static binary
// on a base of certificates; far more means something else got in.
const maxImageBytes = 150 << 20

// TestClusterImage checks the image really built from the Dockerfile (by
// k8stest's image.sh, with locally made bases): `version` prints the
// stamped version and commit, and pipe runs as 65532:65532 on a read-only
// root file system, read from the running process itself.
func TestClusterImage(t *testing.T) {
	c := k8stest.Connect(t)
	img := c.Image(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// What image.sh stamped (git describe and the commit of this
	// checkout when it built), as the Dockerfile's labels record it from
	// the same build arguments.
	labels, err := c.Docker(ctx, "image", "inspect", "-f",
		`{{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.revision"}}`, img)
	if err != nil {
		t.Fatal(err)
	}
	version, commit, _ := strings.Cut(strings.TrimSpace(labels), " ")
	if len(commit) != 40 || version == "" || version == "dev" {
		t.Fatalf("image %s is labelled version %q, revision %q: not stamped", img, version, commit)
	}
	if _, err := exec.Command("git", "-C", repoRoot, "cat-file", "-e", commit+"^{commit}").Output(); err != nil {
		t.Errorf("image %s is labelled with revision %s, which is no commit of this repository", img, commit)
	}
	out, err := c.Docker(ctx, "run", "--rm", "--network", "none", "--read-only", img, "version")
	if err != nil {
		t.Fatal(err)
	}
	want := "pipe " + version + " (" + commit[:12] + ")"
	if !strings.HasPrefix(out, want) {
		t.Errorf("docker run %s version printed %q, want it to start with %q", img, out, want)
	}

	// A long-running pipe (serve) to look at from outside: its user and
	// its root mount.
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	id, err := c.Docker(ctx, "run", "-d", "--network", "none", "--read-only", "--tmpfs", "/tmp",
		"-v", dir+":/etc/pipe/pipelines:ro", img, "serve", "-addr=127.0.0.1:8080", "/etc/pipe/pipelines")
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(id)
	t.Cleanup(func() { _, _ = c.Docker(context.Background(), "rm", "-f", id) })
	pidText, err := c.Docker(ctx, "inspect", "-f", "{{.State.Pid}}", id)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(pidText)
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatalf("the container's process: %v", err)
	}
	for _, field := range []string{"Uid", "Gid"} {
		m := regexp.MustCompile(`(?m)^` + field + `:\s+(\d+)\s+(\d+)`).FindStringSubmatch(string(status))
		if m == nil || m[1] != "65532" || m[2] != "65532" {
			t.Errorf("pipe runs with %s %v, want 65532 (the manifests' runAsUser and runAsGroup)", field, m)
		}
	}
	mounts, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\S+ \S+ \S+ \S+ / ro[, ]`).Match(mounts) {
		t.Errorf("the container's root is not mounted read-only:\n%s", mounts)
	}

	size, err := c.ImageSize(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(size, 10, 64)
	t.Logf("image %s: %d bytes (%.1f MB)", img, n, float64(n)/1e6)
	if n <= 0 || n > maxImageBytes {
		t.Errorf("image %s is %d bytes, want at most %d", img, n, maxImageBytes)
	}
}
