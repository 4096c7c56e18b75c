package kubernetes

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// JobError is a remote step that could not run for a reason of the
// infrastructure: its message names the step, the Job, what happened and
// what to do.
type JobError struct {
	Step      string
	Job       string
	Namespace string
	// What happened, and Todo, what to do about it.
	What, Todo string
}

func (e *JobError) Error() string {
	s := fmt.Sprintf("step %s, Job %s/%s: %s", e.Step, e.Namespace, e.Job, e.What)
	if e.Todo != "" {
		s += ". " + e.Todo
	}
	return s
}

// describeAPIError says in words what an error of the API server means
// for the coordinator: unreachable, credentials refused, permission
// missing.
func describeAPIError(err error, cfg Config) error {
	var fe *ForbiddenError
	if err == nil || errors.As(err, &fe) {
		return err
	}
	host := "the API server"
	if cfg.REST != nil && cfg.REST.Host != "" {
		host = "the API server at " + cfg.REST.Host
	}
	var ne net.Error
	var ue *url.Error
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%s does not accept the coordinator's credentials (%v): renew the kubeconfig's token, or check the ServiceAccount token mounted in the coordinator's pod", host, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s refuses (%v): the coordinator's Role must grant %s in namespace %s (deploy/components/kubernetes-executor/rbac.yaml)", host, err, rolePermissions(), cfg.Namespace)
	case errors.As(err, &ue), errors.As(err, &ne), strings.Contains(err.Error(), "connection refused"):
		return fmt.Errorf("cannot reach %s (%v): is the cluster up, and does KUBECONFIG (or the pod's ServiceAccount) point at it? Or run the steps here with -executor=local", host, err)
	}
	return err
}
