package k8stest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// dumpLimit bounds each piece of a dump, so that one chatty log does not
// bury the rest.
const dumpLimit = 16 << 10

// Dump writes to the test's log what a platform engineer reads when
// something in namespace ns went wrong: `kubectl get` of its objects and
// events, `kubectl describe` of its pods, Jobs, Deployments and claims,
// each container's log (and the previous one's after a restart), `kubectl
// describe node`, and the end of the kubelet's and containerd's logs.
// Namespace calls it when a test fails.
func (c *Cluster) Dump(t testing.TB, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var b strings.Builder
	section := func(title, body string, err error) {
		fmt.Fprintf(&b, "\n===== %s\n", title)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
		b.WriteString(clip(body))
	}
	out, err := c.Kubectl(ctx, nil, "-n", ns, "get", "all,pvc,configmaps,events", "-o", "wide")
	section("kubectl -n "+ns+" get all,pvc,configmaps,events", out, err)
	for _, kind := range []string{"pods", "jobs", "deployments", "pvc"} {
		out, err := c.Kubectl(ctx, nil, "-n", ns, "describe", kind)
		section("kubectl -n "+ns+" describe "+kind, out, err)
	}
	if pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range pods.Items {
			for _, s := range p.Status.ContainerStatuses {
				out, err := c.Kubectl(ctx, nil, "-n", ns, "logs", p.Name, "-c", s.Name)
				section(fmt.Sprintf("kubectl -n %s logs %s -c %s", ns, p.Name, s.Name), out, err)
				if s.RestartCount > 0 {
					out, err := c.Kubectl(ctx, nil, "-n", ns, "logs", p.Name, "-c", s.Name, "--previous")
					section(fmt.Sprintf("kubectl -n %s logs %s -c %s --previous", ns, p.Name, s.Name), out, err)
				}
			}
		}
	}
	out, err = c.Kubectl(ctx, nil, "describe", "node", c.Node)
	section("kubectl describe node "+c.Node, out, err)
	for _, name := range []string{"kubelet", "containerd"} {
		path := filepath.Join(c.State, "logs", name+".log")
		section(path+" (the end)", Tail(path, 60), nil)
	}
	t.Logf("k8stest: what namespace %s looked like when the test failed:%s", ns, b.String())
}

// clip keeps the end of s when it is longer than dumpLimit: the end of a
// log says how it ended.
func clip(s string) string {
	if len(s) > dumpLimit {
		s = "[...]\n" + s[len(s)-dumpLimit:]
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// Tail is the last n lines of the file at path (or why it cannot be
// read): for a test's log of a server it started.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
