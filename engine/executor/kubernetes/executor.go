package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/pipe-ml/pipe/engine/executor"
)

// connectTimeout bounds the questions asked of the API server before the
// first Job: who am I, may I, which image am I.
const connectTimeout = 15 * time.Second

// idleAfter is how long the informers stay up with no step running.
const idleAfter = 30 * time.Second

// Executor runs steps as Kubernetes Jobs. Build it with New; it reaches
// the cluster at its first Run. It is safe for concurrent use.
type Executor struct {
	cfg       Config
	configure func() (Config, error) // FromEnv's, until the first Run

	mu       sync.Mutex
	conn     *conn
	connErr  error // a failure to connect that a retry cannot mend
	watch    *watch
	inflight int
	idle     *time.Timer
}

var _ executor.Executor = (*Executor)(nil)

// conn is what connecting found: a client that may do all the executor
// does, and the configuration with the image resolved.
type conn struct {
	client kubernetes.Interface
	cfg    Config
}

// New returns an executor for cfg. It reaches nothing: a plan builds
// executors it never runs.
func New(cfg Config) *Executor {
	return &Executor{cfg: cfg.withDefaults()}
}

// FromEnv returns an executor configured from the environment by
// FromEnvironment(store, getenv) when it first runs a step: building it
// reads nothing, and a configuration that is missing or wrong (no
// kubeconfig) is the error of the steps sent to it, not of a plan.
func FromEnv(store string, getenv func(string) string) *Executor {
	return &Executor{configure: func() (Config, error) {
		c, err := fromEnvironment(store, getenv)
		if err != nil {
			return Config{}, err
		}
		return c.withDefaults(), nil
	}}
}

// Name returns "kubernetes".
func (e *Executor) Name() string { return executor.KubernetesName }

// Run runs task as a Job (an Indexed Job for a task in shards), following
// it until it completes, fails, or ctx ends; see the package
// documentation.
func (e *Executor) Run(ctx context.Context, task *executor.Task) error {
	if task.Input == "" {
		return fmt.Errorf("kubernetes executor: %s has no step-input document to run from (a bug in pipe)", task.Step)
	}
	c, w, err := e.acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("kubernetes executor: step %s cannot run on the cluster: %w", task.Step, err)
	}
	defer e.release()
	return newJobRun(c, w, task).run(ctx)
}

// Close stops following the cluster. Runs in flight end with an error.
func (e *Executor) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.watch != nil {
		e.watch.stop()
		e.watch = nil
	}
	return nil
}

// acquire connects once and starts the informers when none run.
func (e *Executor) acquire(ctx context.Context) (*conn, *watch, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.connErr != nil {
		return nil, nil, e.connErr
	}
	if e.configure != nil {
		cfg, err := e.configure()
		if err != nil {
			e.connErr = err
			return nil, nil, err
		}
		e.cfg, e.configure = cfg, nil
	}
	if e.conn == nil {
		c, err := connect(ctx, e.cfg)
		if err != nil {
			if ctx.Err() == nil {
				e.connErr = err
			}
			return nil, nil, err
		}
		e.conn = c
	}
	if e.idle != nil {
		e.idle.Stop()
		e.idle = nil
	}
	if e.watch == nil {
		w, err := startWatch(ctx, e.conn.client, e.conn.cfg.Namespace)
		if err != nil {
			return nil, nil, describeAPIError(err, e.conn.cfg)
		}
		e.watch = w
	}
	e.inflight++
	return e.conn, e.watch, nil
}

// release stops the informers a while after the last run ends.
func (e *Executor) release() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inflight--
	if e.inflight > 0 || e.watch == nil {
		return
	}
	w := e.watch
	e.idle = time.AfterFunc(idleAfter, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.inflight == 0 && e.watch == w {
			w.stop()
			e.watch = nil
		}
	})
}

// connect checks the store, makes the client, asks the API server whether
// the coordinator may do what it does, and pins the image.
func connect(ctx context.Context, cfg Config) (*conn, error) {
	if err := checkStore(cfg.Store); err != nil {
		return nil, err
	}
	if cfg.REST == nil {
		return nil, errors.New("no cluster configured (a bug in pipe: Config.REST is nil)")
	}
	// client-go's own logging would print the informers' retries on
	// pipe's standard error; their errors reach the runs instead.
	klog.SetLogger(logr.Discard())
	rc := *cfg.REST
	rc.QPS, rc.Burst = 50, 100
	if rc.UserAgent == "" {
		rc.UserAgent = "pipe"
	}
	client, err := kubernetes.NewForConfig(&rc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := checkAccess(ctx, client, cfg.Namespace); err != nil {
		return nil, describeAPIError(err, cfg)
	}
	if cfg.Image == "" {
		if cfg.Image, err = ownImage(ctx, client, cfg); err != nil {
			return nil, err
		}
	}
	if err := checkImage(cfg.Image); err != nil {
		return nil, err
	}
	return &conn{client: client, cfg: cfg}, nil
}

// ownImage is the image of the coordinator's own pod, by digest.
func ownImage(ctx context.Context, client kubernetes.Interface, cfg Config) (string, error) {
	if cfg.Owner == nil {
		return "", fmt.Errorf("no image for the workers: set %s to pipe's image pinned by digest (REPO@sha256:DIGEST), the image of this pipe's version; a coordinator in a pod (POD_NAME and POD_UID from the downward API) uses its own", EnvImage)
	}
	pod, err := client.CoreV1().Pods(cfg.Namespace).Get(ctx, cfg.Owner.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading the coordinator's pod %s for its image (or set %s): %w", cfg.Owner.Name, EnvImage, describeAPIError(err, cfg))
	}
	return podImage(pod)
}

// podImage is the digest-pinned image a pod's pipe container runs.
func podImage(pod *corev1.Pod) (string, error) {
	for _, st := range pod.Status.ContainerStatuses {
		if len(pod.Status.ContainerStatuses) > 1 && st.Name != containerName {
			continue
		}
		id := st.ImageID
		if i := strings.Index(id, "://"); i >= 0 {
			id = id[i+3:] // docker-pullable://REPO@sha256:...
		}
		if pinned.MatchString(id) {
			return id, nil
		}
		return "", fmt.Errorf("the coordinator's pod %s runs the image %s with no digest the workers can be pinned to (%q): set %s", pod.Name, st.Image, st.ImageID, EnvImage)
	}
	return "", fmt.Errorf("the coordinator's pod %s has no container status to read its image from: set %s", pod.Name, EnvImage)
}
