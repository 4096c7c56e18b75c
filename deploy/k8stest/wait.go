package k8stest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The waits below return an error that names the object, says what it is
// waiting for, and ends with Diagnose's account of the namespace: which
// pod is not ready and why (ImagePullBackOff and the image, OOMKilled,
// CreateContainerConfigError and the missing Secret), and the warning
// events (FailedMount, FailedScheduling, FailedCreate and the Pod
// Security violation, ProvisioningFailed...). A test that fails on one
// says what happened without a second look.

// WaitDeployment waits until the Deployment ns/name has all its replicas
// updated and ready (its pods passed their readiness probes).
func (c *Cluster) WaitDeployment(ctx context.Context, ns, name string) error {
	return c.wait(ctx, ns, fmt.Sprintf("deployment %s/%s to be ready", ns, name), func() (bool, error) {
		d, err := c.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		s := d.Status
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.ReadyReplicas == want && s.Replicas == want, nil
	})
}

// ErrJobFailed is wrapped by WaitJob's error when the Job failed (rather
// than the wait ending first).
var ErrJobFailed = errors.New("job failed")

// WaitJob waits until the Job ns/name completes, and returns it. A Job
// that fails makes an error wrapping ErrJobFailed that holds the Job's
// reason and each pod's end.
func (c *Cluster) WaitJob(ctx context.Context, ns, name string) (*batchv1.Job, error) {
	var job *batchv1.Job
	err := c.wait(ctx, ns, fmt.Sprintf("job %s/%s to complete", ns, name), func() (bool, error) {
		j, err := c.Client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		job = j
		for _, cond := range j.Status.Conditions {
			if cond.Status != corev1.ConditionTrue {
				continue
			}
			switch cond.Type {
			case batchv1.JobComplete:
				return true, nil
			case batchv1.JobFailed:
				return false, fmt.Errorf("k8stest: %w: job %s/%s: %s: %s\n%s", ErrJobFailed, ns, name, cond.Reason, cond.Message, c.Diagnose(context.Background(), ns))
			}
		}
		return false, nil
	})
	return job, err
}

// WaitClaimBound waits until the PersistentVolumeClaim ns/name is bound.
func (c *Cluster) WaitClaimBound(ctx context.Context, ns, name string) error {
	return c.wait(ctx, ns, fmt.Sprintf("persistentvolumeclaim %s/%s to be bound", ns, name), func() (bool, error) {
		pvc, err := c.Client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return pvc.Status.Phase == corev1.ClaimBound, nil
	})
}

// WaitPod waits until cond holds for the pod ns/name and returns the pod.
func (c *Cluster) WaitPod(ctx context.Context, ns, name, what string, cond func(*corev1.Pod) bool) (*corev1.Pod, error) {
	var pod *corev1.Pod
	err := c.wait(ctx, ns, fmt.Sprintf("pod %s/%s %s", ns, name, what), func() (bool, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pod = p
		return cond(p), nil
	})
	return pod, err
}

// wait polls cond until it holds. When ctx ends first, the error says what
// it waited for and ends with Diagnose(ns).
func (c *Cluster) wait(ctx context.Context, ns, what string, cond func() (bool, error)) error {
	start := time.Now()
	err := poll(ctx, cond)
	if err == nil || !errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("k8stest: waited %s for %s:\n%s", time.Since(start).Round(time.Second), what, c.Diagnose(context.Background(), ns))
}

// Diagnose says what is wrong in namespace ns, in the words kubectl
// describe would use: every pod that is not ready with each container's
// waiting or terminated reason and message, every claim not bound, and
// the namespace's warning events (object, reason, message), oldest first.
func (c *Cluster) Diagnose(ctx context.Context, ns string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var b strings.Builder
	if pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Fprintf(&b, "  listing pods: %v\n", err)
	} else {
		for i := range pods.Items {
			describePod(&b, &pods.Items[i])
		}
	}
	if pvcs, err := c.Client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, pvc := range pvcs.Items {
			if pvc.Status.Phase != corev1.ClaimBound {
				fmt.Fprintf(&b, "  persistentvolumeclaim/%s: %s\n", pvc.Name, pvc.Status.Phase)
			}
		}
	}
	if evs, err := c.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"}); err == nil {
		items := evs.Items
		slices.SortStableFunc(items, func(a, b corev1.Event) int { return eventTime(a).Compare(eventTime(b)) })
		for _, ev := range items {
			fmt.Fprintf(&b, "  event: %s/%s: %s: %s", strings.ToLower(ev.InvolvedObject.Kind), ev.InvolvedObject.Name, ev.Reason, strings.TrimSpace(ev.Message))
			if ev.Count > 1 {
				fmt.Fprintf(&b, " (x%d)", ev.Count)
			}
			b.WriteString("\n")
		}
	}
	if b.Len() == 0 {
		return "  (no pod, claim or warning event in namespace " + ns + ")"
	}
	return strings.TrimRight(b.String(), "\n")
}

func eventTime(ev corev1.Event) time.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	}
	return ev.CreationTimestamp.Time
}

// describePod writes one line for a pod that is not running ready and one
// for each container that waits or has ended.
func describePod(b *strings.Builder, p *corev1.Pod) {
	ready := false
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
			ready = true
		}
	}
	if ready {
		return
	}
	fmt.Fprintf(b, "  pod/%s: %s", p.Name, p.Status.Phase)
	if p.Status.Reason != "" {
		fmt.Fprintf(b, " (%s: %s)", p.Status.Reason, p.Status.Message)
	}
	for _, cond := range p.Status.Conditions {
		if cond.Status != corev1.ConditionTrue && cond.Message != "" {
			fmt.Fprintf(b, "; %s: %s", cond.Type, cond.Message)
		}
	}
	b.WriteString("\n")
	statuses := append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...)
	for _, s := range statuses {
		describeContainer(b, p.Name, s)
	}
}

func describeContainer(b *strings.Builder, pod string, s corev1.ContainerStatus) {
	if w := s.State.Waiting; w != nil {
		fmt.Fprintf(b, "    container %s (%s): waiting: %s: %s\n", s.Name, s.Image, w.Reason, w.Message)
	}
	for _, st := range []struct {
		when string
		t    *corev1.ContainerStateTerminated
	}{{"terminated", s.State.Terminated}, {"last terminated", s.LastTerminationState.Terminated}} {
		if st.t == nil {
			continue
		}
		fmt.Fprintf(b, "    container %s: %s: %s, exit code %d", s.Name, st.when, st.t.Reason, st.t.ExitCode)
		if msg := strings.TrimSpace(st.t.Message); msg != "" {
			fmt.Fprintf(b, ": %s", lastLines(msg, 12))
		}
		b.WriteString("\n")
	}
}

// lastLines is the last n lines of s that are not blank, joined with
// " | ": the end of a log, where pipe says what failed.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Deployment returns the Deployment ns/name (a convenience for tests that
// read its status).
func (c *Cluster) Deployment(ctx context.Context, ns, name string) (*appsv1.Deployment, error) {
	return c.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
}
