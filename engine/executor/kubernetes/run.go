package kubernetes

import (
	"context"
	"fmt"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pipe-ml/pipe/engine/executor"
)

// Bounds on what a run waits for besides its Job.
const (
	// deleteTimeout bounds the wait for a deleted Job's pods to go.
	deleteTimeout = 2*terminationGrace*time.Second + 30*time.Second
	// logDrain bounds the wait for the end of the pods' logs once the
	// Job has ended.
	logDrain = 10 * time.Second
	// maxRecreate is how many times a Job deleted from outside is made
	// again.
	maxRecreate = 3
)

// jobRun follows one task's Job from its creation (or adoption) to its
// end. Its state changes only in the goroutine of run; the informers
// wake it.
type jobRun struct {
	c    *conn
	w    *watch
	task *executor.Task
	want *batchv1.Job
	name string
	ns   string

	uid       types.UID // the Job followed
	seen      bool      // the informer has shown it
	recreated int
	wake      chan struct{}

	started map[types.UID]bool // pods whose start was reported and log followed
	ended   map[types.UID]bool // pods whose failure was reported
	waiting map[string]string  // what waits (a pod, the Job) → the reason last reported
	logs    sync.WaitGroup     // the pods' log streams
	logCtx  context.Context    // ends the log streams
	stopLog context.CancelFunc
}

func newJobRun(c *conn, w *watch, t *executor.Task) *jobRun {
	want := newJob(&c.cfg, t)
	return &jobRun{
		c: c, w: w, task: t, want: want, name: want.Name, ns: want.Namespace,
		wake:    make(chan struct{}, 1),
		started: make(map[types.UID]bool),
		ended:   make(map[types.UID]bool),
		waiting: make(map[string]string),
	}
}

// run creates or adopts the Job and follows it to its end.
func (r *jobRun) run(ctx context.Context) error {
	defer r.w.subscribe(r.name, r.wake)()
	r.logCtx, r.stopLog = context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		r.stopLog()
		r.logs.Wait() // no event after Run returns
	}()
	if err := r.start(ctx); err != nil {
		return err
	}
	for {
		done, err := r.observe(ctx)
		if done {
			r.drainLogs()
			return err
		}
		select {
		case <-ctx.Done():
			return r.cancel(ctx)
		case <-r.wake:
		}
	}
}

// start creates the Job. A Job of that name already there is adopted
// while it runs (a coordinator that restarted, or another that runs the
// same step); one that ended or is being deleted is replaced.
func (r *jobRun) start(ctx context.Context) error {
	jobs := r.c.client.BatchV1().Jobs(r.ns)
	for attempt := 0; ; attempt++ {
		got, err := jobs.Create(ctx, r.want, metav1.CreateOptions{})
		if err == nil {
			r.uid, r.seen = got.UID, false
			r.note("created Job %s/%s", r.ns, r.name)
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return r.createError(ctx, err)
		}
		old, err := jobs.Get(ctx, r.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // gone meanwhile
		}
		if err != nil {
			return r.apiError(ctx, err)
		}
		if old.DeletionTimestamp == nil && finishedCondition(old) == nil {
			r.uid, r.seen = old.UID, false
			r.note("adopted Job %s/%s, which %s created for run %s", r.ns, r.name, orUnknown(old.Annotations[AnnotCoord]), orUnknown(old.Annotations[AnnotRun]))
			return nil
		}
		if attempt >= maxRecreate {
			return r.fail("a Job of that name is still there after %d attempts to replace it", "delete it (kubectl delete job -n "+r.ns+" "+r.name+") and apply again", attempt)
		}
		r.note("replacing Job %s/%s, which ended (%s)", r.ns, r.name, describeEnd(old))
		if err := r.deleteAndWait(ctx, old.UID); err != nil {
			return err
		}
	}
}

