package deploy

import (
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// What the manifests and the image agree on.
const (
	namespace      = "pipe"
	pipelinesMount = "/etc/pipe/pipelines"
	pipeUID        = 65532 // the Dockerfile's USER
)

// credentialComponent is one of the prod overlay's ways to reach the store.
type credentialComponent struct {
	name        string
	storeScheme string
}

// credentialComponents are the folders under deploy/components; each is
// rendered in place of the prod overlay's default.
var credentialComponents = []credentialComponent{
	{"gke-workload-identity", "gs"},
	{"gcp-workload-identity-federation", "gs"},
	{"gcs-key-secret", "gs"},
	{"aws-irsa", "s3"},
}

// externalSecrets are Secrets the manifests mount but Git does not hold:
// the user creates them (docs/deployment.md says how).
var externalSecrets = map[string]bool{"pipe-gcs-key": true}

// installCase is one installation to render and check.
type installCase struct {
	name        string
	dir         string // kustomization folder
	storeScheme string // PIPE_STORE's scheme
	release     bool   // the image must be pinned
}

func installCases(t *testing.T) []installCase {
	cases := []installCase{
		{"dev", filepath.Join(repoRoot, "deploy/overlays/dev"), "file", false},
		{"prod", filepath.Join(repoRoot, "deploy/overlays/prod"), "gs", true},
	}
	for _, c := range credentialComponents {
		cases = append(cases, installCase{"prod+" + c.name, prodVariant(t, c.name), c.storeScheme, true})
	}
	return cases
}

func TestComponentsListed(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(repoRoot, "deploy/components"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk, listed []string
	for _, e := range entries {
		if e.IsDir() {
			onDisk = append(onDisk, e.Name())
		}
	}
	for _, c := range credentialComponents {
		listed = append(listed, c.name)
	}
	listed = append(listed, optInComponents...)
	slices.Sort(listed)
	if diff := cmp.Diff(onDisk, listed); diff != "" {
		t.Errorf("deploy/components and credentialComponents differ (-disk +listed):\n%s", diff)
	}
}

// TestInstall renders every overlay, and prod with each credentials
// component, decodes every object strictly and checks what the manifests
// promise.
func TestInstall(t *testing.T) {
	for _, tc := range installCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			in := indexInstall(t, renderObjects(t, tc.dir))
			t.Run("namespace and identity", func(t *testing.T) { checkIdentity(t, in) })
			t.Run("pods hardened", func(t *testing.T) { checkPodSecurity(t, in) })
			t.Run("resources", func(t *testing.T) { checkResources(t, in) })
			t.Run("references resolve", func(t *testing.T) { checkReferences(t, in) })
			t.Run("server", func(t *testing.T) { checkServer(t, in) })
			t.Run("service", func(t *testing.T) { checkService(t, in) })
			t.Run("cronjob", func(t *testing.T) { checkCronJob(t, in) })
			t.Run("pipelines configmap", func(t *testing.T) { checkPipelines(t, in) })
			t.Run("state and data", func(t *testing.T) { checkState(t, in) })
			t.Run("store", func(t *testing.T) { checkStore(t, in, tc.storeScheme) })
			t.Run("pipeline outputs", func(t *testing.T) { checkOutputs(t, in, tc.storeScheme) })
			t.Run("credentials", func(t *testing.T) { checkCredentials(t, in, tc.storeScheme) })
			t.Run("image", func(t *testing.T) { checkImage(t, in, tc.release) })
		})
	}
}

