package kubernetes

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pipe-ml/pipe/engine/executor"
)

const testKey = "3f2a9c0b7d1e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"

func testTask() *executor.Task {
	retries := 4
	return &executor.Task{
		Pipeline: "privacy-intent", RunID: 42, Step: "search.lr", Kind: "search",
		Key: testKey, Input: "sha256:" + strings.Repeat("ab", 32),
		Resources: executor.Resources{CPU: "2", Memory: "4Gi", EphemeralStorage: "1Gi", Timeout: 90 * time.Minute, Retries: &retries},
	}
}

func testConfig() *Config {
	c := Config{Namespace: "ml", Store: "gs://bucket/pipe", Image: "ghcr.io/pipe-ml/pipe@sha256:" + strings.Repeat("0", 64), Arch: "arm64", Coordinator: "laptop/1"}.withDefaults()
	return &c
}

// TestJobName: the name is a function of kind and key alone, a valid
// DNS label short enough for an Indexed Job's pod hostnames.
func TestJobName(t *testing.T) {
	for _, kind := range []string{"search", "Search", "my_kind.v2", strings.Repeat("k", 80), "!!!"} {
		name := JobName(kind, testKey)
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			t.Errorf("JobName(%q) = %q: %v", kind, name, errs)
		}
		// Indexed Job pods are named JOB-INDEX-xxxxx and their hostname
		// is JOB-INDEX: both must stay within 63 characters.
		if len(name)+len("-63-abcde") > 63 {
			t.Errorf("JobName(%q) = %q is too long for its pods' names", kind, name)
		}
		if !strings.HasSuffix(name, testKey[:20]) {
			t.Errorf("JobName(%q) = %q does not end with the key's first 20 digits", kind, name)
		}
	}
	if JobName("search", testKey) == JobName("search", strings.Replace(testKey, "3f", "4f", 1)) {
		t.Error("two keys give one name")
	}
}

// TestNewJob: every property of point 3 of the issue, on the Job as built.
func TestNewJob(t *testing.T) {
	c, task := testConfig(), testTask()
	j := newJob(c, task)
	if j.Name != JobName("search", testKey) || j.Namespace != "ml" {
		t.Errorf("job %s/%s", j.Namespace, j.Name)
	}
	for k, v := range map[string]string{LabelPipeline: "privacy-intent", LabelRun: "42", LabelStep: "search.lr", LabelManagedBy: "pipe"} {
		if j.Labels[k] != v || j.Spec.Template.Labels[k] != v {
			t.Errorf("label %s: job %q, pod %q; want %q", k, j.Labels[k], j.Spec.Template.Labels[k], v)
		}
	}
	if j.Annotations[AnnotKey] != testKey || j.Annotations[AnnotInput] != task.Input {
		t.Errorf("annotations %v", j.Annotations)
	}
	s := j.Spec
	if *s.BackoffLimit != 4 || *s.ActiveDeadlineSeconds != 5400 || *s.TTLSecondsAfterFinished != 3600 {
		t.Errorf("backoffLimit %d, activeDeadlineSeconds %d, ttl %d", *s.BackoffLimit, *s.ActiveDeadlineSeconds, *s.TTLSecondsAfterFinished)
	}
	if s.CompletionMode != nil || s.BackoffLimitPerIndex != nil {
		t.Error("a task in one piece is an Indexed Job")
	}
	rules := s.PodFailurePolicy.Rules
	if len(rules) != 2 || rules[0].Action != batchv1.PodFailurePolicyActionFailJob ||
		!slices.Equal(rules[0].OnExitCodes.Values, []int32{executor.ExitStepFailed, executor.ExitRefused}) ||
		rules[1].Action != batchv1.PodFailurePolicyActionIgnore || rules[1].OnPodConditions[0].Type != corev1.DisruptionTarget {
		t.Errorf("podFailurePolicy %+v", rules)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever || pod.ServiceAccountName != "pipe-worker" || *pod.AutomountServiceAccountToken {
		t.Errorf("restartPolicy %s, serviceAccount %s, automount %v", pod.RestartPolicy, pod.ServiceAccountName, *pod.AutomountServiceAccountToken)
	}
	if pod.NodeSelector[corev1.LabelArchStable] != "arm64" {
		t.Errorf("nodeSelector %v", pod.NodeSelector)
	}
	ctr := pod.Containers[0]
	if ctr.Image != c.Image || ctr.Command[0] != "pipe" || !slices.Equal(ctr.Args, []string{"step", "exec", "-store", "gs://bucket/pipe", "-termination-log", "/dev/termination-log", "-parallelism", "2", task.Input}) {
		t.Errorf("image %s, command %v %v", ctr.Image, ctr.Command, ctr.Args)
	}
	wantRes := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{"cpu": resource.MustParse("2"), "memory": resource.MustParse("4Gi"), "ephemeral-storage": resource.MustParse("1Gi")},
		Limits:   corev1.ResourceList{"memory": resource.MustParse("4Gi"), "ephemeral-storage": resource.MustParse("1Gi")},
	}
	if !equalResources(ctr.Resources, wantRes) {
		t.Errorf("resources %v, want %v", ctr.Resources, wantRes)
	}
	sc := ctr.SecurityContext
	if !*sc.RunAsNonRoot || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("security context %+v", sc)
	}
	if j.OwnerReferences != nil {
		t.Error("a coordinator outside a pod owns its Jobs")
	}
}

