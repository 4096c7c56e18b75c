package kubernetes_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/pipe-ml/pipe/deploy/k8stest"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/executor/kubernetes"
)

// The tests in this file run the executor against the test cluster
// (deploy/k8stest) on what needs no worker: the checks before the first
// Job and the failures a Job meets before its pod starts. The tests of
// cmd_cluster_test.go run real steps.

// recorder collects a task's events.
type recorder struct {
	mu     sync.Mutex
	events []executor.Event
	seen   chan struct{}
}

func newRecorder() *recorder { return &recorder{seen: make(chan struct{}, 1)} }

func (r *recorder) add(e executor.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.seen <- struct{}{}:
	default:
	}
}

// waitFor waits until an event satisfies match, and returns it.
func (r *recorder) waitFor(t *testing.T, d time.Duration, what string, match func(executor.Event) bool) executor.Event {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		for _, e := range r.events {
			if match(e) {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case <-r.seen:
		case <-deadline:
			t.Fatalf("no %s event after %s; events: %s", what, d, r)
		}
	}
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		fmt.Fprintf(&b, "\n  %s shard=%d where=%s reason=%q line=%q", e.Type, e.Shard, e.Where, e.Reason, e.Line)
	}
	return b.String()
}

// fakeDigest stands for a step-input document no worker reads.
var fakeDigest = "sha256:" + strings.Repeat("1", 64)

// missingImage is an image no node has, which cannot be pulled.
var missingImage = "docker.io/library/pipe-missing@sha256:" + strings.Repeat("0", 64)

// task is a step the executor runs.
func task(rec *recorder, key string, res executor.Resources) *executor.Task {
	return &executor.Task{
		Pipeline: "cluster-test", RunID: 1, Step: "transform.t", Kind: "transform",
		Key: key, Input: fakeDigest, Resources: res, Events: rec.add,
	}
}

// key is a cache key of the test's own, so that two tests' Jobs never
// share a name.
func key(t *testing.T) string {
	t.Helper()
	sum := sha256.Sum256(fmt.Appendf(nil, "%s %d", t.Name(), time.Now().UnixNano()))
	return hex.EncodeToString(sum[:])
}

// namespace is a test namespace with the workers' ServiceAccount.
func namespace(t *testing.T, c *k8stest.Cluster) string {
	t.Helper()
	ns := c.Namespace(t, "kexec")
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: kubernetes.DefaultServiceAccount}, AutomountServiceAccountToken: new(bool)}
	if _, err := c.Client.CoreV1().ServiceAccounts(ns).Create(context.Background(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// config is the executor's configuration for ns as the cluster's admin.
func config(c *k8stest.Cluster, ns, image string) kubernetes.Config {
	return kubernetes.Config{REST: c.Config, Namespace: ns, Store: "gs://pipe-test/pipe", Image: image, Coordinator: "test"}
}

// runFast runs the task and checks that it fails within d, with a
// message holding every want.
func runFast(t *testing.T, e *kubernetes.Executor, tk *executor.Task, d time.Duration, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	err := e.Run(ctx, tk)
	took := time.Since(start)
	if err == nil {
		t.Fatal("Run succeeded")
	}
	if took > d {
		t.Errorf("Run took %s to fail, more than %s: %v", took.Round(time.Millisecond), d, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q:\n%v", w, err)
		}
	}
	t.Logf("after %s: %v", took.Round(time.Millisecond), err)
}

// noJobs checks that ns holds no Job and no pod.
func noJobs(t *testing.T, c *k8stest.Cluster, ns string) {
	t.Helper()
	ctx := context.Background()
	jobs, err := c.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Items) > 0 || len(pods.Items) > 0 {
		t.Errorf("%d Jobs and %d pods left in %s", len(jobs.Items), len(pods.Items), ns)
	}
}

// TestClusterUnreachable: an API server that does not answer is said so
// within seconds, before anything is made.
func TestClusterUnreachable(t *testing.T) {
	c := k8stest.Connect(t)
	rc := rest.CopyConfig(c.Config)
	rc.Host = "https://127.0.0.1:9"
	cfg := config(c, "default", missingImage)
	cfg.REST = rc
	rec := newRecorder()
	runFast(t, kubernetes.New(cfg), task(rec, key(t), executor.Resources{}), 15*time.Second,
		"step transform.t", "cannot reach the API server at https://127.0.0.1:9", "KUBECONFIG")
}

// TestClusterMissingNamespace names the namespace and what to do.
func TestClusterMissingNamespace(t *testing.T) {
	c := k8stest.Connect(t)
	rec := newRecorder()
	k := key(t)
	runFast(t, kubernetes.New(config(c, "pipe-no-such-namespace", missingImage)), task(rec, k, executor.Resources{}), 15*time.Second,
		"step transform.t", "Job pipe-no-such-namespace/"+kubernetes.JobName("transform", k), "namespace pipe-no-such-namespace does not exist", "kubectl create namespace", kubernetes.EnvNamespace)
}

// TestClusterMissingImage: an image that cannot be pulled ends the run
// within seconds, naming the image, and the Job goes.
func TestClusterMissingImage(t *testing.T) {
	c := k8stest.Connect(t)
	ns := namespace(t, c)
	rec := newRecorder()
	k := key(t)
	runFast(t, kubernetes.New(config(c, ns, missingImage)), task(rec, k, executor.Resources{}), 60*time.Second,
		"step transform.t", "Job "+ns+"/"+kubernetes.JobName("transform", k), "cannot pull the image "+missingImage, kubernetes.EnvImage, "nothing was written to the store")
	noJobs(t, c, ns)
}

// TestClusterMissingWorkerServiceAccount: a Job whose pods cannot be made
// for want of the workers' ServiceAccount ends at once.
func TestClusterMissingWorkerServiceAccount(t *testing.T) {
	c := k8stest.Connect(t)
	ns := c.Namespace(t, "kexec")
	rec := newRecorder()
	runFast(t, kubernetes.New(config(c, ns, missingImage)), task(rec, key(t), executor.Resources{}), 30*time.Second,
		"ServiceAccount pipe-worker does not exist", "deploy/components/kubernetes-executor", kubernetes.EnvServiceAccount)
	noJobs(t, c, ns)
}

// TestClusterQuota: a Job over its namespace's quota is reported as
// waiting, with the quota's words; cancelling then deletes it.
func TestClusterQuota(t *testing.T) {
	c := k8stest.Connect(t)
	ns := namespace(t, c)
	ctx := context.Background()
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "small"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"requests.memory": resource.MustParse("64Mi")}},
	}
	if _, err := c.Client.CoreV1().ResourceQuotas(ns).Create(ctx, quota, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	e := kubernetes.New(config(c, ns, missingImage))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(runCtx, task(rec, key(t), executor.Resources{Memory: "1Gi"})) }()
	ev := rec.waitFor(t, time.Minute, "waiting for quota", func(e executor.Event) bool { return e.Type == executor.Waiting })
	for _, w := range []string{"waiting for quota", "exceeded quota: small", "requested: requests.memory=1Gi", "limited: requests.memory=64Mi"} {
		if !strings.Contains(ev.Reason, w) {
			t.Errorf("the waiting reason does not say %q: %s", w, ev.Reason)
		}
	}
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("a cancelled Run returned %v", err)
	}
	noJobs(t, c, ns)
}