func checkIdentity(t *testing.T, in *install) {
	if in.namespace.Name != namespace {
		t.Errorf("Namespace is %q, want %q", in.namespace.Name, namespace)
	}
	if got := in.namespace.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("Namespace enforces Pod Security %q, want restricted", got)
	}
	for obj, ns := range in.namespaced {
		if ns != namespace {
			t.Errorf("%s is in namespace %q, want %q", obj, ns, namespace)
		}
	}
	sa := in.serviceAccount
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("ServiceAccount must set automountServiceAccountToken: false (pipe never calls the API)")
	}
	if len(in.role.Rules) != 0 {
		t.Errorf("Role grants %d rules; pipe needs no Kubernetes API access, so any grant needs a test saying why", len(in.role.Rules))
	}
	rb := in.roleBinding
	if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != in.role.Name {
		t.Errorf("RoleBinding binds %s/%s, want Role/%s", rb.RoleRef.Kind, rb.RoleRef.Name, in.role.Name)
	}
	if len(rb.Subjects) != 1 || rb.Subjects[0].Kind != "ServiceAccount" || rb.Subjects[0].Name != sa.Name || rb.Subjects[0].Namespace != namespace {
		t.Errorf("RoleBinding subjects = %+v, want only ServiceAccount %s/%s", rb.Subjects, namespace, sa.Name)
	}
	for _, w := range in.workloads() {
		if w.pod.ServiceAccountName != sa.Name {
			t.Errorf("%s runs as ServiceAccount %q, want %q", w.name, w.pod.ServiceAccountName, sa.Name)
		}
		if w.pod.AutomountServiceAccountToken == nil || *w.pod.AutomountServiceAccountToken {
			t.Errorf("%s must set automountServiceAccountToken: false", w.name)
		}
	}
}

func checkPodSecurity(t *testing.T, in *install) {
	for _, w := range in.workloads() {
		pod := w.pod
		psc := pod.SecurityContext
		if psc == nil {
			t.Errorf("%s: no pod securityContext", w.name)
			continue
		}
		if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			t.Errorf("%s: pod runAsNonRoot is not true", w.name)
		}
		if psc.RunAsUser == nil || *psc.RunAsUser != pipeUID {
			t.Errorf("%s: pod runAsUser = %v, want %d (the image's user)", w.name, psc.RunAsUser, pipeUID)
		}
		if psc.FSGroup == nil {
			t.Errorf("%s: pod has no fsGroup; the state volume would not be writable", w.name)
		}
		if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod seccompProfile is not RuntimeDefault", w.name)
		}
		if pod.HostNetwork || pod.HostPID || pod.HostIPC {
			t.Errorf("%s: shares a host namespace", w.name)
		}
		for _, v := range pod.Volumes {
			if v.HostPath != nil {
				t.Errorf("%s: volume %s is a hostPath", w.name, v.Name)
			}
		}
		for _, c := range w.allContainers() {
			sc := c.SecurityContext
			if sc == nil {
				t.Errorf("%s: container %s has no securityContext", w.name, c.Name)
				continue
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: container %s must set allowPrivilegeEscalation: false", w.name, c.Name)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: container %s must set readOnlyRootFilesystem: true", w.name, c.Name)
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s: container %s is privileged", w.name, c.Name)
			}
			if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				t.Errorf("%s: container %s must drop ALL capabilities", w.name, c.Name)
			} else if len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: container %s adds capabilities %v", w.name, c.Name, sc.Capabilities.Add)
			}
			if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				t.Errorf("%s: container %s: runAsNonRoot is not true", w.name, c.Name)
			}
			if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
				t.Errorf("%s: container %s runs as root", w.name, c.Name)
			}
			if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: container %s: seccompProfile is not RuntimeDefault", w.name, c.Name)
			}
		}
	}
}

func checkResources(t *testing.T, in *install) {
	for _, w := range in.workloads() {
		for _, c := range w.allContainers() {
			r := c.Resources
			for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if q, ok := r.Requests[name]; !ok || q.Sign() <= 0 {
					t.Errorf("%s: container %s requests no %s", w.name, c.Name, name)
				}
			}
			lim, ok := r.Limits[corev1.ResourceMemory]
			if !ok || lim.Sign() <= 0 {
				t.Errorf("%s: container %s has no memory limit", w.name, c.Name)
				continue
			}
			if req := r.Requests[corev1.ResourceMemory]; req.Cmp(lim) > 0 {
				t.Errorf("%s: container %s requests %s of memory, over its limit %s", w.name, c.Name, req.String(), lim.String())
			}
			if req, ok := r.Requests[corev1.ResourceCPU]; ok {
				if cl, ok := r.Limits[corev1.ResourceCPU]; ok && req.Cmp(cl) > 0 {
					t.Errorf("%s: container %s requests %s CPU, over its limit %s", w.name, c.Name, req.String(), cl.String())
				}
			}
		}
	}
}

