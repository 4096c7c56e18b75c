package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/pipe-ml/pipe/engine/executor/kubernetes"
)

// executorComponent is the kubernetes executor's component.
const executorComponent = "kubernetes-executor"

// optInComponents are the components that add to an installation, beside
// the credentials component that the prod overlay chooses.
var optInComponents = []string{executorComponent}

// executorOverlay is the prod overlay with the kubernetes executor's
// component added, as its comment says a user opts in.
func executorOverlay(t *testing.T) string {
	return prodOverlay(t, "prod+"+executorComponent,
		"- ../../components/gke-workload-identity\n  - ../../components/"+executorComponent+"\n")
}

// executorObjects are what the component adds to an installation.
type executorObjects struct {
	role      *rbacv1.Role
	binding   *rbacv1.RoleBinding
	worker    *corev1.ServiceAccount
	workerEnv *corev1.ConfigMap
}

// splitExecutor takes the component's objects out of a rendered
// installation and returns them and the rest.
func splitExecutor(t *testing.T, objs []runtime.Object) (*executorObjects, []runtime.Object) {
	t.Helper()
	var x executorObjects
	var rest []runtime.Object
	for _, obj := range objs {
		switch o := obj.(type) {
		case *rbacv1.Role:
			if o.Name == "pipe-kubernetes-executor" {
				x.role = o
				continue
			}
		case *rbacv1.RoleBinding:
			if o.Name == "pipe-kubernetes-executor" {
				x.binding = o
				continue
			}
		case *corev1.ServiceAccount:
			if o.Name == kubernetes.DefaultServiceAccount {
				x.worker = o
				continue
			}
		case *corev1.ConfigMap:
			if o.Name == kubernetes.DefaultWorkerEnv {
				x.workerEnv = o
				continue
			}
		}
		rest = append(rest, obj)
	}
	if x.role == nil || x.binding == nil || x.worker == nil || x.workerEnv == nil {
		t.Fatalf("the component renders role %v, binding %v, worker ServiceAccount %v, worker ConfigMap %v", x.role != nil, x.binding != nil, x.worker != nil, x.workerEnv != nil)
	}
	return &x, rest
}

// TestExecutorComponent renders prod with the kubernetes executor's
// component: the installation stays whole and hardened; the coordinator's
// Role grants exactly what the executor checks for (point 6 of issue 15),
// bound to the ServiceAccount the CronJob runs as; the workers'
// ServiceAccount has no token and no Role; the CronJob's pod gets the
// token, PIPE_EXECUTOR and its own name and UID, the server neither.
func TestExecutorComponent(t *testing.T) {
	x, rest := splitExecutor(t, renderObjects(t, executorOverlay(t)))
	in := indexInstall(t, rest)
	t.Run("pods hardened", func(t *testing.T) { checkPodSecurity(t, in) })
	t.Run("references resolve", func(t *testing.T) { checkReferences(t, in) })

	var granted []kubernetes.Permission
	for _, r := range x.role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				name, sub, _ := strings.Cut(res, "/")
				for _, v := range r.Verbs {
					granted = append(granted, kubernetes.Permission{Group: g, Resource: name, Subresource: sub, Verb: v})
				}
			}
		}
	}
	if diff := cmp.Diff(kubernetes.Permissions, granted); diff != "" {
		t.Errorf("the Role does not grant exactly kubernetes.Permissions (-want +granted):\n%s", diff)
	}
	pod := in.cronJob.Spec.JobTemplate.Spec.Template.Spec
	if x.binding.RoleRef.Name != x.role.Name || len(x.binding.Subjects) != 1 ||
		x.binding.Subjects[0].Kind != "ServiceAccount" || x.binding.Subjects[0].Name != pod.ServiceAccountName {
		t.Errorf("the RoleBinding binds %+v to %+v, want the Role to the CronJob's ServiceAccount %s", x.binding.RoleRef, x.binding.Subjects, pod.ServiceAccountName)
	}
	if x.worker.AutomountServiceAccountToken == nil || *x.worker.AutomountServiceAccountToken {
		t.Error("the workers' ServiceAccount mounts an API token")
	}
	if in.roleBinding.Subjects[0].Name == x.worker.Name {
		t.Error("a Role is bound to the workers' ServiceAccount")
	}
	if pod.AutomountServiceAccountToken == nil || !*pod.AutomountServiceAccountToken {
		t.Error("the CronJob's pod has no API token: the coordinator cannot create Jobs")
	}
	if p := in.deployment.Spec.Template.Spec.AutomountServiceAccountToken; p == nil || *p {
		t.Error("the server got an API token it does not use")
	}
	checkCoordinatorEnv(t, in, pod.Containers)
}

// checkCoordinatorEnv: the CronJob's pipe runs with the kubernetes
// executor and knows its own pod from the downward API.
func checkCoordinatorEnv(t *testing.T, in *install, containers []corev1.Container) {
	i := slices.IndexFunc(containers, func(c corev1.Container) bool { return c.Name == "pipe" })
	if i < 0 {
		t.Fatal("the CronJob has no pipe container")
	}
	c := &containers[i]
	if got := in.env(t, c)["PIPE_EXECUTOR"]; got != "kubernetes" {
		t.Errorf("the CronJob's PIPE_EXECUTOR is %q, want kubernetes", got)
	}
	fields := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			fields[e.Name] = e.ValueFrom.FieldRef.FieldPath
		}
	}
	want := map[string]string{kubernetes.EnvPodName: "metadata.name", kubernetes.EnvPodUID: "metadata.uid", kubernetes.EnvPodNamespace: "metadata.namespace"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("the CronJob's downward API (-want +got):\n%s", diff)
	}
}