// TestClusterRoleMissingVerb: the coordinator under a Role lacking one of
// the permissions it needs is refused before any Job, with a message
// naming the verb and the resource; under the whole Role it passes.
func TestClusterRoleMissingVerb(t *testing.T) {
	c := k8stest.Connect(t)
	ns := namespace(t, c)
	for i, p := range kubernetes.Permissions {
		t.Run(strings.ReplaceAll(p.String(), " ", "_"), func(t *testing.T) {
			rest := append(append([]kubernetes.Permission{}, kubernetes.Permissions[:i]...), kubernetes.Permissions[i+1:]...)
			cfg := config(c, ns, missingImage)
			cfg.REST = coordinatorIdentity(t, c, ns, fmt.Sprintf("coord-%d", i), rest)
			runFast(t, kubernetes.New(cfg), task(newRecorder(), key(t), executor.Resources{}), 15*time.Second,
				"may not "+p.String()+" in namespace "+ns, "system:serviceaccount:"+ns+":coord-", "deploy/components/kubernetes-executor/rbac.yaml")
			noJobs(t, c, ns)
		})
	}
	// The whole Role is enough to create, follow and delete a Job (here
	// one whose image cannot be pulled).
	cfg := config(c, ns, missingImage)
	cfg.REST = coordinatorIdentity(t, c, ns, "coord-all", kubernetes.Permissions)
	runFast(t, kubernetes.New(cfg), task(newRecorder(), key(t), executor.Resources{}), time.Minute, "cannot pull the image")
	noJobs(t, c, ns)
}

// coordinatorIdentity makes a ServiceAccount bound to a Role granting
// perms in ns and returns a client configuration that acts as it.
func coordinatorIdentity(t *testing.T, c *k8stest.Cluster, ns, name string, perms []kubernetes.Permission) *rest.Config {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, p := range perms {
		r := p.Resource
		if p.Subresource != "" {
			r += "/" + p.Subresource
		}
		role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{p.Group}, Resources: []string{r}, Verbs: []string{p.Verb}})
	}
	if _, err := c.Client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
	}
	if _, err := c.Client.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: new(int64(3600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rc := rest.AnonymousClientConfig(c.Config)
	rc.BearerToken = tok.Status.Token
	return rc
}
