package kubernetes

import (
	"regexp"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/signing"
)

// Labels and annotations on the Jobs and their pods. The labels name
// pipeline, run and step (as label values allow: at most 63 characters of
// [A-Za-z0-9_.-]); the annotations hold the names whole.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "pipe"
	LabelPipeline  = "pipe.dev/pipeline"
	LabelRun       = "pipe.dev/run"
	LabelStep      = "pipe.dev/step"
	AnnotStep      = "pipe.dev/step"
	AnnotPipeline  = "pipe.dev/pipeline"
	AnnotKey       = "pipe.dev/key"
	AnnotInput     = "pipe.dev/input"
	AnnotRun       = "pipe.dev/run"
	AnnotCoord     = "pipe.dev/coordinator"
)

// containerName is the worker container's name in every Job.
const containerName = "pipe"

// workerUID is the image's non-root user (distroless's nonroot).
const workerUID = 65532

// terminationGrace is how long a worker has to stop after SIGTERM (a
// Ctrl-C of the coordinator deletes its Jobs).
const terminationGrace = 15

// JobName is the name of the Job that runs the step with cache key key:
// "pipe-KIND-" and the key's first 20 hex digits (80 bits). It depends on
// the step's identity alone, not on the run, so that a coordinator that
// restarts (a new run) finds the Job the last one created and adopts it
// instead of creating a second.
func JobName(kind, key string) string {
	k := labelValue(strings.ToLower(kind), 20)
	k = strings.Trim(nonName.ReplaceAllString(k, "-"), "-")
	if k == "" {
		k = "step"
	}
	if len(key) > 20 {
		key = key[:20]
	}
	return "pipe-" + k + "-" + key
}

var (
	nonLabel = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
	nonName  = regexp.MustCompile(`[^a-z0-9-]+`)
)

// labelValue makes s a valid label value of at most n characters.
func labelValue(s string, n int) string {
	s = nonLabel.ReplaceAllString(s, "_")
	if len(s) > n {
		s = s[:n]
	}
	return strings.Trim(s, "_.-")
}

// jobLabels are the labels of a task's Job and its pods.
func jobLabels(t *executor.Task) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":      "pipe",
		"app.kubernetes.io/component": "step",
		LabelManagedBy:                managedBy,
		LabelPipeline:                 labelValue(t.Pipeline, 63),
		LabelRun:                      strconv.FormatInt(t.RunID, 10),
		LabelStep:                     labelValue(t.Step, 63),
	}
}

// newJob is the Job that runs task: one pod running `pipe step exec`, or,
// for a task in shards, an Indexed Job with one completion a shard.
func newJob(c *Config, t *executor.Task) *batchv1.Job {
	labels := jobLabels(t)
	retries := int32(DefaultRetries)
	if t.Resources.Retries != nil {
		retries = int32(*t.Resources.Retries)
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:      JobName(t.Kind, t.Key),
			Namespace: c.Namespace,
			Labels:    labels,
			Annotations: map[string]string{
				AnnotPipeline: t.Pipeline, AnnotStep: t.Step, AnnotKey: t.Key,
				AnnotInput: t.Input, AnnotRun: strconv.FormatInt(t.RunID, 10), AnnotCoord: c.Coordinator,
			},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:            &retries,
			TTLSecondsAfterFinished: ptr(int32(c.TTL.Seconds())),
			PodFailurePolicy:        failurePolicy(),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       podSpec(c, t),
			},
		},
	}
	if c.Owner != nil {
		job.OwnerReferences = []metav1.OwnerReference{*c.Owner}
	}
	if t.Resources.Timeout > 0 {
		job.Spec.ActiveDeadlineSeconds = ptr(int64(max(1, t.Resources.Timeout.Seconds())))
	}
	if t.Shards > 1 {
		n := int32(t.Shards)
		job.Spec.CompletionMode = ptr(batchv1.IndexedCompletion)
		job.Spec.Completions, job.Spec.Parallelism = &n, &n
		// Each shard has retries of its own; one that fails for good
		// fails the search at once.
		job.Spec.BackoffLimitPerIndex, job.Spec.MaxFailedIndexes = &retries, ptr(int32(0))
		job.Spec.BackoffLimit = nil
	}
	return job
}

// failurePolicy fails the Job at once on the exit codes that say a retry
// cannot help (the step failed, the worker refused its document), and
// does not count a pod that a disruption (preemption, a node drain,
// eviction) ended against the retries.
func failurePolicy() *batchv1.PodFailurePolicy {
	return &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{
			Action: batchv1.PodFailurePolicyActionFailJob,
			OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
				ContainerName: ptr(containerName),
				Operator:      batchv1.PodFailurePolicyOnExitCodesOpIn,
				Values:        []int32{executor.ExitStepFailed, executor.ExitRefused},
			},
		},
		{
			Action:          batchv1.PodFailurePolicyActionIgnore,
			OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
		},
	}}
}

