package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// syncTimeout bounds the informers' first list.
const syncTimeout = 30 * time.Second

// watch is the coordinator's view of its namespace: informers on pipe's
// Jobs and their pods (label-selected) and on the Jobs' warning events,
// each change waking the runs of the Job it is about. Nothing polls.
type watch struct {
	client kubernetes.Interface
	ns     string
	jobs   cache.SharedIndexInformer
	pods   cache.SharedIndexInformer
	events cache.SharedIndexInformer
	stop   context.CancelFunc

	mu      sync.Mutex
	wakers  map[string]map[chan struct{}]struct{} // Job name → its runs
	lastErr error                                 // the informers' last failure
}

// byJob indexes pods by the name of their Job and events by the name of
// the Job they are about.
const byJob = "job"

// startWatch starts the informers and waits for their first list.
func startWatch(ctx context.Context, client kubernetes.Interface, ns string) (*watch, error) {
	selector := labels.Set{LabelManagedBy: managedBy}.String()
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	ev := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.Set{"involvedObject.kind": "Job", "type": corev1.EventTypeWarning}.String()
		}))
	w := &watch{
		client: client, ns: ns,
		jobs:   f.Batch().V1().Jobs().Informer(),
		pods:   f.Core().V1().Pods().Informer(),
		events: ev.Core().V1().Events().Informer(),
		wakers: make(map[string]map[chan struct{}]struct{}),
	}
	if err := w.pods.AddIndexers(cache.Indexers{byJob: podJob}); err != nil {
		return nil, err
	}
	if err := w.events.AddIndexers(cache.Indexers{byJob: eventJob}); err != nil {
		return nil, err
	}
	for _, inf := range []cache.SharedIndexInformer{w.jobs, w.pods, w.events} {
		if _, err := inf.AddEventHandler(w.handler()); err != nil {
			return nil, err
		}
		if err := inf.SetWatchErrorHandler(w.failed); err != nil {
			return nil, err
		}
	}
	runCtx, stop := context.WithCancel(context.Background())
	w.stop = stop
	f.Start(runCtx.Done())
	ev.Start(runCtx.Done())
	syncCtx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), w.jobs.HasSynced, w.pods.HasSynced, w.events.HasSynced) {
		stop()
		if err := w.err(); err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("listing Jobs, pods and events in namespace %s took longer than %s", ns, syncTimeout)
	}
	return w, nil
}

func podJob(obj any) ([]string, error) {
	if p, ok := obj.(*corev1.Pod); ok {
		if j := p.Labels[batchv1.JobNameLabel]; j != "" {
			return []string{j}, nil
		}
	}
	return nil, nil
}

func eventJob(obj any) ([]string, error) {
	if e, ok := obj.(*corev1.Event); ok {
		return []string{e.InvolvedObject.Name}, nil
	}
	return nil, nil
}

// handler wakes the runs of the Job an object is about.
func (w *watch) handler() cache.ResourceEventHandler {
	wake := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		var names []string
		switch o := obj.(type) {
		case *batchv1.Job:
			names = []string{o.Name}
		case *corev1.Pod:
			names, _ = podJob(o)
		case *corev1.Event:
			names, _ = eventJob(o)
		}
		if len(names) > 0 {
			// An event came through: the informers are working again.
			w.clearErr()
		}
		for _, n := range names {
			w.wake(n)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    wake,
		UpdateFunc: func(_, obj any) { wake(obj) },
		DeleteFunc: wake,
	}
}

// failed records an informer's failure (the API server unreachable, a
// permission taken away) and wakes every run, which reports it.
func (w *watch) failed(r *cache.Reflector, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	w.mu.Lock()
	w.lastErr = err
	all := make([]chan struct{}, 0, len(w.wakers))
	for _, set := range w.wakers {
		for ch := range set {
			all = append(all, ch)
		}
	}
	w.mu.Unlock()
	for _, ch := range all {
		signal(ch)
	}
}

// err is the informers' last failure, if it is recent.
func (w *watch) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

// clearErr forgets a failure the informers recovered from.
func (w *watch) clearErr() {
	w.mu.Lock()
	w.lastErr = nil
	w.mu.Unlock()
}

// subscribe makes every change about the Job name signal ch; the
// returned function undoes it.
func (w *watch) subscribe(name string, ch chan struct{}) func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wakers[name] == nil {
		w.wakers[name] = make(map[chan struct{}]struct{})
	}
	w.wakers[name][ch] = struct{}{}
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.wakers[name], ch)
		if len(w.wakers[name]) == 0 {
			delete(w.wakers, name)
		}
	}
}

func (w *watch) wake(name string) {
	w.mu.Lock()
	chans := make([]chan struct{}, 0, len(w.wakers[name]))
	for ch := range w.wakers[name] {
		chans = append(chans, ch)
	}
	w.mu.Unlock()
	for _, ch := range chans {
		signal(ch)
	}
}

// signal wakes a run without blocking: a wake-up already pending covers
// this one, since a run reads the whole state when it wakes.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// job is the Job name as the informer last saw it, or nil.
func (w *watch) job(name string) *batchv1.Job {
	obj, ok, err := w.jobs.GetStore().GetByKey(w.ns + "/" + name)
	if err != nil || !ok {
		return nil
	}
	return obj.(*batchv1.Job)
}

// podsOf are the pods of the Job with uid, oldest first.
func (w *watch) podsOf(name string, uid types.UID) []*corev1.Pod {
	objs, _ := w.pods.GetIndexer().ByIndex(byJob, name)
	var pods []*corev1.Pod
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if p.Labels[batchv1.ControllerUidLabel] == string(uid) {
			pods = append(pods, p)
		}
	}
	sortPods(pods)
	return pods
}

// eventsOf are the warning events about the Job with uid.
func (w *watch) eventsOf(name string, uid types.UID) []*corev1.Event {
	objs, _ := w.events.GetIndexer().ByIndex(byJob, name)
	var evs []*corev1.Event
	for _, o := range objs {
		e := o.(*corev1.Event)
		if e.InvolvedObject.UID == uid {
			evs = append(evs, e)
		}
	}
	return evs
}
