package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pipe-ml/pipe/engine/executor"
)

// failure is the error of a Job that failed: the step's own error when a
// worker reported one (exactly as a local run reports it), the worker's
// refusal of its document, or what the infrastructure did (the deadline,
// an OOM-kill, a crash) with what to do.
func (r *jobRun) failure(job *batchv1.Job, pods []*corev1.Pod, end *batchv1.JobCondition) error {
	for i := len(pods) - 1; i >= 0; i-- {
		st := workerStatus(pods[i])
		if st == nil || st.State.Terminated == nil {
			continue
		}
		if code := st.State.Terminated.ExitCode; code == executor.ExitStepFailed || code == executor.ExitRefused {
			return r.reported(pods[i], st.State.Terminated)
		}
	}
	if end.Reason == batchv1.JobReasonDeadlineExceeded {
		return r.fail("it ran longer than its timeout, %s (resources { timeout })", "Raise the step's timeout, or give it more cpu", r.task.Resources.Timeout)
	}
	var failed []*corev1.Pod
	for _, p := range pods {
		if p.Status.Phase == corev1.PodFailed {
			failed = append(failed, p)
		}
	}
	if len(failed) == 0 {
		return r.fail("the Job failed (%s: %s)", "Read its events: kubectl describe job -n "+r.ns+" "+r.name, end.Reason, end.Message)
	}
	last := failed[len(failed)-1]
	what := describePodEnd(last)
	if len(failed) > 1 {
		what = fmt.Sprintf("%d pods failed; the last, %s", len(failed), strings.TrimPrefix(what, "pod "))
	}
	if st := workerStatus(last); st != nil && st.State.Terminated != nil && st.State.Terminated.Reason == "OOMKilled" {
		return r.fail("%s", "Raise memory in the step's resources block", what)
	}
	return r.fail("%s", fmt.Sprintf("Its log: kubectl logs -n %s %s; retries = %d in the step's resources block retries more", r.ns, last.Name, retriesOf(job)), what)
}

// reported is the error a worker wrote to its termination message.
func (r *jobRun) reported(p *corev1.Pod, t *corev1.ContainerStateTerminated) error {
	term, err := executor.ParseTermination([]byte(t.Message))
	if err != nil {
		return r.fail("its pod %s exited with code %d: %v", "Run the workers from the image of the coordinator's pipe version", p.Name, t.ExitCode, err)
	}
	stepErr := term.Err()
	var refused *executor.RefusedError
	if errors.As(stepErr, &refused) {
		return r.fail("the worker in pod %s (image %s) refused to run it: %s", fmt.Sprintf("Run the workers from the image of the coordinator's pipe version (%s), pinned by digest", EnvImage), p.Name, p.Spec.Containers[0].Image, refused.Reason)
	}
	return stepErr
}

// retriesOf is the Job's retries, as its resources block set them.
func retriesOf(j *batchv1.Job) int32 {
	switch {
	case j.Spec.BackoffLimitPerIndex != nil:
		return *j.Spec.BackoffLimitPerIndex
	case j.Spec.BackoffLimit != nil:
		return *j.Spec.BackoffLimit
	}
	return 0
}

// createError says why the Job could not be created.
func (r *jobRun) createError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if apierrors.IsNotFound(err) {
		return r.fail("the namespace %s does not exist (%v)", fmt.Sprintf("Create it (kubectl create namespace %s), or run the Jobs in another with %s", r.ns, EnvNamespace), r.ns, err)
	}
	if apierrors.IsInvalid(err) {
		return r.fail("the API server refuses the Job: %v", "This is a bug in pipe (please report it with this message), or an admission policy of the cluster's", err)
	}
	return r.apiError(ctx, err)
}

// apiError is an error of the API server while following the Job.
func (r *jobRun) apiError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &JobError{Step: r.task.Step, Job: r.name, Namespace: r.ns, What: describeAPIError(err, r.c.cfg).Error()}
}
