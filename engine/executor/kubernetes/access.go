package kubernetes

import (
	"context"
	"fmt"
	"strings"
	"sync"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Permission is one thing the coordinator does in its namespace.
type Permission struct {
	Group, Resource, Subresource, Verb string
}

// String is "watch pods", "get pods/log", "create jobs.batch".
func (p Permission) String() string {
	r := p.Resource
	if p.Subresource != "" {
		r += "/" + p.Subresource
	}
	if p.Group != "" {
		r += "." + p.Group
	}
	return p.Verb + " " + r
}

// Permissions is everything the coordinator's Role must grant, and all it
// needs (deploy/components/kubernetes-executor/rbac.yaml grants exactly
// this): it creates, follows and deletes its Jobs; follows their pods,
// reads the pods' logs, and reads its own pod for its image; follows the
// Jobs' warning events (a quota refusal).
var Permissions = []Permission{
	{"batch", "jobs", "", "create"},
	{"batch", "jobs", "", "get"},
	{"batch", "jobs", "", "list"},
	{"batch", "jobs", "", "watch"},
	{"batch", "jobs", "", "delete"},
	{"", "pods", "", "get"},
	{"", "pods", "", "list"},
	{"", "pods", "", "watch"},
	{"", "pods", "log", "get"},
	{"", "events", "", "list"},
	{"", "events", "", "watch"},
}

// rolePermissions renders Permissions as a Role's rules read.
func rolePermissions() string {
	var b strings.Builder
	var last string
	for _, p := range Permissions {
		r := p.Resource
		if p.Subresource != "" {
			r += "/" + p.Subresource
		}
		if r != last {
			if last != "" {
				b.WriteString("; ")
			}
			b.WriteString(r + ": ")
			last = r
		} else {
			b.WriteString(", ")
		}
		b.WriteString(p.Verb)
	}
	return b.String()
}

// checkAccess asks the API server, for each permission, whether the
// coordinator has it in ns, and refuses with a message naming the first
// it lacks and the identity that lacks it. It is also how an unreachable
// cluster is found, before anything is created.
func checkAccess(ctx context.Context, client kubernetes.Interface, ns string) error {
	denied := make([]bool, len(Permissions))
	errs := make([]error, len(Permissions))
	var wg sync.WaitGroup
	for i, p := range Permissions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			review := &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authzv1.ResourceAttributes{
					Namespace: ns, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource, Verb: p.Verb,
				},
			}}
			got, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
			switch {
			case err != nil:
				errs[i] = err
			case !got.Status.Allowed:
				denied[i] = true
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var missing []Permission
	for i, p := range Permissions {
		if denied[i] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return &ForbiddenError{Missing: missing, Namespace: ns, Identity: whoAmI(ctx, client)}
	}
	return nil
}

// whoAmI names the coordinator's identity, or "" when the API server does
// not say.
func whoAmI(ctx context.Context, client kubernetes.Interface) string {
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return ""
	}
	return r.Status.UserInfo.Username
}

// ForbiddenError is what the coordinator may not do in its namespace.
type ForbiddenError struct {
	Missing   []Permission
	Namespace string
	// Identity is the user the API server saw ("" when it did not say).
	Identity string
}

func (e *ForbiddenError) Error() string {
	who := "the coordinator"
	if e.Identity != "" {
		who += " (" + e.Identity + ")"
	}
	missing := make([]string, len(e.Missing))
	for i, p := range e.Missing {
		missing[i] = p.String()
	}
	msg := fmt.Sprintf("%s may not %s in namespace %s: its Role must grant %s (deploy/components/kubernetes-executor/rbac.yaml grants exactly that), bound to the ServiceAccount pipe runs as",
		who, strings.Join(missing, ", "), e.Namespace, rolePermissions())
	if len(e.Missing) == len(Permissions) {
		// Nothing at all: a namespaced identity cannot tell a namespace
		// that does not exist from one that grants it nothing.
		msg += fmt.Sprintf("; or namespace %s does not exist: create it (kubectl create namespace %s) or set %s to the namespace pipe's Role is in", e.Namespace, e.Namespace, EnvNamespace)
	}
	return msg
}