func checkReferences(t *testing.T, in *install) {
	for _, w := range in.workloads() {
		for _, v := range w.pod.Volumes {
			switch {
			case v.ConfigMap != nil:
				if _, ok := in.configMaps[v.ConfigMap.Name]; !ok {
					t.Errorf("%s: volume %s names ConfigMap %q, which is not rendered (a generated name not rewritten?)", w.name, v.Name, v.ConfigMap.Name)
				}
			case v.PersistentVolumeClaim != nil:
				if _, ok := in.pvcs[v.PersistentVolumeClaim.ClaimName]; !ok {
					t.Errorf("%s: volume %s names PVC %q, which is not rendered", w.name, v.Name, v.PersistentVolumeClaim.ClaimName)
				}
			case v.Secret != nil:
				if !externalSecrets[v.Secret.SecretName] {
					t.Errorf("%s: volume %s names Secret %q; add it to externalSecrets and say in docs/deployment.md how to create it", w.name, v.Name, v.Secret.SecretName)
				}
			case v.Projected != nil:
				for _, s := range v.Projected.Sources {
					if s.ConfigMap != nil {
						if _, ok := in.configMaps[s.ConfigMap.Name]; !ok {
							t.Errorf("%s: projected volume %s names ConfigMap %q, which is not rendered (Kustomize does not rewrite generated names in projected volumes)", w.name, v.Name, s.ConfigMap.Name)
						}
					}
					if s.Secret != nil && !externalSecrets[s.Secret.Name] {
						t.Errorf("%s: projected volume %s names Secret %q, which nothing creates", w.name, v.Name, s.Secret.Name)
					}
				}
			}
		}
		mounted := make(map[string]bool)
		for _, c := range w.allContainers() {
			in.env(t, c) // fails on a missing envFrom ConfigMap
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
					ref := e.ValueFrom.ConfigMapKeyRef
					if cm, ok := in.configMaps[ref.Name]; !ok {
						t.Errorf("%s: env %s names ConfigMap %q, which is not rendered", w.name, e.Name, ref.Name)
					} else if _, ok := cm.Data[ref.Key]; !ok {
						t.Errorf("%s: env %s names key %q, not in ConfigMap %s", w.name, e.Name, ref.Key, ref.Name)
					}
				}
			}
			for _, m := range c.VolumeMounts {
				if w.volume(m.Name) == nil {
					t.Errorf("%s: container %s mounts volume %s, which the pod does not define", w.name, c.Name, m.Name)
				}
				mounted[m.Name] = true
			}
		}
		for _, v := range w.pod.Volumes {
			if !mounted[v.Name] {
				t.Errorf("%s: volume %s is never mounted", w.name, v.Name)
			}
		}
	}
}

// addrPort returns the port of serve's -addr flag.
func addrPort(args []string) (int, bool) {
	for _, a := range args {
		for _, prefix := range []string{"-addr=", "--addr="} {
			if rest, ok := strings.CutPrefix(a, prefix); ok {
				_, port, _ := strings.Cut(rest, ":")
				n, err := strconv.Atoi(port)
				return n, err == nil
			}
		}
	}
	return 8080, true // serve's documented default
}

