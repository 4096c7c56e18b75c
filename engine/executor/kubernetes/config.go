package kubernetes

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pipe-ml/pipe/engine/signing"
)

// The environment variables FromEnvironment reads. POD_NAME, POD_UID and
// POD_NAMESPACE are the coordinator's own pod, from the downward API.
const (
	EnvNamespace      = "PIPE_K8S_NAMESPACE"
	EnvImage          = "PIPE_K8S_IMAGE"
	EnvServiceAccount = "PIPE_K8S_SERVICE_ACCOUNT"
	EnvWorkerEnv      = "PIPE_K8S_WORKER_ENV"
	EnvWorkerSecret   = "PIPE_K8S_WORKER_SECRET"
	EnvTTL            = "PIPE_K8S_TTL"
	// EnvKeySecret names the Secret that holds the team key (the file
	// pipe.key) for the workers, when the coordinator has a key.
	EnvKeySecret    = "PIPE_K8S_KEY_SECRET"
	EnvPodName      = "POD_NAME"
	EnvPodUID       = "POD_UID"
	EnvPodNamespace = "POD_NAMESPACE"
)

// Defaults of Config, as deploy/components/kubernetes-executor names them.
const (
	DefaultServiceAccount = "pipe-worker"
	DefaultWorkerEnv      = "pipe-worker-env"
	DefaultWorkerSecret   = "pipe-worker-credentials"
	DefaultKeySecret      = "pipe-key"
	// KeyMount is where a worker finds the team key's Secret; its
	// PIPE_KEY_FILE is KeyMount/KeyFile.
	KeyMount   = "/var/run/secrets/pipe-key"
	KeyFile    = "pipe.key"
	DefaultTTL = time.Hour
	// DefaultRetries is how many times a Job's pod is retried after a
	// failure of the infrastructure when the step's resources block says
	// nothing (Kubernetes' own default, 6, retries an OOM-kill six times).
	DefaultRetries = 2
	// SecretMount is where the worker Secret's files are, for a
	// credentials file (GOOGLE_APPLICATION_CREDENTIALS).
	SecretMount = "/var/run/secrets/pipe"
)

// serviceAccountNamespace is where a pod finds its namespace.
const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// Config is how the executor reaches the cluster and what its pods are.
// The zero value of every field but REST, Namespace and Store means the
// default documented on it.
type Config struct {
	// REST reaches the API server.
	REST *rest.Config
	// Namespace is where the Jobs run.
	Namespace string
	// Store is the store's URL as the workers open it (`pipe step exec
	// -store`): one the pods reach, never a local folder.
	Store string
	// Image is pipe's image, pinned by digest (REPO@sha256:HEX, or an
	// image ID sha256:HEX that the nodes hold), so that every pod of a
	// run is the same pipe. Empty: the image of the coordinator's own
	// pod (Owner), read from its status.
	Image string
	// ServiceAccount is the workers' (default "pipe-worker"): no API
	// access, only the store's credentials.
	ServiceAccount string
	// WorkerEnv and WorkerSecret are a ConfigMap and a Secret whose keys
	// become the workers' environment (STORAGE_EMULATOR_HOST, AWS_REGION,
	// GOOGLE_APPLICATION_CREDENTIALS...); the Secret's files are also
	// mounted at SecretMount. Both are optional: a missing one is empty.
	// Defaults "pipe-worker-env" and "pipe-worker-credentials".
	WorkerEnv, WorkerSecret string
	// Signed says the coordinator has a team key (PIPE_KEY_FILE or
	// PIPE_KEY): it trusts only cache entries signed with it, so the
	// workers mount the Secret KeySecret (default "pipe-key", its file
	// pipe.key: the same key) and sign with it.
	Signed    bool
	KeySecret string
	// Arch is the nodes' architecture the workers run on (default the
	// coordinator's, runtime.GOARCH): the image is one build.
	Arch string
	// TTL is how long a finished Job stays, for `kubectl logs` (default
	// an hour).
	TTL time.Duration
	// Owner is the coordinator's pod when it runs in one: its Jobs carry
	// an owner reference to it, so that they go when it goes.
	Owner *metav1.OwnerReference
	// Coordinator names the coordinator in the Jobs' annotations (a pod,
	// or host and process).
	Coordinator string
}

// FromEnvironment reads the executor's configuration: the kubeconfig
// (KUBECONFIG, ~/.kube/config) or, in a pod, its ServiceAccount; the
// namespace (PIPE_K8S_NAMESPACE, else the pod's, else the kubeconfig
// context's, else "default"); PIPE_K8S_IMAGE, PIPE_K8S_SERVICE_ACCOUNT,
// PIPE_K8S_WORKER_ENV, PIPE_K8S_WORKER_SECRET, PIPE_K8S_TTL; and
// POD_NAME, POD_UID, POD_NAMESPACE for the owner reference. store is the
// store's URL. It reads files, never the network.
func FromEnvironment(store string, getenv func(string) string) (*Config, error) {
	c, err := fromEnvironment(store, getenv)
	if err != nil {
		return nil, fmt.Errorf("kubernetes executor: %w", err)
	}
	return c, nil
}

