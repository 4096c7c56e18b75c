package examples

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
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
			If   string            `json:"if"`
			Run  string            `json:"run"`
			Env  map[string]string `json:"env"`
			With map[string]any    `json:"with"`
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

// expression matches a GitHub Actions expression, ${{ ... }}.
var expression = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// githubEnv evaluates a workflow's env block as GitHub does: secrets
// from the repository's secret store (here, secrets), repository
// variables that are not defined as empty strings. Any other expression
// is a test failure: the test would not know what GitHub gives it.
func githubEnv(t *testing.T, env map[string]string, secrets map[string]string) []string {
	t.Helper()
	var out []string
	for name, value := range env {
		value = expression.ReplaceAllStringFunc(value, func(m string) string {
			e := expression.FindStringSubmatch(m)[1]
			switch {
			case strings.HasPrefix(e, "secrets."):
				v, ok := secrets[strings.TrimPrefix(e, "secrets.")]
				if !ok {
					t.Errorf("env %s needs secret %s, which the test does not know", name, e)
				}
				return v
			case strings.HasPrefix(e, "vars."):
				return "" // not defined in a repository that just copied the file
			}
			t.Errorf("env %s uses the expression %q, which the test cannot evaluate", name, m)
			return ""
		})
		out = append(out, name+"="+value)
	}
	sort.Strings(out)
	return out
}