func checkServer(t *testing.T, in *install) {
	d := in.deployment
	w := in.workloads()[0]
	c := w.pipeContainer(t)
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("Deployment runs %q, want pipe serve", c.Args)
	}
	if last := c.Args[len(c.Args)-1]; last != pipelinesMount {
		t.Errorf("serve's last argument is %q, want the pipelines mount %s", last, pipelinesMount)
	}
	if len(c.Command) != 0 {
		t.Errorf("Deployment overrides the image's entrypoint with %q", c.Command)
	}
	port, ok := addrPort(c.Args)
	if !ok {
		t.Fatalf("serve's -addr in %q has no port", c.Args)
	}
	var http *corev1.ContainerPort
	for i := range c.Ports {
		if c.Ports[i].Name == "http" {
			http = &c.Ports[i]
		}
	}
	if http == nil || int(http.ContainerPort) != port {
		t.Errorf("container port named http = %+v, want %d (serve's -addr)", http, port)
	}
	probe := func(name string, p *corev1.Probe, path string, required bool) {
		if p == nil {
			if required {
				t.Errorf("no %s probe", name)
			}
			return
		}
		if p.HTTPGet == nil {
			t.Errorf("%s probe is not an HTTP GET", name)
			return
		}
		if p.HTTPGet.Path != path {
			t.Errorf("%s probe GETs %s, want %s", name, p.HTTPGet.Path, path)
		}
		if p.HTTPGet.Port != intstr.FromString("http") {
			t.Errorf("%s probe targets port %s, want the named port http", name, p.HTTPGet.Port.String())
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz", true)
	probe("readiness", c.ReadinessProbe, "/readyz", true)
	probe("startup", c.StartupProbe, "/healthz", false)

	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("Deployment replicas = %v, want 1 (one owner of the SQLite registry)", d.Spec.Replicas)
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("Deployment strategy = %q, want Recreate (the state volume is ReadWriteOnce)", d.Spec.Strategy.Type)
	}
	if g := w.pod.TerminationGracePeriodSeconds; g == nil || *g < 120 {
		t.Errorf("Deployment terminationGracePeriodSeconds = %v, want at least 120 so an apply can finish", g)
	} else {
		// serve cancels a running apply after -grace (default 0) and then
		// records it: that must happen before kubelet's SIGKILL.
		grace := time.Duration(0)
		for _, a := range c.Args {
			if v, ok := strings.CutPrefix(a, "-grace="); ok {
				d, err := time.ParseDuration(v)
				if err != nil {
					t.Errorf("serve's %s: %v", a, err)
				}
				grace = d
			}
		}
		if limit := time.Duration(*g)*time.Second - time.Minute; grace > limit {
			t.Errorf("serve's -grace=%s leaves less than a minute of terminationGracePeriodSeconds (%d) to cancel and record the apply", grace, *g)
		}
	}
	if d.Spec.Selector == nil || !labelsMatch(d.Spec.Selector.MatchLabels, w.meta) {
		t.Errorf("Deployment selector %v does not select its pod labels %v", d.Spec.Selector, w.meta)
	}
}