// TestNewJobSigned: a coordinator with a team key trusts only entries
// signed with it, so its workers mount the key's Secret (optional: a
// missing one is the worker's error that it cannot read PIPE_KEY_FILE)
// and are told where it is; a coordinator without one mounts nothing.
func TestNewJobSigned(t *testing.T) {
	c, task := testConfig(), testTask()
	for _, signed := range []bool{false, true} {
		c.Signed = signed
		pod := newJob(c, task).Spec.Template.Spec
		var vol *corev1.Volume
		for i := range pod.Volumes {
			if pod.Volumes[i].Name == "team-key" {
				vol = &pod.Volumes[i]
			}
		}
		ctr := pod.Containers[0]
		var keyFile string
		for _, e := range ctr.Env {
			if e.Name == "PIPE_KEY_FILE" {
				keyFile = e.Value
			}
		}
		mounted := slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool {
			return m.Name == "team-key" && m.MountPath == "/var/run/secrets/pipe-key" && m.ReadOnly
		})
		if !signed {
			if vol != nil || keyFile != "" || mounted {
				t.Errorf("without a key: volume %v, PIPE_KEY_FILE %q, mounted %v", vol, keyFile, mounted)
			}
			continue
		}
		if vol == nil || vol.Secret == nil || vol.Secret.SecretName != "pipe-key" || !*vol.Secret.Optional || !mounted || keyFile != "/var/run/secrets/pipe-key/pipe.key" {
			t.Errorf("with a key: volume %+v, PIPE_KEY_FILE %q, mounted %v", vol, keyFile, mounted)
		}
	}
}

// TestNewJobShards: a task in shards is one Indexed Job, each pod told
// its shard by the Job controller.
func TestNewJobShards(t *testing.T) {
	c, task := testConfig(), testTask()
	task.Shards = 8
	c.Owner = &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: "pipe-apply-x", UID: "u"}
	s := newJob(c, task).Spec
	if *s.CompletionMode != batchv1.IndexedCompletion || *s.Completions != 8 || *s.Parallelism != 8 ||
		*s.BackoffLimitPerIndex != 4 || *s.MaxFailedIndexes != 0 || s.BackoffLimit != nil {
		t.Errorf("indexed job spec %+v", s)
	}
	args := s.Template.Spec.Containers[0].Args
	if i := slices.Index(args, "-shard"); i < 0 || args[i+1] != "$(JOB_COMPLETION_INDEX)" {
		t.Errorf("args %v", args)
	}
	if refs := newJob(c, task).OwnerReferences; len(refs) != 1 || refs[0].Name != "pipe-apply-x" {
		t.Errorf("owner references %v", refs)
	}
}

// TestNewJobDefaults: a step with no resources block asks for nothing and
// gets the default retries and no deadline.
func TestNewJobDefaults(t *testing.T) {
	task := testTask()
	task.Resources = executor.Resources{}
	s := newJob(testConfig(), task).Spec
	if *s.BackoffLimit != DefaultRetries || s.ActiveDeadlineSeconds != nil {
		t.Errorf("backoffLimit %d, deadline %v", *s.BackoffLimit, s.ActiveDeadlineSeconds)
	}
	if r := s.Template.Spec.Containers[0].Resources; r.Requests != nil || r.Limits != nil {
		t.Errorf("resources %v", r)
	}
}