// observe reads the Job, its pods and its events as the informers last
// saw them, reports what changed, and says whether the Job has ended.
func (r *jobRun) observe(ctx context.Context) (bool, error) {
	if err := r.w.err(); err != nil && (apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err)) {
		return true, r.apiError(ctx, err)
	}
	job := r.w.job(r.name)
	switch {
	case job == nil && !r.seen, job != nil && job.UID != r.uid && !r.seen:
		return false, nil // not yet in the informer's view
	case job == nil || job.DeletionTimestamp != nil:
		return r.recreate(ctx)
	case job.UID != r.uid:
		r.uid = job.UID // another coordinator replaced it: follow theirs
		r.note("following Job %s/%s, replaced by %s", r.ns, r.name, orUnknown(job.Annotations[AnnotCoord]))
	}
	r.seen = true
	end := finishedCondition(job)
	pods := r.w.podsOf(r.name, r.uid)
	for _, p := range pods {
		if err := r.pod(ctx, p, end != nil); err != nil {
			return true, err
		}
	}
	if err := r.jobEvents(ctx); err != nil {
		return true, err
	}
	switch {
	case end == nil:
		return false, nil
	case end.Type == batchv1.JobComplete:
		r.emit(executor.Event{Type: executor.Finished, Shard: -1, Where: "job/" + r.name})
		return true, nil
	}
	err := r.failure(job, pods, end)
	r.emit(executor.Event{Type: executor.Finished, Shard: -1, Where: "job/" + r.name, Reason: err.Error()})
	return true, err
}

// recreate makes the Job again after it was deleted from outside pipe (a
// person, a namespace clean-up): a failure of the infrastructure, retried.
func (r *jobRun) recreate(ctx context.Context) (bool, error) {
	if r.recreated >= maxRecreate {
		return true, r.fail("the Job was deleted from outside pipe %d times", "find what deletes pipe's Jobs (kubectl get events -n "+r.ns+")", r.recreated)
	}
	r.recreated++
	r.emit(executor.Event{Type: executor.Retrying, Shard: -1, Where: "job/" + r.name, Reason: "the Job was deleted from outside pipe; creating it again"})
	return false, r.start(ctx)
}

// cancel deletes the Job, and so its pods, when the apply is cancelled,
// and waits until they are gone.
func (r *jobRun) cancel(ctx context.Context) error {
	dctx, stop := context.WithTimeout(context.Background(), deleteTimeout)
	defer stop()
	if err := r.deleteAndWait(dctx, r.uid); err != nil {
		return fmt.Errorf("%w (and the Job it started is not deleted: %v; delete it with kubectl delete job -n %s %s)", ctx.Err(), err, r.ns, r.name)
	}
	return ctx.Err()
}

// deleteAndWait deletes the Job with uid and its pods (foreground
// propagation: the Job goes once its pods have), and waits until it has
// gone.
func (r *jobRun) deleteAndWait(ctx context.Context, uid types.UID) error {
	fg := metav1.DeletePropagationForeground
	err := r.c.client.BatchV1().Jobs(r.ns).Delete(ctx, r.name, metav1.DeleteOptions{
		PropagationPolicy: &fg, Preconditions: &metav1.Preconditions{UID: &uid},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return r.apiError(ctx, err)
	}
	for {
		if j := r.w.job(r.name); j == nil || j.UID != uid {
			// The informer may lag the API server: ask it.
			j, err := r.c.client.BatchV1().Jobs(r.ns).Get(ctx, r.name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) || (err == nil && j.UID != uid) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the Job %s/%s and its pods are still there after %s", r.ns, r.name, deleteTimeout)
		case <-r.wake:
		}
	}
}

// emit sends an event about the task.
func (r *jobRun) emit(ev executor.Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	r.task.Events(ev)
}

// note reports something the coordinator did, as a line of the task's log.
func (r *jobRun) note(format string, args ...any) {
	r.emit(executor.Event{Type: executor.Log, Shard: -1, Where: "job/" + r.name, Line: "kubernetes executor: " + fmt.Sprintf(format, args...)})
}

// wait reports that what (a pod, the Job) waits, for reason, once per
// reason.
func (r *jobRun) wait(what string, shard int, reason string) {
	if r.waiting[what] == reason {
		return
	}
	r.waiting[what] = reason
	r.emit(executor.Event{Type: executor.Waiting, Shard: shard, Where: what, Reason: reason})
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
