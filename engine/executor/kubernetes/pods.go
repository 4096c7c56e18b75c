package kubernetes

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/pipe-ml/pipe/engine/executor"
)

// imagePullFailures are the waiting reasons of a container whose image
// cannot be had: reported at once, not after the Job's deadline.
var imagePullFailures = []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}

// pod reports what changed in one of the Job's pods: waiting (cannot be
// scheduled, cannot start its container), started (and its log
// followed), failed while the Job retries. An image that cannot be pulled
// ends the run at once.
func (r *jobRun) pod(ctx context.Context, p *corev1.Pod, jobEnded bool) error {
	shard := shardOf(p)
	where := "pod/" + p.Name
	if st := workerStatus(p); st != nil {
		if w := st.State.Waiting; w != nil {
			switch {
			case slices.Contains(imagePullFailures, w.Reason):
				return r.abort(ctx, fmt.Sprintf("its pod %s cannot pull the image %s (%s: %s)", p.Name, st.Image, w.Reason, w.Message),
					fmt.Sprintf("Check that the image exists and that the nodes may pull it (%s, or the image of the coordinator's pod; imagePullSecrets on the ServiceAccount %s)", EnvImage, r.c.cfg.ServiceAccount))
			case w.Reason == "CreateContainerConfigError" || w.Reason == "CreateContainerError":
				r.wait(where, shard, fmt.Sprintf("pod %s cannot start its container: %s", p.Name, w.Message))
			}
		}
		if (st.State.Running != nil || st.State.Terminated != nil) && !r.started[p.UID] {
			r.started[p.UID] = true
			r.emit(executor.Event{Type: executor.Started, Shard: shard, Where: where + " on node " + p.Spec.NodeName})
			r.follow(p, shard)
		}
	}
	if p.Status.Phase == corev1.PodPending {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				r.wait(where, shard, "unschedulable: "+c.Message)
			}
		}
	}
	if p.Status.Phase == corev1.PodFailed && !r.ended[p.UID] && !jobEnded {
		r.ended[p.UID] = true
		r.emit(executor.Event{Type: executor.Retrying, Shard: shard, Where: where, Reason: describePodEnd(p)})
	}
	return nil
}

// jobEvents reports the Job controller's refusals to create a pod: over
// a quota is waiting (the quota may free up); a worker ServiceAccount
// that does not exist or a pod the namespace's Pod Security level refuses
// ends the run at once.
func (r *jobRun) jobEvents(ctx context.Context) error {
	var last *corev1.Event
	for _, e := range r.w.eventsOf(r.name, r.uid) {
		if e.Reason == "FailedCreate" && (last == nil || eventTime(e).After(eventTime(last))) {
			last = e
		}
	}
	if last == nil {
		return nil
	}
	msg := last.Message
	switch {
	case strings.Contains(msg, "serviceaccount") && strings.Contains(msg, "not found"):
		return r.abort(ctx, "the workers' ServiceAccount "+r.c.cfg.ServiceAccount+" does not exist: "+msg,
			fmt.Sprintf("Create it (deploy/components/kubernetes-executor makes one with no API access), or name another with %s", EnvServiceAccount))
	case strings.Contains(msg, "violates PodSecurity"):
		return r.abort(ctx, "the namespace's Pod Security admission refuses the workers' pods: "+msg,
			"pipe's workers meet the restricted level; check what else the namespace's policy demands")
	case strings.Contains(msg, "exceeded quota") || strings.Contains(msg, "must specify"):
		r.wait("job/"+r.name, -1, "waiting for quota: "+msg)
	default:
		r.wait("job/"+r.name, -1, "cannot create a pod: "+msg)
	}
	return nil
}

// eventTime is when an event last happened.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// abort deletes the Job (its pods would only wait) and returns what
// happened.
func (r *jobRun) abort(ctx context.Context, what, todo string) error {
	_ = r.deleteAndWait(ctx, r.uid)
	return &JobError{Step: r.task.Step, Job: r.name, Namespace: r.ns, What: what, Todo: todo + "; nothing was written to the store"}
}

// fail is a JobError about the run.
func (r *jobRun) fail(what, todo string, args ...any) error {
	return &JobError{Step: r.task.Step, Job: r.name, Namespace: r.ns, What: fmt.Sprintf(what, args...), Todo: todo}
}

// workerStatus is the status of the worker container, or nil.
func workerStatus(p *corev1.Pod) *corev1.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == containerName {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// finishedCondition is the Job's Complete or Failed condition, or nil
// while it runs.
func finishedCondition(j *batchv1.Job) *batchv1.JobCondition {
	for i, c := range j.Status.Conditions {
		if c.Status == corev1.ConditionTrue && (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

// describeEnd says how a Job ended: "complete", "failed: DeadlineExceeded".
func describeEnd(j *batchv1.Job) string {
	c := finishedCondition(j)
	switch {
	case j.DeletionTimestamp != nil:
		return "being deleted"
	case c == nil:
		return "running"
	case c.Type == batchv1.JobComplete:
		return "complete"
	}
	return "failed: " + c.Reason
}

// describePodEnd says why a pod failed, in words.
func describePodEnd(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue {
			return fmt.Sprintf("pod %s was disrupted (%s: %s), which does not count against the retries", p.Name, c.Reason, c.Message)
		}
	}
	if p.Status.Reason != "" {
		return fmt.Sprintf("pod %s failed: %s: %s", p.Name, p.Status.Reason, p.Status.Message)
	}
	st := workerStatus(p)
	if st == nil || st.State.Terminated == nil {
		return fmt.Sprintf("pod %s failed", p.Name)
	}
	t := st.State.Terminated
	if t.Reason == "OOMKilled" {
		return fmt.Sprintf("pod %s was OOM-killed: the step needed more than its memory limit%s", p.Name, memoryLimit(p))
	}
	s := fmt.Sprintf("pod %s exited with code %d", p.Name, t.ExitCode)
	if t.Reason != "" && t.Reason != "Error" {
		s += " (" + t.Reason + ")"
	}
	if m := lastLine(t.Message); m != "" {
		s += ": " + m
	}
	return s
}

// memoryLimit is " of 64Mi (resources { memory })", or "" when the pod
// has no limit.
func memoryLimit(p *corev1.Pod) string {
	for _, c := range p.Spec.Containers {
		if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok && c.Name == containerName {
			return fmt.Sprintf(" of %s (resources { memory = %q })", q.String(), q.String())
		}
	}
	return ""
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// sortPods orders pods oldest first.
func sortPods(pods []*corev1.Pod) {
	slices.SortFunc(pods, func(a, b *corev1.Pod) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}
