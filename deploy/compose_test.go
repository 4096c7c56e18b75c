package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/deploy/k8stest"
)

// The compose file run for real: both images built on this machine by
// deploy/compose/images.sh (what make compose runs), the file validated by
// compose itself, serve beside the GCS emulator, one apply.

// composeCommand returns the compose client: Compose v2 (docker compose)
// when the Docker client has it, else Debian's docker-compose (v1). The
// test skips without either, or fails under PIPE_REQUIRE_K8S=1 (CI, where
// the test cluster's daemon runs it).
func composeCommand(t *testing.T) []string {
	t.Helper()
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	if bin, err := exec.LookPath("docker-compose"); err == nil {
		return []string{bin}
	}
	if os.Getenv("PIPE_REQUIRE_K8S") == "1" {
		t.Fatal("no compose client (docker compose, or apt-get install docker-compose); PIPE_REQUIRE_K8S=1 requires it")
	}
	t.Skip("no compose client (docker compose, or apt-get install docker-compose)")
	return nil
}

// dockerEngine returns a DOCKER_HOST whose daemon answers: DOCKER_HOST
// itself, the default socket, or the test cluster's daemon when one is up
// (make test-k8s, as in CI). Without one the test skips.
func dockerEngine(t *testing.T) string {
	t.Helper()
	answers := func(host string) bool {
		cmd := exec.Command(dockerClient(), "version")
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
		return cmd.Run() == nil
	}
	if host := os.Getenv("DOCKER_HOST"); host != "" {
		if !answers(host) {
			t.Fatalf("DOCKER_HOST=%s does not answer", host)
		}
		return host
	}
	if answers("unix:///var/run/docker.sock") {
		return "unix:///var/run/docker.sock"
	}
	state := os.Getenv("PIPE_K8S_STATE")
	if state == "" {
		state = k8stest.DefaultState
	}
	if c, err := k8stest.Open(state); err == nil && answers(c.DockerHost) {
		return c.DockerHost
	}
	t.Skip("no Docker engine: set DOCKER_HOST, start dockerd (docs/deployment.md, Building without a registry), or run make test-k8s")
	return ""
}

// dockerClient is Debian's Docker client when installed (BuildKit built
// in), else the docker on PATH.
func dockerClient() string {
	if _, err := os.Stat("/usr/bin/docker"); err == nil {
		return "/usr/bin/docker"
	}
	return "docker"
}

// composeProject is deploy/compose/docker-compose.yml as one project of
// the test's own (its name, ports and data), on one Docker engine.
type composeProject struct {
	cmd []string
	env []string
}

// run runs compose with args and returns its combined output.
func (p *composeProject) run(ctx context.Context, args ...string) (string, error) {
	argv := append(append(append([]string(nil), p.cmd[1:]...),
		"-f", filepath.Join(repoRoot, "deploy/compose/docker-compose.yml")), args...)
	cmd := exec.CommandContext(ctx, p.cmd[0], argv...)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v", strings.Join(p.cmd, " "), strings.Join(args, " "), err)
	}
	return string(out), nil
}

// TestComposeRuns brings deploy/compose up as make compose does: images.sh
// builds pipe:dev from the Dockerfile (its base images made locally) and
// the GCS emulator's image from its module; compose validates the file,
// starts serve beside the emulator on ports of the test's own, serve's
// /readyz answers 200, a one-off `run --rm pipe apply` (the file's own
// documented command) succeeds against the emulator, serve lists the run
// as succeeded, the emulator's bucket holds the published model, and
// `down -v` removes containers, network and volumes.
func TestComposeRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two images and runs compose; skipped with -short")
	}
	compose := composeCommand(t)
	host := dockerEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()

	images := exec.CommandContext(ctx, filepath.Join(repoRoot, "deploy/compose/images.sh"))
	images.Env = append(os.Environ(), "DOCKER_HOST="+host)
	var imagesLog strings.Builder
	images.Stderr = &imagesLog
	out, err := images.Output()
	if err != nil {
		t.Fatalf("deploy/compose/images.sh: %v\n%s", err, clipTail(imagesLog.String(), 4000))
	}
	gcsImage, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "FAKE_GCS_IMAGE=")
	if !ok {
		t.Fatalf("images.sh printed %q, want FAKE_GCS_IMAGE=NAME", out)
	}

	// The training data: readable by the container's user (65532).
	data, err := os.MkdirTemp("", "pipe-compose-data-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(data) })
	gendata(t, filepath.Join(data, "corpus.parquet"), 1500, 1)
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(data, "corpus.parquet"), 0o644); err != nil {
		t.Fatal(err)
	}

	servePort, gcsPort := portOf(freeAddr(t)), portOf(freeAddr(t))
	p := &composeProject{cmd: compose, env: append(os.Environ(),
		"DOCKER_HOST="+host,
		fmt.Sprintf("COMPOSE_PROJECT_NAME=pipetest%d", os.Getpid()),
		"FAKE_GCS_IMAGE="+gcsImage,
		"PIPE_DATA_DIR="+data,
		"PIPE_PORT="+servePort,
		"PIPE_GCS_PORT="+gcsPort)}

	if out, err := p.run(ctx, "config", "-q"); err != nil {
		t.Fatalf("compose does not validate docker-compose.yml: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		down, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if t.Failed() {
			logs, _ := p.run(down, "logs", "--no-color", "--tail=40")
			t.Logf("compose logs:\n%s", logs)
		}
		if out, err := p.run(down, "down", "-v", "--remove-orphans"); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
	})
	if out, err := p.run(ctx, "up", "-d", "--no-build"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	base := "http://127.0.0.1:" + servePort
	eventually(t, 3*time.Minute, "serve's /readyz answering 200 under compose", func() (bool, string) {
		code, body, err := get(ctx, base+"/readyz")
		return err == nil && code == http.StatusOK, fmt.Sprintf("%d %v %s", code, err, body)
	})

	// serve applies at start too: the one-off apply waits for its lock.
	if out, err := p.run(ctx, "run", "--rm", "--no-deps", "pipe", "apply", "-lock-timeout=10m", pipelinesMount); err != nil {
		t.Fatalf("the apply in compose: %v\n%s", err, out)
	}
	var runs struct {
		Runs []apiRun `json:"runs"`
	}
	getJSON(ctx, t, base+"/api/runs", &runs)
	var manual *apiRun
	for i, r := range runs.Runs {
		if r.Trigger == "manual" {
			manual = &runs.Runs[i]
		}
	}
	if manual == nil || manual.Status != "succeeded" || !strings.HasPrefix(manual.StoreURL, "gs://pipe-dev/") {
		t.Errorf("serve's /api/runs after the apply: %+v, want a manual run succeeded on gs://pipe-dev/", runs.Runs)
	}
	var objects struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	getJSON(ctx, t, "http://127.0.0.1:"+gcsPort+"/storage/v1/b/pipe-dev/o?prefix=models/privacy-intent/", &objects)
	if len(objects.Items) == 0 {
		t.Error("the emulator's bucket pipe-dev holds no models/privacy-intent/ objects after the apply")
	}
	raw, _ := json.Marshal(objects.Items)
	t.Logf("published into the emulator: %s", clipTail(string(raw), 400))
}

// portOf returns the port of a host:port address.
func portOf(addr string) string {
	return addr[strings.LastIndex(addr, ":")+1:]
}

// clipTail returns the last n bytes of s.
func clipTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
