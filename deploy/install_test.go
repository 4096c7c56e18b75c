package deploy

import (
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// install is one rendered pipe installation, by kind.
type install struct {
	namespace      *corev1.Namespace
	serviceAccount *corev1.ServiceAccount
	role           *rbacv1.Role
	roleBinding    *rbacv1.RoleBinding
	configMaps     map[string]*corev1.ConfigMap
	pvcs           map[string]*corev1.PersistentVolumeClaim
	deployment     *appsv1.Deployment
	service        *corev1.Service
	cronJob        *batchv1.CronJob
	// namespaced lists every namespaced object as "Kind/name" with its
	// namespace.
	namespaced map[string]string
}

// indexInstall sorts rendered objects by kind, failing on a kind an
// installation should not have (cluster-wide RBAC, Secrets in Git) or on
// one missing.
func indexInstall(t *testing.T, objs []runtime.Object) *install {
	t.Helper()
	in := &install{
		configMaps: make(map[string]*corev1.ConfigMap),
		pvcs:       make(map[string]*corev1.PersistentVolumeClaim),
		namespaced: make(map[string]string),
	}
	one := func(kind string, have bool) {
		if have {
			t.Errorf("more than one %s rendered", kind)
		}
	}
	for _, obj := range objs {
		switch o := obj.(type) {
		case *corev1.Namespace:
			one("Namespace", in.namespace != nil)
			in.namespace = o
			continue
		case *corev1.ServiceAccount:
			one("ServiceAccount", in.serviceAccount != nil)
			in.serviceAccount = o
		case *rbacv1.Role:
			one("Role", in.role != nil)
			in.role = o
		case *rbacv1.RoleBinding:
			one("RoleBinding", in.roleBinding != nil)
			in.roleBinding = o
		case *corev1.ConfigMap:
			in.configMaps[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			in.pvcs[o.Name] = o
		case *appsv1.Deployment:
			one("Deployment", in.deployment != nil)
			in.deployment = o
		case *corev1.Service:
			one("Service", in.service != nil)
			in.service = o
		case *batchv1.CronJob:
			one("CronJob", in.cronJob != nil)
			in.cronJob = o
		default:
			t.Errorf("unexpected object %T rendered (cluster-wide RBAC and Secrets do not belong in Git)", obj)
			continue
		}
		m := obj.(interface {
			GetName() string
			GetNamespace() string
		})
		in.namespaced[reflect.TypeOf(obj).Elem().Name()+"/"+m.GetName()] = m.GetNamespace()
	}
	for kind, missing := range map[string]bool{
		"Namespace": in.namespace == nil, "ServiceAccount": in.serviceAccount == nil,
		"Role": in.role == nil, "RoleBinding": in.roleBinding == nil,
		"Deployment": in.deployment == nil, "Service": in.service == nil, "CronJob": in.cronJob == nil,
	} {
		if missing {
			t.Errorf("no %s rendered", kind)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return in
}

// workload is one pod template of an installation.
type workload struct {
	name string // "Deployment/pipe", "CronJob/pipe-apply"
	pod  *corev1.PodSpec
	meta map[string]string // the pod template's labels
}

func (in *install) workloads() []workload {
	return []workload{
		{"Deployment/" + in.deployment.Name, &in.deployment.Spec.Template.Spec, in.deployment.Spec.Template.Labels},
		{"CronJob/" + in.cronJob.Name, &in.cronJob.Spec.JobTemplate.Spec.Template.Spec, in.cronJob.Spec.JobTemplate.Spec.Template.Labels},
	}
}

// pipeContainer returns the workload's container named pipe.
func (w workload) pipeContainer(t *testing.T) *corev1.Container {
	t.Helper()
	for i := range w.pod.Containers {
		if w.pod.Containers[i].Name == "pipe" {
			return &w.pod.Containers[i]
		}
	}
	t.Fatalf("%s has no container named pipe", w.name)
	return nil
}

// allContainers returns init and regular containers.
func (w workload) allContainers() []*corev1.Container {
	var cs []*corev1.Container
	for i := range w.pod.InitContainers {
		cs = append(cs, &w.pod.InitContainers[i])
	}
	for i := range w.pod.Containers {
		cs = append(cs, &w.pod.Containers[i])
	}
	return cs
}

// volume returns the pod's volume by name.
func (w workload) volume(name string) *corev1.Volume {
	for i := range w.pod.Volumes {
		if w.pod.Volumes[i].Name == name {
			return &w.pod.Volumes[i]
		}
	}
	return nil
}

// mountFor returns the container's mount that holds the file or folder p
// (the longest mount path that is p or a parent of it).
func mountFor(c *corev1.Container, p string) *corev1.VolumeMount {
	var best *corev1.VolumeMount
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		if p == m.MountPath || strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/") {
			if best == nil || len(m.MountPath) > len(best.MountPath) {
				best = m
			}
		}
	}
	return best
}

// env returns the container's environment as the kubelet would build it
// from literal values and ConfigMaps (env wins over envFrom). Variables
// from Secrets or the downward API are left out.
func (in *install) env(t *testing.T, c *corev1.Container) map[string]string {
	t.Helper()
	env := make(map[string]string)
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			continue
		}
		cm, ok := in.configMaps[from.ConfigMapRef.Name]
		if !ok {
			t.Fatalf("container %s: envFrom names ConfigMap %q, which is not rendered", c.Name, from.ConfigMapRef.Name)
		}
		for k, v := range cm.Data {
			env[from.Prefix+k] = v
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}