func equalResources(a, b corev1.ResourceRequirements) bool {
	eq := func(x, y corev1.ResourceList) bool {
		if len(x) != len(y) {
			return false
		}
		for k, q := range x {
			if q.Cmp(y[k]) != 0 {
				return false
			}
		}
		return true
	}
	return eq(a.Requests, b.Requests) && eq(a.Limits, b.Limits)
}

// TestCheckImage: only an image pinned by digest is run.
func TestCheckImage(t *testing.T) {
	digest := strings.Repeat("a", 64)
	for image, ok := range map[string]bool{
		"ghcr.io/pipe-ml/pipe@sha256:" + digest:      true,
		"ghcr.io/pipe-ml/pipe:v1@sha256:" + digest:   true,
		"sha256:" + digest:                           true,
		"ghcr.io/pipe-ml/pipe:v1":                    false,
		"pipe":                                       false,
		"ghcr.io/pipe-ml/pipe@sha256:" + digest[:10]: false,
	} {
		err := checkImage(image)
		if (err == nil) != ok {
			t.Errorf("checkImage(%q) = %v", image, err)
		}
		if err != nil && !strings.Contains(err.Error(), EnvImage) {
			t.Errorf("the refusal does not say what to set: %v", err)
		}
	}
}

// TestCheckStore: a store the pods cannot reach is refused, saying why.
func TestCheckStore(t *testing.T) {
	for url, ok := range map[string]bool{"gs://b/p": true, "s3://b?region=x": true, "file:///tmp/store": false, "mem://": false, "": false} {
		if err := checkStore(url); (err == nil) != ok {
			t.Errorf("checkStore(%q) = %v", url, err)
		}
	}
}

// TestFromEnvironment reads the kubeconfig, the namespace and the pod.
func TestFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	kc := dir + "/kubeconfig"
	writeKubeconfig(t, kc, "https://10.0.0.1:6443", "team-ml")
	env := map[string]string{"KUBECONFIG": kc, EnvTTL: "10m", EnvPodName: "pipe-apply-abc", EnvPodUID: "uid-1"}
	c, err := FromEnvironment("gs://b", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.REST.Host != "https://10.0.0.1:6443" || c.Namespace != "team-ml" || c.TTL != 10*time.Minute {
		t.Errorf("host %s, namespace %s, ttl %s", c.REST.Host, c.Namespace, c.TTL)
	}
	if c.Owner == nil || c.Owner.Name != "pipe-apply-abc" || c.Owner.UID != "uid-1" || c.Coordinator != "pod/pipe-apply-abc" {
		t.Errorf("owner %+v, coordinator %s", c.Owner, c.Coordinator)
	}
	if c.Signed {
		t.Error("a coordinator without a key signs")
	}
	env["PIPE_KEY_FILE"], env[EnvKeySecret] = "/etc/pipe/key", "team-key"
	if c, _ = FromEnvironment("gs://b", func(k string) string { return env[k] }); !c.Signed || c.KeySecret != "team-key" {
		t.Errorf("a coordinator with a key: signed %v, secret %q", c.Signed, c.KeySecret)
	}
	delete(env, "PIPE_KEY_FILE")
	env[EnvNamespace], env[EnvPodNamespace] = "other", "team-ml"
	c, _ = FromEnvironment("gs://b", func(k string) string { return env[k] })
	if c.Namespace != "other" || c.Owner != nil {
		t.Errorf("a pod in another namespace owns the Jobs: namespace %s, owner %+v", c.Namespace, c.Owner)
	}
	env[EnvTTL] = "soon"
	if _, err := FromEnvironment("gs://b", func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvTTL) {
		t.Errorf("a bad TTL: %v", err)
	}
}

// writeKubeconfig writes a kubeconfig for server whose context's
// namespace is ns.
func writeKubeconfig(t *testing.T, path, server, ns string) {
	t.Helper()
	kc := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ` + server + `
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: t
contexts:
- name: x
  context: {cluster: c, user: u, namespace: ` + ns + `}
current-context: x
`
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
}
