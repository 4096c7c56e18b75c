package deploy

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/deploy/k8stest"
)

// TestClusterDryRun sends every installation (the dev and prod overlays,
// and prod with each credentials component) through the API server's real
// admission and validation, which strict decoding does not run: kubectl
// apply --server-side --dry-run=server, each in a namespace of its own.
func TestClusterDryRun(t *testing.T) {
	c := k8stest.Connect(t)
	for _, ic := range installCases(t) {
		t.Run(ic.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			ns := c.Namespace(t, "dry")
			out, err := apply(ctx, c, renderInto(t, ic.dir, ns, variant{}), "--dry-run=server")
			if err != nil {
				t.Fatalf("the API server refuses %s: %v", ic.name, err)
			}
			for _, want := range []string{"deployment.apps/pipe", "cronjob.batch/pipe-apply", "persistentvolumeclaim/pipe-state"} {
				if !strings.Contains(out, want+" serverside-applied (server dry run)") {
					t.Errorf("kubectl apply did not apply %s:\n%s", want, out)
				}
			}
		})
	}
}

// TestClusterRejectsBadManifest is the bad input the API server catches
// and strict decoding does not (an enum value): the failure names the
// object, the field and the reason.
func TestClusterRejectsBadManifest(t *testing.T) {
	c := k8stest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := c.Namespace(t, "bad")
	bad := variant{patches: []string{`apiVersion: apps/v1
kind: Deployment
metadata:
  name: pipe
spec:
  template:
    spec:
      containers:
        - name: pipe
          imagePullPolicy: Sometimes
`}}
	manifests := renderInto(t, devOverlay, ns, bad)
	if _, err := decodeAll(manifests); err != nil {
		t.Fatalf("strict decoding already refuses the bad manifest (%v); pick a mistake only the server sees", err)
	}
	_, err := apply(ctx, c, manifests, "--dry-run=server")
	if err == nil {
		t.Fatal("the API server accepted imagePullPolicy: Sometimes")
	}
	for _, want := range []string{`The Deployment "pipe" is invalid`, "imagePullPolicy", `Unsupported value: "Sometimes"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
}

// devOverlay is the dev overlay's folder, seen from this package's.
var devOverlay = filepath.Join(repoRoot, "deploy/overlays/dev")

// decodeAll decodes every document strictly.
func decodeAll(manifests []byte) (int, error) {
	docs, err := splitDocuments(manifests)
	if err != nil {
		return 0, err
	}
	for _, d := range docs {
		if _, err := decodeStrict(d); err != nil {
			return 0, err
		}
	}
	return len(docs), nil
}

// TestClusterBadInput: installations that cannot start. The wait's
// failure names the object and the reason, in Kubernetes' own words.
func TestClusterBadInput(t *testing.T) {
	c := k8stest.Connect(t)
	for _, tc := range []struct {
		name string
		dir  string
		v    variant
		want []string
	}{{
		// The Secret component, without the Secret the user must create.
		name: "missing-secret",
		dir:  prodVariant(t, "gcs-key-secret"),
		v:    variant{image: k8stest.PipeImage},
		want: []string{"pod/pipe-", "FailedMount", `secret "pipe-gcs-key" not found`},
	}, {
		name: "unbound-claim",
		dir:  devOverlay,
		v: variant{patches: []string{`apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pipe-data
spec:
  resources:
    requests:
      storage: 1Ti
`}},
		want: []string{"persistentvolumeclaim/pipe-data: Pending", "FailedScheduling", "unbound immediate PersistentVolumeClaims"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c.Image(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			ns := c.Namespace(t, "bad")
			if _, err := apply(ctx, c, renderInto(t, tc.dir, ns, tc.v)); err != nil {
				t.Fatal(err)
			}
			wctx, wcancel := context.WithTimeout(ctx, time.Minute)
			defer wcancel()
			err := c.WaitDeployment(wctx, ns, "pipe")
			if err == nil {
				t.Fatal("the deployment became ready")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the wait's error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}
