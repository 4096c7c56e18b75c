package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// application is an Argo CD Application (argoproj.io/v1alpha1) as far as
// deploy/argocd uses it. Decoding is strict: a field not listed here fails.
type application struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name       string            `json:"name"`
		Namespace  string            `json:"namespace"`
		Labels     map[string]string `json:"labels,omitempty"`
		Finalizers []string          `json:"finalizers,omitempty"`
	} `json:"metadata"`
	Spec struct {
		Project string `json:"project"`
		Source  struct {
			RepoURL        string `json:"repoURL"`
			TargetRevision string `json:"targetRevision"`
			Path           string `json:"path"`
		} `json:"source"`
		Destination struct {
			Server    string `json:"server"`
			Namespace string `json:"namespace"`
		} `json:"destination"`
		SyncPolicy *struct {
			Automated *struct {
				Prune    bool `json:"prune"`
				SelfHeal bool `json:"selfHeal"`
			} `json:"automated,omitempty"`
			SyncOptions []string `json:"syncOptions,omitempty"`
			Retry       *struct {
				Limit   int `json:"limit"`
				Backoff struct {
					Duration    string `json:"duration"`
					Factor      int    `json:"factor"`
					MaxDuration string `json:"maxDuration"`
				} `json:"backoff"`
			} `json:"retry,omitempty"`
		} `json:"syncPolicy,omitempty"`
	} `json:"spec"`
}

// TestArgoCDApplications decodes every Application strictly and renders the
// folder it points at.
func TestArgoCDApplications(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy/argocd/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no Argo CD Applications in deploy/argocd")
	}
	var paths []string
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var app application
			if err := yaml.UnmarshalStrict(raw, &app); err != nil {
				t.Fatalf("does not decode strictly: %v", err)
			}
			if app.APIVersion != "argoproj.io/v1alpha1" || app.Kind != "Application" {
				t.Errorf("is %s %s, want argoproj.io/v1alpha1 Application", app.APIVersion, app.Kind)
			}
			if app.Metadata.Name == "" || app.Metadata.Namespace == "" || app.Spec.Project == "" {
				t.Error("needs a name, Argo CD's namespace and a project")
			}
			src := app.Spec.Source
			if u, err := url.Parse(src.RepoURL); err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("repoURL %q is not an https URL", src.RepoURL)
			}
			if src.TargetRevision == "" {
				t.Error("no targetRevision")
			}
			if filepath.IsAbs(src.Path) || strings.Contains(src.Path, "..") {
				t.Errorf("path %q must be relative to the repository root", src.Path)
			}
			paths = append(paths, src.Path)
			objs, err := splitDocuments(mustKustomize(t, filepath.Join(repoRoot, src.Path)))
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) == 0 {
				t.Fatalf("%s renders nothing", src.Path)
			}
			// Everything it deploys lands in the destination namespace.
			for _, doc := range objs {
				var obj struct {
					Kind     string `json:"kind"`
					Metadata struct {
						Name      string `json:"name"`
						Namespace string `json:"namespace"`
					} `json:"metadata"`
				}
				if err := yaml.Unmarshal(doc, &obj); err != nil {
					t.Fatal(err)
				}
				if obj.Kind == "Namespace" {
					if obj.Metadata.Name != app.Spec.Destination.Namespace {
						t.Errorf("%s creates Namespace %s, destination is %s", src.Path, obj.Metadata.Name, app.Spec.Destination.Namespace)
					}
					continue
				}
				if obj.Metadata.Namespace != app.Spec.Destination.Namespace {
					t.Errorf("%s/%s renders into %q, destination is %q", obj.Kind, obj.Metadata.Name, obj.Metadata.Namespace, app.Spec.Destination.Namespace)
				}
			}
			if sp := app.Spec.SyncPolicy; sp != nil && sp.Automated != nil && sp.Automated.Prune && !slices.Contains(app.Metadata.Finalizers, "resources-finalizer.argocd.argoproj.io") {
				t.Log("automated prune without the resources finalizer: deleting the Application leaves its objects behind")
			}
		})
	}
	if !slices.Contains(paths, "deploy/overlays/prod") {
		t.Errorf("no Application deploys deploy/overlays/prod (have %v)", paths)
	}
}
