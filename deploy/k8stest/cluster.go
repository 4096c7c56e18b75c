package k8stest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Cluster is the running test cluster, as up.sh described it in
// cluster.env.
type Cluster struct {
	// State is the cluster's folder (PIPE_K8S_STATE, default
	// /tmp/pipe-k8s).
	State string
	// Kubeconfig is the path of an admin kubeconfig.
	Kubeconfig string
	// Config and Client reach the API server as an admin
	// (system:masters).
	Config *rest.Config
	Client kubernetes.Interface
	// Node is the one node's name.
	Node string
	// HostIP is the bridge's address: the node's InternalIP, where the API
	// server listens and where pods reach a server a test runs on the
	// host.
	HostIP string
	// DockerHost is the cluster's Docker daemon (DOCKER_HOST form).
	DockerHost string
	// ContainerdAddress is the node's containerd socket.
	ContainerdAddress string
	// Bin holds kubectl, crictl and the cluster's other binaries.
	Bin string

	env map[string]string
}

// DefaultState is where up.sh keeps the cluster unless PIPE_K8S_STATE says
// otherwise.
const DefaultState = "/tmp/pipe-k8s"

// howToRun is what a skipped test says.
const howToRun = "run `make test-k8s` (it builds the binaries once, starts the cluster, runs these tests and tears it down), " +
	"or deploy/k8stest/cluster/up.sh before go test and down.sh after; PIPE_REQUIRE_K8S=1 turns this skip into a failure"

var (
	connectOnce sync.Once
	connected   *Cluster
	connectErr  error
)

// Connect returns the test cluster. When none is up it skips the test
// with a message that says how to start one, or fails it when
// PIPE_REQUIRE_K8S=1 (as in CI). Under go test -short it always skips.
func Connect(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("k8stest: -short: the cluster tests are not short; " + howToRun)
	}
	connectOnce.Do(func() {
		state := os.Getenv("PIPE_K8S_STATE")
		if state == "" {
			state = DefaultState
		}
		connected, connectErr = Open(state)
	})
	if connectErr != nil {
		if os.Getenv("PIPE_REQUIRE_K8S") == "1" {
			t.Fatalf("%v (PIPE_REQUIRE_K8S=1 requires the cluster)", connectErr)
		}
		t.Skipf("%v; %s", connectErr, howToRun)
	}
	return connected
}

// Open reads the cluster that up.sh started in the folder state and
// checks that its API server answers.
func Open(state string) (*Cluster, error) {
	envFile := filepath.Join(state, "cluster.env")
	env, err := readEnv(envFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("k8stest: no test cluster (%s does not exist)", envFile)
	}
	if err != nil {
		return nil, fmt.Errorf("k8stest: %w", err)
	}
	for _, k := range []string{"KUBECONFIG", "K8S_BIN", "K8S_NODE", "K8S_HOST_IP", "DOCKER_HOST", "CONTAINERD_ADDRESS"} {
		if env[k] == "" {
			return nil, fmt.Errorf("k8stest: %s has no %s; start the cluster again with up.sh", envFile, k)
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", env["KUBECONFIG"])
	if err != nil {
		return nil, fmt.Errorf("k8stest: %s: %w", env["KUBECONFIG"], err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("k8stest: %w", err)
	}
	c := &Cluster{
		State:             state,
		Kubeconfig:        env["KUBECONFIG"],
		Config:            cfg,
		Client:            client,
		Node:              env["K8S_NODE"],
		HostIP:            env["K8S_HOST_IP"],
		DockerHost:        env["DOCKER_HOST"],
		ContainerdAddress: env["CONTAINERD_ADDRESS"],
		Bin:               env["K8S_BIN"],
		env:               env,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		return nil, fmt.Errorf("k8stest: the test cluster in %s does not answer (%v); was it torn down? start it with up.sh", state, err)
	}
	return c, nil
}

// readEnv reads KEY=VALUE lines.
func readEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := make(map[string]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			env[k] = v
		}
	}
	return env, sc.Err()
}

// Env is a value up.sh recorded in cluster.env (K8S_SERVER, PID_KUBELET,
// ...), or "".
func (c *Cluster) Env(key string) string { return c.env[key] }

// Kubectl runs the cluster's kubectl (the release of the API server) with
// the admin kubeconfig, stdin (may be nil) as its input, and returns its
// standard output. The error holds its standard error and the command.
func (c *Cluster) Kubectl(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	return c.run(ctx, stdin, []string{"KUBECONFIG=" + c.Kubeconfig}, filepath.Join(c.Bin, "kubectl"), args...)
}

// Docker runs Debian's Docker client against the cluster's daemon.
func (c *Cluster) Docker(ctx context.Context, args ...string) (string, error) {
	docker := "/usr/bin/docker"
	if _, err := os.Stat(docker); err != nil {
		docker = "docker"
	}
	return c.run(ctx, nil, []string{"DOCKER_HOST=" + c.DockerHost}, docker, args...)
}

// Crictl runs crictl against the node's containerd.
func (c *Cluster) Crictl(ctx context.Context, args ...string) (string, error) {
	args = append([]string{"--runtime-endpoint", "unix://" + c.ContainerdAddress}, args...)
	return c.run(ctx, nil, nil, filepath.Join(c.Bin, "crictl"), args...)
}

func (c *Cluster) run(ctx context.Context, stdin io.Reader, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