// labelsMatch reports whether every selector label is in labels.
func labelsMatch(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func checkService(t *testing.T, in *install) {
	s := in.service
	server, apply := in.workloads()[0], in.workloads()[1]
	if !labelsMatch(s.Spec.Selector, server.meta) {
		t.Errorf("Service selector %v does not select the server pods %v", s.Spec.Selector, server.meta)
	}
	if labelsMatch(s.Spec.Selector, apply.meta) {
		t.Errorf("Service selector %v also selects the nightly job's pods", s.Spec.Selector)
	}
	var found bool
	for _, p := range s.Spec.Ports {
		if p.Name == "http" {
			found = true
			if p.TargetPort != intstr.FromString("http") {
				t.Errorf("Service port http targets %s, want the named port http", p.TargetPort.String())
			}
		}
	}
	if !found {
		t.Error("Service has no port named http")
	}
}

func checkCronJob(t *testing.T, in *install) {
	cj := in.cronJob
	spec := cj.Spec
	if spec.Schedule != "0 2 * * *" {
		t.Errorf("schedule = %q, want 0 2 * * *", spec.Schedule)
	}
	if spec.TimeZone == nil || *spec.TimeZone != "Etc/UTC" {
		t.Errorf("timeZone = %v, want Etc/UTC", spec.TimeZone)
	}
	if spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("concurrencyPolicy = %q, want Forbid", spec.ConcurrencyPolicy)
	}
	if spec.StartingDeadlineSeconds == nil || *spec.StartingDeadlineSeconds <= 0 {
		t.Errorf("startingDeadlineSeconds = %v, want a positive deadline", spec.StartingDeadlineSeconds)
	}
	if spec.SuccessfulJobsHistoryLimit == nil || spec.FailedJobsHistoryLimit == nil || *spec.FailedJobsHistoryLimit < 1 {
		t.Errorf("history limits = %v successful, %v failed; want both set, failed at least 1 so its logs stay", spec.SuccessfulJobsHistoryLimit, spec.FailedJobsHistoryLimit)
	}
	job := spec.JobTemplate.Spec
	if job.BackoffLimit == nil {
		t.Error("jobTemplate has no backoffLimit")
	}
	if job.ActiveDeadlineSeconds == nil {
		t.Error("jobTemplate has no activeDeadlineSeconds: a stuck run would block every later night (Forbid)")
	}
	w := in.workloads()[1]
	if rp := w.pod.RestartPolicy; rp != corev1.RestartPolicyNever && rp != corev1.RestartPolicyOnFailure {
		t.Errorf("restartPolicy = %q", rp)
	}
	c := w.pipeContainer(t)
	if len(c.Args) == 0 || c.Args[0] != "apply" {
		t.Fatalf("CronJob runs %q, want pipe apply", c.Args)
	}
	if last := c.Args[len(c.Args)-1]; last != pipelinesMount {
		t.Errorf("apply's last argument is %q, want the pipelines mount %s", last, pipelinesMount)
	}
	if len(c.Command) != 0 {
		t.Errorf("CronJob overrides the image's entrypoint with %q", c.Command)
	}
	var trigger *corev1.EnvVar
	for i := range c.Env {
		if c.Env[i].Name == "PIPE_TRIGGER" {
			trigger = &c.Env[i]
		}
	}
	if trigger == nil || trigger.Value != "schedule" || trigger.ValueFrom != nil {
		t.Errorf("CronJob's PIPE_TRIGGER = %+v, want the literal schedule", trigger)
	}
	if got := in.env(t, in.workloads()[0].pipeContainer(t))["PIPE_TRIGGER"]; got == "schedule" {
		t.Error("the server's environment says PIPE_TRIGGER=schedule; only the CronJob's runs are scheduled")
	}
	// The state volume is ReadWriteOnce: the job must land on the server's
	// node.
	aff := w.pod.Affinity
	if aff == nil || aff.PodAffinity == nil || len(aff.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Fatal("CronJob pods have no required podAffinity to the server (ReadWriteOnce state volume)")
	}
	term := aff.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0]
	if term.TopologyKey != corev1.LabelHostname {
		t.Errorf("podAffinity topologyKey = %q, want %s", term.TopologyKey, corev1.LabelHostname)
	}
	if term.LabelSelector == nil || !labelsMatch(term.LabelSelector.MatchLabels, in.workloads()[0].meta) {
		t.Errorf("podAffinity selector %v does not select the server pods", term.LabelSelector)
	}
}

// pipelineFiles reads pipelines/*.pipe.hcl: what the ConfigMap must hold.
func pipelineFiles(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "pipelines", "*.pipe.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no pipelines/*.pipe.hcl to ship")
	}
	files := make(map[string]string)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = string(b)
	}
	return files
}

func checkPipelines(t *testing.T, in *install) {
	want := pipelineFiles(t)
	for _, w := range in.workloads() {
		c := w.pipeContainer(t)
		m := mountFor(c, pipelinesMount)
		if m == nil || m.MountPath != pipelinesMount {
			t.Errorf("%s does not mount anything at %s", w.name, pipelinesMount)
			continue
		}
		if !m.ReadOnly {
			t.Errorf("%s mounts the pipelines read-write", w.name)
		}
		v := w.volume(m.Name)
		if v == nil || v.ConfigMap == nil {
			t.Errorf("%s: the pipelines volume is not a ConfigMap", w.name)
			continue
		}
		if !strings.HasPrefix(v.ConfigMap.Name, "pipe-pipelines-") {
			t.Errorf("%s mounts ConfigMap %q, want the generated pipe-pipelines-<hash>", w.name, v.ConfigMap.Name)
		}
		cm, ok := in.configMaps[v.ConfigMap.Name]
		if !ok {
			continue // reported by checkReferences
		}
		if len(v.ConfigMap.Items) != 0 {
			t.Errorf("%s mounts only some keys of %s", w.name, cm.Name)
		}
		if diff := cmp.Diff(want, cm.Data); diff != "" {
			t.Errorf("ConfigMap %s does not hold exactly pipelines/*.pipe.hcl; list every file in pipelines/kustomization.yaml (-files +configmap):\n%s", cm.Name, diff)
		}
	}
}