// TestCIWorkflow runs the workflow's own shell steps, in order, on the
// quickstart, with the workflow's environment as GitHub would give it:
// the pull-request job, then the main-branch job applying the plan the
// first one saved. The run that applied it is recorded as a CI run of
// main at the pushed commit, in the store's registry log: another
// machine, with no registry file of the runner's, reads it there.
func TestCIWorkflow(t *testing.T) {
	b, err := os.ReadFile("ci/pipe.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("ci/pipe.yml does not parse: %v", err)
	}
	for job, event := range map[string]string{"plan": "pull_request", "apply": "push"} {
		j, ok := wf.Jobs[job]
		if !ok {
			t.Fatalf("the workflow has no %s job", job)
		}
		if j.If != "github.event_name == '"+event+"'" {
			t.Errorf("the %s job runs if %q, want on %s events", job, j.If, event)
		}
	}
	if strings.Contains(string(b), "PIPE_STORE: gs://") || !strings.Contains(wf.Env["PIPE_STORE"], "secrets.") {
		t.Error("the store's location must come from the secret store, not the file")
	}
	// Credentials only ever come from the secret store: every value given
	// to a credentials action is a secrets expression.
	for job, j := range wf.Jobs {
		for _, step := range j.Steps {
			if !strings.Contains(step.Uses, "auth") {
				continue
			}
			for k, v := range step.With {
				if s, _ := v.(string); !regexp.MustCompile(`^\$\{\{ secrets\.[A-Z0-9_]+ \}\}$`).MatchString(s) {
					t.Errorf("%s job, step %q: %s is %q, not a secret", job, step.Name, k, v)
				}
			}
		}
	}
	// The pipe commands the issue asks for, in order.
	commands := func(job string) string {
		var all []string
		for _, step := range wf.Jobs[job].Steps {
			all = append(all, step.Run)
		}
		return strings.Join(all, "\n")
	}
	inOrder := func(job string, want ...string) {
		s := commands(job)
		for _, w := range want {
			i := strings.Index(s, w)
			if i < 0 {
				t.Errorf("the %s job does not run %q (or not after the commands before it)", job, w)
				return
			}
			s = s[i+len(w):]
		}
	}
	inOrder("plan", "pipe fmt -check", "pipe validate", "pipe plan -detailed-exitcode -out=pipe.plan", "pipe show -markdown pipe.plan")
	inOrder("apply", "gh run download", `pipe apply -json -plan-digest="$digest" pipe.plan`)

	work := t.TempDir()
	pipeline := wf.Env["PIPELINE"]
	os.Rename(quickstart(t), filepath.Join(work, pipeline))
	binDir := filepath.Dir(binary(t))
	output := filepath.Join(work, "github_output")
	secrets := map[string]string{"PIPE_STORE": "file://" + filepath.Join(work, "shared-store")}
	base := append(githubEnv(t, wf.Env, secrets),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+t.TempDir(),
		"CI=true",
		"GITHUB_ACTIONS=true",
		"GITHUB_OUTPUT="+output,
		"GITHUB_WORKSPACE="+work,
		"GITHUB_REPOSITORY=acme/pipelines",
	)
	const prHead, merged = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	events := map[string][]string{
		"plan": {"GITHUB_EVENT_NAME=pull_request", "GITHUB_SHA=" + prHead, "GITHUB_REF=refs/pull/12/merge",
			"GITHUB_REF_NAME=12/merge", "GITHUB_HEAD_REF=more-trials", "GITHUB_BASE_REF=main"},
		"apply": {"GITHUB_EVENT_NAME=push", "GITHUB_SHA=" + merged, "GITHUB_REF=refs/heads/main",
			"GITHUB_REF_NAME=main", "GITHUB_REF_TYPE=branch"},
	}
	runJob := func(job string) {
		env := append(append([]string(nil), base...), events[job]...)
		for _, step := range wf.Jobs[job].Steps {
			if step.Run == "" || needsGitHub[step.Name] {
				continue
			}
			if expression.MatchString(step.Run) {
				t.Errorf("%s job, step %q: the test cannot evaluate the expressions in its script", job, step.Name)
				continue
			}
			cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", step.Run)
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
	if !strings.HasPrefix(string(md), "<!-- pipe-plan -->\n### pipe plan: `quickstart`") || !strings.Contains(string(md), "| `search.lr` | run") ||
		!strings.Contains(string(md), "**Plan: 6 to run, 0 cached.**") {
		t.Errorf("plan comment:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(work, "pipe.plan")); err != nil {
		t.Errorf("no saved plan to upload: %v", err)
	}

	// A plan file changed after review is refused by the apply step: it
	// applies only the digest the comment shows.
	reviewed, _ := os.ReadFile(filepath.Join(work, "pipe.plan"))
	os.WriteFile(filepath.Join(work, "pipe.plan"), bytes.Replace(reviewed, []byte(`"min_f1"`), []byte(`"min_f1" `), 1), 0o644)
	for _, step := range wf.Jobs["apply"].Steps {
		if step.Name != "Apply the reviewed plan" {
			continue
		}
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", step.Run)
		cmd.Dir, cmd.Env = work, append(append([]string(nil), base...), events["apply"]...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "it is not the plan that was reviewed") {
			t.Errorf("the apply step ran a plan changed after review: %v\n%s", err, out)
		}
	}
	os.WriteFile(filepath.Join(work, "pipe.plan"), reviewed, 0o644)

	runJob("apply")
	// The runner's registry file goes with the runner: the history is in
	// the store. Another machine (here, the same folder without its
	// registry file, and a folder of its own) reads it from there.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(work, pipeline, ".pipe", "registry.db"+suffix))
	}
	env := append(append([]string(nil), base...), events["apply"]...)
	env = append(env, "PIPE_STATE_DIR="+t.TempDir())
	cmd := exec.Command(binary(t), "plan", "-detailed-exitcode", pipeline)
	cmd.Dir, cmd.Env = work, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("after the apply job the plan is not empty: %v\n%s", err, out)
	}
	cmd = exec.Command(binary(t), "runs", "-json", pipeline)
	cmd.Dir, cmd.Env = work, env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pipe runs: %v", err)
	}
	var runs struct {
		Runs []struct {
			Trigger     string `json:"trigger"`
			Status      string `json:"status"`
			GitCommit   string `json:"git_commit"`
			GitBranch   string `json:"git_branch"`
			PullRequest string `json:"pull_request"`
			StoreURL    string `json:"store_url"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &runs); err != nil || len(runs.Runs) != 1 {
		t.Fatalf("pipe runs -json: %v\n%s", err, out)
	}
	r := runs.Runs[0]
	if r.Trigger != "ci" || r.Status != "succeeded" || r.GitCommit != merged || r.GitBranch != "main" || r.PullRequest != "" || r.StoreURL != secrets["PIPE_STORE"] {
		t.Errorf("the apply job's run: %+v", r)
	}
}
