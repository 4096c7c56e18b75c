package k8stest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OwnerLabel marks the namespaces this package made, so that a person
// can find and delete what a killed test left:
// kubectl delete ns -l pipe.test/owner=k8stest.
const OwnerLabel = "pipe.test/owner"

// namespaceGone bounds the wait for a deleted namespace's pods to stop.
const namespaceGone = 3 * time.Minute

// Namespace creates a namespace named after prefix with a random suffix,
// enforcing the "restricted" Pod Security Standard (pipe's pods meet it;
// a test that needs less relabels it), and waits for its default
// ServiceAccount. When the test ends it dumps what a person would read
// if the test failed (see Dump), deletes the namespace, waits for it to
// go, and makes the volumes its claims held Available again, emptied.
func (c *Cluster) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	name := strings.ToLower(prefix) + "-" + hex.EncodeToString(suffix)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name,
		Labels: map[string]string{
			OwnerLabel:                           "k8stest",
			"pod-security.kubernetes.io/enforce": "restricted",
		},
	}}
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("k8stest: creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.Dump(t, name)
		}
		if err := c.deleteNamespace(name); err != nil {
			t.Errorf("k8stest: %v", err)
		}
	})
	err := poll(ctx, func() (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("k8stest: namespace %s has no default ServiceAccount after a minute (is kube-controller-manager running? its log: %s)",
			name, filepath.Join(c.State, "logs/kube-controller-manager.log"))
	}
	return name
}

// deleteNamespace deletes ns, waits until it is gone, and releases the
// volumes its claims were bound to.
func (c *Cluster) deleteNamespace(ns string) error {
	ctx, cancel := context.WithTimeout(context.Background(), namespaceGone)
	defer cancel()
	err := c.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", ns, err)
	}
	err = poll(ctx, func() (bool, error) {
		_, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s still there %s after its deletion:\n%s", ns, namespaceGone, c.Diagnose(context.Background(), ns))
	}
	return c.releaseVolumes(ctx, ns)
}

// releaseVolumes empties the hostPath volumes that claims in ns were bound
// to and makes them Available for the next test (static volumes with the
// Retain policy otherwise stay Released for good).
func (c *Cluster) releaseVolumes(ctx context.Context, ns string) error {
	pvs, err := c.Client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range pvs.Items {
		pv := &pvs.Items[i]
		if pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.Namespace != ns || pv.Spec.HostPath == nil {
			continue
		}
		dir := pv.Spec.HostPath.Path
		if !strings.HasPrefix(dir, c.State+"/") {
			continue // not one of up.sh's volumes
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("emptying volume %s: %w", pv.Name, err)
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("emptying volume %s: %w", pv.Name, err)
			}
		}
		pv.Spec.ClaimRef = nil
		if _, err := c.Client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("releasing volume %s: %w", pv.Name, err)
		}
	}
	return nil
}

// ClaimDir is the folder on this machine that holds the volume bound to
// the claim ns/name: a test fills a data volume by writing there, as a
// loader pod would.
func (c *Cluster) ClaimDir(ctx context.Context, ns, name string) (string, error) {
	if err := c.WaitClaimBound(ctx, ns, name); err != nil {
		return "", err
	}
	pvc, err := c.Client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	pv, err := c.Client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if pv.Spec.HostPath == nil {
		return "", fmt.Errorf("k8stest: claim %s/%s is bound to %s, which is not a hostPath volume", ns, name, pv.Name)
	}
	return pv.Spec.HostPath.Path, nil
}

// poll calls cond every half second until it returns true or an error,
// or ctx ends.
func poll(ctx context.Context, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
