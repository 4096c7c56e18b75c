package k8stest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestOpenWithoutCluster checks what a test without a cluster is told:
// which file is missing (Connect adds how to start the cluster).
func TestOpenWithoutCluster(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "cluster.env")+" does not exist") {
		t.Errorf("Open on an empty folder: %v, want it to name cluster.env", err)
	}
	if !strings.Contains(howToRun, "make test-k8s") || !strings.Contains(howToRun, "PIPE_REQUIRE_K8S=1") {
		t.Errorf("the skip message does not say how to run the tests: %s", howToRun)
	}
}

// TestOpenIncompleteState checks that a cluster.env left by a killed up.sh
// (missing keys) is refused with the key named.
func TestOpenIncompleteState(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cluster.env"), []byte("PIPE_K8S_STATE="+dir+"\nKUBECONFIG=/nowhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "has no K8S_BIN") {
		t.Errorf("Open on an incomplete cluster.env: %v, want it to name the missing K8S_BIN", err)
	}
}

// TestConnect runs on the cluster: the node is Ready and the admin may do
// anything, the kubelet's identity only what the Node authorizer allows
// (RBAC is on).
func TestConnect(t *testing.T) {
	c := Connect(t)
	ctx := t.Context()
	out, err := c.Kubectl(ctx, nil, "get", "node", c.Node, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")
	if err != nil || out != "True" {
		t.Fatalf("node %s Ready=%q (%v)", c.Node, out, err)
	}
	out, err = c.Kubectl(ctx, nil, "auth", "can-i", "list", "secrets", "--all-namespaces", "--as", "system:node:"+c.Node, "--as-group", "system:nodes")
	if !strings.HasPrefix(out, "no") {
		t.Errorf("the node may list every Secret (%q, %v): is --authorization-mode=Node,RBAC on?", out, err)
	}
	ns := c.Namespace(t, "connect")
	if _, err := c.Client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Errorf("namespace %s: %v", ns, err)
	}
}