// writablePVC checks that path lives on a read-write mount of a PVC.
func writablePVC(t *testing.T, in *install, w workload, c *corev1.Container, what, path string) {
	t.Helper()
	m := mountFor(c, path)
	if m == nil {
		t.Errorf("%s: %s %s is on the read-only root filesystem", w.name, what, path)
		return
	}
	if m.ReadOnly {
		t.Errorf("%s: %s %s is on read-only mount %s", w.name, what, path, m.MountPath)
	}
	if v := w.volume(m.Name); v == nil || v.PersistentVolumeClaim == nil {
		t.Errorf("%s: %s %s is not on a PersistentVolumeClaim", w.name, what, path)
	} else if v.PersistentVolumeClaim.ReadOnly {
		t.Errorf("%s: %s %s is on a claim mounted read-only", w.name, what, path)
	}
}

func checkState(t *testing.T, in *install) {
	var claims []string
	for _, w := range in.workloads() {
		c := w.pipeContainer(t)
		env := in.env(t, c)
		state := env["PIPE_STATE_DIR"]
		if !filepath.IsAbs(state) {
			t.Errorf("%s: PIPE_STATE_DIR = %q, want an absolute path (the ConfigMap mount is read-only)", w.name, state)
		} else {
			writablePVC(t, in, w, c, "PIPE_STATE_DIR", state)
			if m := mountFor(c, state); m != nil {
				claims = append(claims, w.volume(m.Name).PersistentVolumeClaim.ClaimName)
			}
		}
		if reg, ok := env["PIPE_REGISTRY"]; ok {
			writablePVC(t, in, w, c, "PIPE_REGISTRY", reg)
		}
		tmp := mountFor(c, "/tmp")
		if tmp == nil || tmp.MountPath != "/tmp" || tmp.ReadOnly || w.volume(tmp.Name) == nil || w.volume(tmp.Name).EmptyDir == nil {
			t.Errorf("%s: /tmp is not a writable emptyDir (the store spools uploads there)", w.name)
		}
		if data := env["PIPE_VAR_data_dir"]; data != "" {
			m := mountFor(c, data)
			if m == nil || !m.ReadOnly || w.volume(m.Name).PersistentVolumeClaim == nil {
				t.Errorf("%s: data_dir %s is not a read-only PVC mount", w.name, data)
			}
		} else {
			t.Errorf("%s: PIPE_VAR_data_dir is not set", w.name)
		}
	}
	if len(claims) == 2 && claims[0] != claims[1] {
		t.Errorf("the server and the nightly job keep their state on different claims (%s, %s): they must share one registry", claims[0], claims[1])
	}
	for name, pvc := range in.pvcs {
		if _, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
			t.Errorf("PVC %s requests no storage", name)
		}
		if len(pvc.Spec.AccessModes) == 0 {
			t.Errorf("PVC %s has no access mode", name)
		}
	}
}

func checkStore(t *testing.T, in *install, scheme string) {
	var stores []string
	for _, w := range in.workloads() {
		c := w.pipeContainer(t)
		raw := in.env(t, c)["PIPE_STORE"]
		stores = append(stores, raw)
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("%s: PIPE_STORE %q: %v", w.name, raw, err)
			continue
		}
		if u.Scheme != scheme {
			t.Errorf("%s: PIPE_STORE = %q, want a %s:// URL", w.name, raw, scheme)
		}
		switch u.Scheme {
		case "file":
			writablePVC(t, in, w, c, "the file:// store", u.Path)
		case "gs", "s3":
			if u.Host == "" {
				t.Errorf("%s: PIPE_STORE %q names no bucket", w.name, raw)
			}
		}
	}
	if stores[0] != stores[1] {
		t.Errorf("server and nightly job use different stores: %q, %q", stores[0], stores[1])
	}
}

