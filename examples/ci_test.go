package examples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	Env  map[string]string `json:"env"`
	Jobs map[string]struct {
		If    string `json:"if"`
		Steps []struct {
			Name string            `json:"name"`
			Uses string            `json:"uses"`
			Run  string            `json:"run"`
			Env  map[string]string `json:"env"`
		} `json:"steps"`
	} `json:"jobs"`
}

// Steps that need GitHub itself: installing a released pipe (the test
// builds its own) and finding the pull request's plan through GitHub's
// API (the test keeps the plan file where the plan job left it).
var needsGitHub = map[string]bool{
	"Install pipe":           true,
	"Find the reviewed plan": true,
}

// TestCIWorkflow runs the workflow's own shell steps, in order, on the
// quickstart: the pull-request job, then the main-branch job applying the
// plan the first one saved.
func TestCIWorkflow(t *testing.T) {
	b, err := os.ReadFile("ci/pipe.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("ci/pipe.yml does not parse: %v", err)
	}
	for _, name := range []string{"plan", "apply"} {
		if _, ok := wf.Jobs[name]; !ok {
			t.Fatalf("the workflow has no %s job", name)
		}
	}
	if strings.Contains(string(b), "PIPE_STORE: gs://") || !strings.Contains(wf.Env["PIPE_STORE"], "secrets.") {
		t.Error("the store's location must come from the secret store, not the file")
	}

	work := t.TempDir()
	os.Rename(quickstart(t), filepath.Join(work, wf.Env["PIPELINE"]))
	binDir := filepath.Dir(pipeBin)
	output := filepath.Join(work, "github_output")
	env := []string{
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"PIPELINE=" + wf.Env["PIPELINE"],
		"PIPE_STORE=file://" + filepath.Join(work, "shared-store"),
		"NO_COLOR=1",
		"CI=true",
		"GITHUB_ACTIONS=true",
		"GITHUB_OUTPUT=" + output,
	}
	runJob := func(job string) {
		for _, step := range wf.Jobs[job].Steps {
			if step.Run == "" || needsGitHub[step.Name] {
				continue
			}
			cmd := exec.Command("bash", "-e", "-c", step.Run)
			cmd.Dir = work
			cmd.Env = env
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s job, step %q: %v\n%s", job, step.Name, err, out.String())
			}
			t.Logf("%s / %s:\n%s", job, step.Name, out.String())
		}
	}

	runJob("plan")
	outputs, _ := os.ReadFile(output)
	if !strings.Contains(string(outputs), "changes=true") {
		t.Errorf("the plan step did not report changes: %q", outputs)
	}
	md, _ := os.ReadFile(filepath.Join(work, "plan.md"))
	if !strings.HasPrefix(string(md), "<!-- pipe-plan -->") || !strings.Contains(string(md), "| `search.lr` | run") {
		t.Errorf("plan comment:\n%s", md)
	}

	runJob("apply")
	cmd := exec.Command(pipeBin, "plan", "-detailed-exitcode", wf.Env["PIPELINE"])
	cmd.Dir, cmd.Env = work, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("after the apply job the plan is not empty: %v\n%s", err, out)
	}
}
