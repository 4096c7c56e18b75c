package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docAnchors returns the GitHub anchors of docs/deployment.md's headings.
func docAnchors(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs/deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	var anchors []string
	inFence := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		anchors = append(anchors, githubAnchor(title))
	}
	return anchors
}

// githubAnchor turns a heading into the anchor GitHub gives it: lower
// case, punctuation dropped, spaces to hyphens.
func githubAnchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDeploymentGuide keeps docs/deployment.md true to the repository: every
// path it names exists, and the sections other files link to are there.
func TestDeploymentGuide(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs/deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	paths := regexp.MustCompile(`\b(?:deploy|pipelines|docs)/[A-Za-z0-9_.*/-]*[A-Za-z0-9_*/]`)
	seen := make(map[string]bool)
	for _, p := range paths.FindAllString(doc, -1) {
		p = strings.TrimSuffix(p, "/")
		if p == "deploy/pipe" {
			continue // kubectl's name for the Deployment, not a path
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		if strings.Contains(p, "*") {
			if m, _ := filepath.Glob(filepath.Join(repoRoot, p)); len(m) == 0 {
				t.Errorf("docs/deployment.md names %s, which matches nothing", p)
			}
			continue
		}
		if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
			t.Errorf("docs/deployment.md names %s, which does not exist", p)
		}
	}
	anchors := make(map[string]bool)
	for _, a := range docAnchors(t) {
		anchors[a] = true
	}
	// Linked from the PrometheusRule and from the README.
	for _, a := range readmeAnchors {
		if !anchors[a] {
			t.Errorf("docs/deployment.md has no section with anchor #%s", a)
		}
	}
	// Every overlay and component is explained.
	for _, dir := range overlays {
		if !strings.Contains(doc, dir) {
			t.Errorf("docs/deployment.md does not mention %s", dir)
		}
	}
	for _, c := range credentialComponents {
		if !strings.Contains(doc, "components/"+c.name) {
			t.Errorf("docs/deployment.md does not explain components/%s", c.name)
		}
	}
}

// readmeAnchors are the sections of docs/deployment.md that the README and
// the alerts link to.
var readmeAnchors = []string{
	"build-and-push-the-image",
	"building-without-a-registry",
	"local-development-with-docker-compose",
	"deploy-to-a-cluster",
	"credentials-for-the-store",
	"trigger-a-run-by-hand",
	"logs-metrics-and-lineage",
	"when-a-run-fails",
	"roll-back-a-model",
	"gitops-with-argo-cd",
	"steps-as-kubernetes-jobs",
}

func TestGitHubAnchor(t *testing.T) {
	for title, want := range map[string]string{
		"Logs, metrics and lineage":         "logs-metrics-and-lineage",
		"GitOps with Argo CD":               "gitops-with-argo-cd",
		"Credentials for the store (gs://)": "credentials-for-the-store-gs",
		"State: the registry on the PVC":    "state-the-registry-on-the-pvc",
	} {
		if got := githubAnchor(title); got != want {
			t.Errorf("githubAnchor(%q) = %q, want %q", title, got, want)
		}
	}
}