// outputVars are the variables through which the shipped pipeline names
// where it writes: publish's and predict's to. Their defaults are relative
// to the pipeline's folder, which in the cluster is the read-only
// ConfigMap mount, so every installation must set them.
var outputVars = map[string]*regexp.Regexp{
	"models":      regexp.MustCompile(`(?s)publish\s+"[^"]*"\s*\{[^}]*\bto\s*=\s*var\.models\b`),
	"predictions": regexp.MustCompile(`(?s)predict\s+"[^"]*"\s*\{[^}]*\bto\s*=\s*var\.predictions\b`),
}

// checkOutputs checks that both pods set the pipeline's output variables
// alike, to a writable place: a folder on a read-write PVC, or a URL in
// the store's kind of bucket (the one the credentials reach).
func checkOutputs(t *testing.T, in *install, scheme string) {
	files := pipelineFiles(t)
	var all strings.Builder
	for _, name := range slices.Sorted(maps.Keys(files)) {
		all.WriteString(files[name])
	}
	for name, use := range outputVars {
		if !use.MatchString(all.String()) {
			t.Errorf("no pipeline in pipelines/ writes to var.%s any more; update outputVars", name)
		}
		var values []string
		for _, w := range in.workloads() {
			c := w.pipeContainer(t)
			v, ok := in.env(t, c)["PIPE_VAR_"+name]
			if !ok {
				t.Errorf("%s: PIPE_VAR_%s is not set: the pipeline would write into its read-only ConfigMap folder", w.name, name)
				continue
			}
			values = append(values, v)
			u, err := url.Parse(v)
			switch {
			case err != nil:
				t.Errorf("%s: PIPE_VAR_%s = %q: %v", w.name, name, v, err)
			case u.Scheme == "":
				if !strings.HasPrefix(v, "/") {
					t.Errorf("%s: PIPE_VAR_%s = %q is relative to the read-only ConfigMap folder", w.name, name, v)
					continue
				}
				writablePVC(t, in, w, c, "PIPE_VAR_"+name, v)
			case u.Scheme != scheme && !(scheme == "file" && u.Scheme == "file"):
				t.Errorf("%s: PIPE_VAR_%s = %q, want a %s:// URL like the store (the credentials reach that)", w.name, name, v, scheme)
			case u.Host == "":
				t.Errorf("%s: PIPE_VAR_%s = %q names no bucket", w.name, name, v)
			}
		}
		if len(values) == 2 && values[0] != values[1] {
			t.Errorf("server and nightly job set PIPE_VAR_%s differently: %q, %q", name, values[0], values[1])
		}
	}
}