func fromEnvironment(store string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Config{
		Store:          store,
		Image:          getenv(EnvImage),
		ServiceAccount: getenv(EnvServiceAccount),
		WorkerEnv:      getenv(EnvWorkerEnv),
		WorkerSecret:   getenv(EnvWorkerSecret),
		Signed:         getenv(signing.EnvKeyFile) != "" || getenv(signing.EnvKey) != "",
		KeySecret:      getenv(EnvKeySecret),
	}
	loading := clientcmd.NewDefaultClientConfigLoadingRules()
	if kc := getenv("KUBECONFIG"); kc != "" {
		loading.ExplicitPath = ""
		loading.Precedence = strings.Split(kc, string(os.PathListSeparator))
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, &clientcmd.ConfigOverrides{})
	var err error
	if c.REST, err = cc.ClientConfig(); err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("no cluster to run on: set KUBECONFIG (or write ~/.kube/config), or run pipe in a pod whose ServiceAccount token is mounted (deploy/components/kubernetes-executor)")
		}
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	if t := getenv(EnvTTL); t != "" {
		if c.TTL, err = time.ParseDuration(t); err != nil || c.TTL < 0 {
			return nil, fmt.Errorf("%s=%q is not a duration (e.g. 1h, 30m)", EnvTTL, t)
		}
	}
	c.Namespace = namespace(getenv, cc)
	c.Owner, c.Coordinator = owner(getenv, c.Namespace)
	return c, nil
}

// namespace picks the Jobs' namespace.
func namespace(getenv func(string) string, cc clientcmd.ClientConfig) string {
	if ns := getenv(EnvNamespace); ns != "" {
		return ns
	}
	if ns := getenv(EnvPodNamespace); ns != "" {
		return ns
	}
	if b, err := os.ReadFile(serviceAccountNamespace); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b))
	}
	if ns, _, err := cc.Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}

// owner is the coordinator's pod, when it runs in one in the Jobs'
// namespace (an owner reference cannot cross namespaces), and how the
// coordinator is named in annotations.
func owner(getenv func(string) string, ns string) (*metav1.OwnerReference, string) {
	name, uid := getenv(EnvPodName), getenv(EnvPodUID)
	if name == "" || uid == "" {
		host, _ := os.Hostname()
		return nil, fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	coordinator := "pod/" + name
	if pns := getenv(EnvPodNamespace); pns != "" && pns != ns {
		return nil, coordinator + " in " + pns
	}
	return &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: name, UID: types.UID(uid)}, coordinator
}

// withDefaults fills in the defaults.
func (c Config) withDefaults() Config {
	if c.ServiceAccount == "" {
		c.ServiceAccount = DefaultServiceAccount
	}
	if c.WorkerEnv == "" {
		c.WorkerEnv = DefaultWorkerEnv
	}
	if c.WorkerSecret == "" {
		c.WorkerSecret = DefaultWorkerSecret
	}
	if c.KeySecret == "" {
		c.KeySecret = DefaultKeySecret
	}
	if c.Arch == "" {
		c.Arch = runtime.GOARCH
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	return c
}

// pinned matches an image pinned by digest: REPO@sha256:HEX, or the image
// ID sha256:HEX.
var pinned = regexp.MustCompile(`^([^@\s]+@)?sha256:[0-9a-f]{64}$`)

// checkImage refuses an image that is not pinned by digest.
func checkImage(image string) error {
	if pinned.MatchString(image) {
		return nil
	}
	return fmt.Errorf("the image %q is not pinned by digest, so the pods of one run could run different pipes: set %s to REPO@sha256:DIGEST (docker inspect --format '{{index .RepoDigests 0}}' IMAGE prints it), or run the coordinator in a pod of that image, whose digest it then uses", image, EnvImage)
}

// checkStore refuses a store the pods cannot reach.
func checkStore(url string) error {
	scheme, _, _ := strings.Cut(url, "://")
	switch scheme {
	case "gs", "s3", "azblob":
		return nil
	case "":
		return errors.New("no store URL: the workers need the store the coordinator uses")
	}
	return fmt.Errorf("the store %s is on this machine (%s://), where the pods cannot read or write it: use a bucket (settings { store = \"gs://BUCKET/PREFIX\" }, PIPE_STORE or -store), or run these steps locally (-executor=local)", url, scheme)
}