// podSpec is a worker pod: the restricted Pod Security profile, no API
// token, the store's credentials from the worker ConfigMap and Secret.
func podSpec(c *Config, t *executor.Task) corev1.PodSpec {
	tmp := corev1.EmptyDirVolumeSource{}
	if q, err := resource.ParseQuantity(t.Resources.EphemeralStorage); err == nil {
		tmp.SizeLimit = &q
	}
	volumes := []corev1.Volume{
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &tmp}},
		{Name: "credentials", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: c.WorkerSecret, Optional: ptr(true), DefaultMode: ptr(int32(0o440)),
		}}},
	}
	if c.Signed {
		// Optional: without the Secret the worker says that it cannot
		// read PIPE_KEY_FILE, rather than wait for it.
		volumes = append(volumes, corev1.Volume{Name: "team-key", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: c.KeySecret, Optional: ptr(true), DefaultMode: ptr(int32(0o440)),
		}}})
	}
	return corev1.PodSpec{
		RestartPolicy:                 corev1.RestartPolicyNever,
		ServiceAccountName:            c.ServiceAccount,
		AutomountServiceAccountToken:  ptr(false),
		EnableServiceLinks:            ptr(false),
		TerminationGracePeriodSeconds: ptr(int64(terminationGrace)),
		NodeSelector:                  map[string]string{corev1.LabelArchStable: c.Arch, corev1.LabelOSStable: "linux"},
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr(true),
			RunAsUser:      ptr(int64(workerUID)),
			RunAsGroup:     ptr(int64(workerUID)),
			FSGroup:        ptr(int64(workerUID)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{workerContainer(c, t)},
		Volumes:    volumes,
	}
}

// workerContainer runs `pipe step exec` on the task's step-input
// document.
func workerContainer(c *Config, t *executor.Task) corev1.Container {
	args := []string{"step", "exec", "-store", c.Store, "-termination-log", corev1.TerminationMessagePathDefault}
	if t.Shards > 1 {
		// The Job controller sets JOB_COMPLETION_INDEX in each pod.
		args = append(args, "-shard", "$(JOB_COMPLETION_INDEX)")
	}
	if q, err := resource.ParseQuantity(t.Resources.CPU); err == nil {
		// The cores the step asked for, not the node's.
		args = append(args, "-parallelism", strconv.FormatInt(max(1, (q.MilliValue()+999)/1000), 10))
	}
	args = append(args, t.Input)
	env := []corev1.EnvVar{{Name: "HOME", Value: "/tmp"}, {Name: "TMPDIR", Value: "/tmp"}, {Name: "NO_COLOR", Value: "1"}}
	mounts := []corev1.VolumeMount{
		{Name: "tmp", MountPath: "/tmp"},
		{Name: "credentials", MountPath: SecretMount, ReadOnly: true},
	}
	if c.Signed {
		env = append(env, corev1.EnvVar{Name: signing.EnvKeyFile, Value: KeyMount + "/" + KeyFile})
		mounts = append(mounts, corev1.VolumeMount{Name: "team-key", MountPath: KeyMount, ReadOnly: true})
	}
	return corev1.Container{
		Name:                     containerName,
		Image:                    c.Image,
		ImagePullPolicy:          corev1.PullIfNotPresent,
		Command:                  []string{"pipe"},
		Args:                     args,
		Env:                      env,
		EnvFrom:                  workerEnvFrom(c),
		Resources:                resources(t.Resources),
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		VolumeMounts:             mounts,
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr(true),
			RunAsUser:                ptr(int64(workerUID)),
			RunAsGroup:               ptr(int64(workerUID)),
			AllowPrivilegeEscalation: ptr(false),
			ReadOnlyRootFilesystem:   ptr(true),
			Privileged:               ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
}

// workerEnvFrom is the worker ConfigMap and Secret, both optional.
func workerEnvFrom(c *Config) []corev1.EnvFromSource {
	return []corev1.EnvFromSource{
		{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: c.WorkerEnv}, Optional: ptr(true)}},
		{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: c.WorkerSecret}, Optional: ptr(true)}},
	}
}

// resources requests what the resources block asks for; memory and
// ephemeral storage are also the limits (a step over them is stopped, and
// reported), CPU is not (a limit would only throttle).
func resources(r executor.Resources) corev1.ResourceRequirements {
	var req corev1.ResourceRequirements
	set := func(name corev1.ResourceName, v string, limit bool) {
		q, err := resource.ParseQuantity(v)
		if v == "" || err != nil {
			return // engine/eval checked the quantities
		}
		if req.Requests == nil {
			req.Requests = corev1.ResourceList{}
		}
		req.Requests[name] = q
		if limit {
			if req.Limits == nil {
				req.Limits = corev1.ResourceList{}
			}
			req.Limits[name] = q
		}
	}
	set(corev1.ResourceCPU, r.CPU, false)
	set(corev1.ResourceMemory, r.Memory, true)
	set(corev1.ResourceEphemeralStorage, r.EphemeralStorage, true)
	return req
}

// shardOf is the shard a pod of an Indexed Job runs, or -1.
func shardOf(pod *corev1.Pod) int {
	if s, ok := pod.Annotations[batchv1.JobCompletionIndexAnnotation]; ok {
		if i, err := strconv.Atoi(s); err == nil {
			return i
		}
	}
	return -1
}

func ptr[T any](v T) *T { return &v }