var (
	gcpServiceAccount = regexp.MustCompile(`^[a-z][-a-z0-9]{4,28}[a-z0-9]@[-a-z0-9]+\.iam\.gserviceaccount\.com$`)
	awsRoleARN        = regexp.MustCompile(`^arn:aws[-a-z]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
)

func checkCredentials(t *testing.T, in *install, scheme string) {
	ann := in.serviceAccount.Annotations
	gke, irsa := ann["iam.gke.io/gcp-service-account"], ann["eks.amazonaws.com/role-arn"]
	var gac []string
	for _, w := range in.workloads() {
		if p := in.env(t, w.pipeContainer(t))["GOOGLE_APPLICATION_CREDENTIALS"]; p != "" {
			gac = append(gac, p)
		}
	}
	switch scheme {
	case "file":
		if gke != "" || irsa != "" || len(gac) != 0 {
			t.Errorf("a local store needs no cloud credentials, yet: gke=%q irsa=%q GOOGLE_APPLICATION_CREDENTIALS=%v", gke, irsa, gac)
		}
	case "s3":
		if !awsRoleARN.MatchString(irsa) {
			t.Errorf("s3:// store: ServiceAccount annotation eks.amazonaws.com/role-arn = %q, want an IAM role ARN", irsa)
		}
		if gke != "" || len(gac) != 0 {
			t.Error("s3:// store with Google credentials too")
		}
	case "gs":
		if irsa != "" {
			t.Error("gs:// store with an IRSA role: IRSA grants AWS permissions only")
		}
		switch {
		case gke != "" && len(gac) != 0:
			t.Error("both GKE workload identity and GOOGLE_APPLICATION_CREDENTIALS: the file would win, silently; keep one")
		case gke != "":
			if !gcpServiceAccount.MatchString(gke) {
				t.Errorf("iam.gke.io/gcp-service-account = %q, want NAME@PROJECT.iam.gserviceaccount.com", gke)
			}
		case len(gac) == 2:
			for _, w := range in.workloads() {
				checkCredentialFile(t, in, w)
			}
		default:
			t.Errorf("gs:// store with no credentials: annotate the ServiceAccount for workload identity or mount a credentials file for both pods (have %d)", len(gac))
		}
	}
}

// checkCredentialFile checks GOOGLE_APPLICATION_CREDENTIALS in one pod: a
// read-only mount of either a key Secret or a projected token with its
// federation configuration.
func checkCredentialFile(t *testing.T, in *install, w workload) {
	c := w.pipeContainer(t)
	p := in.env(t, c)["GOOGLE_APPLICATION_CREDENTIALS"]
	m := mountFor(c, p)
	if m == nil || m.MountPath == p {
		t.Errorf("%s: GOOGLE_APPLICATION_CREDENTIALS %s is not a file in a mounted volume", w.name, p)
		return
	}
	if !m.ReadOnly {
		t.Errorf("%s: credentials mount %s is not read-only", w.name, m.MountPath)
	}
	v := w.volume(m.Name)
	file := strings.TrimPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")
	switch {
	case v.Secret != nil:
		if mode := v.Secret.DefaultMode; mode == nil || *mode&0o007 != 0 {
			t.Errorf("%s: key Secret's defaultMode %v lets any user read the key", w.name, mode)
		}
	case v.Projected != nil:
		var token *corev1.ServiceAccountTokenProjection
		var config string
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				token = s.ServiceAccountToken
			}
			if s.ConfigMap != nil {
				for _, item := range s.ConfigMap.Items {
					if item.Path == file {
						config = in.configMaps[s.ConfigMap.Name].Data[item.Key]
					}
				}
			}
		}
		if token == nil || token.Audience == "" {
			t.Errorf("%s: projected credentials have no service account token with an audience", w.name)
			return
		}
		var cfg struct {
			Type             string `json:"type"`
			Audience         string `json:"audience"`
			CredentialSource struct {
				File string `json:"file"`
			} `json:"credential_source"`
		}
		if err := json.Unmarshal([]byte(config), &cfg); err != nil {
			t.Errorf("%s: %s is not JSON: %v", w.name, file, err)
			return
		}
		if cfg.Type != "external_account" {
			t.Errorf("%s: credential configuration type %q, want external_account", w.name, cfg.Type)
		}
		if want := strings.TrimSuffix(m.MountPath, "/") + "/" + token.Path; cfg.CredentialSource.File != want {
			t.Errorf("%s: credential_source.file = %q, want the projected token %s", w.name, cfg.CredentialSource.File, want)
		}
		if "https:"+cfg.Audience != token.Audience {
			t.Errorf("%s: token audience %q does not match the configuration's audience %q", w.name, token.Audience, cfg.Audience)
		}
	default:
		t.Errorf("%s: credentials come from volume %s, neither a Secret nor a projected token", w.name, v.Name)
	}
}

func checkImage(t *testing.T, in *install, release bool) {
	var images []string
	for _, w := range in.workloads() {
		for _, c := range w.allContainers() {
			images = append(images, c.Image)
			if c.ImagePullPolicy == "" {
				t.Errorf("%s: container %s has no imagePullPolicy", w.name, c.Name)
			}
		}
	}
	for _, img := range images[1:] {
		if img != images[0] {
			t.Errorf("containers run different images: %v", images)
			break
		}
	}
	img := images[0]
	_, digest, pinned := strings.Cut(img, "@sha256:")
	name := img
	if pinned {
		name = img[:len(img)-len(digest)-len("@sha256:")]
	}
	tag := ""
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		tag = name[i+1:]
	}
	if tag == "" && !pinned {
		t.Errorf("image %q has neither a tag nor a digest", img)
	}
	if release && !pinned && tag == "latest" {
		t.Errorf("image %q: a release must pin a version or digest, not latest", img)
	}
}
