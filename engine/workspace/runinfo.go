package workspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/plan"
	"github.com/pipe-ml/pipe/engine/registry"
)

// Triggers a run may have.
var Triggers = []string{registry.TriggerManual, registry.TriggerCI, registry.TriggerSchedule, registry.TriggerWatch}

// InCI reports whether env is a CI job's: CI, GITHUB_ACTIONS or
// GITLAB_CI is "true". It is the one definition of CI: it sets a run's
// trigger, and the CLI uses it to turn off colour and the live line.
func InCI(env []string) bool {
	return Getenv(env, "CI") == "true" || Getenv(env, "GITHUB_ACTIONS") == "true" || Getenv(env, "GITLAB_CI") == "true"
}

// Trigger resolves what started a run: the -trigger flag, else
// PIPE_TRIGGER, else ci in a CI job, else manual.
func Trigger(flag string, env []string) (string, error) {
	t := flag
	if t == "" {
		t = Getenv(env, EnvTrigger)
	}
	if t == "" {
		if InCI(env) {
			return registry.TriggerCI, nil
		}
		return registry.TriggerManual, nil
	}
	if !slices.Contains(Triggers, t) {
		return "", fmt.Errorf("workspace: unknown trigger %q: use one of %s", t, strings.Join(Triggers, ", "))
	}
	return t, nil
}

// RunRecord describes a run of this workspace's pipeline about to start.
func (w *Workspace) RunRecord(ctx context.Context, trigger, pipeVersion string, env []string) registry.Run {
	return w.StartRunRecord(ctx, trigger, pipeVersion, env)()
}

// StartRunRecord is RunRecord in two halves: it starts finding the
// facts that take a while (the Git checkout's commit, dirty flag and
// branch: three git processes) beside the caller's work, and the
// function it returns waits for them and returns the record, started
// when it is called. Cancelling ctx stops the git processes.
func (w *Workspace) StartRunRecord(ctx context.Context, trigger, pipeVersion string, env []string) func() registry.Run {
	var g registry.Run
	done := make(chan struct{})
	go func() {
		defer close(done)
		gitInfo(ctx, w.Pipeline.Config.Dir, &g)
	}()
	return func() registry.Run {
		r := registry.Run{
			Pipeline:     w.Pipeline.Config.Name(),
			Trigger:      trigger,
			ConfigDigest: w.ConfigDigest(),
			PipeVersion:  pipeVersion,
			StoreURL:     w.StoreURL,
			Origin:       w.Origin(),
		}
		r.Host, _ = os.Hostname()
		if u, err := user.Current(); err == nil {
			r.User = u.Username
		}
		<-done
		r.GitCommit, r.GitDirty, r.GitBranch = g.GitCommit, g.GitDirty, g.GitBranch
		ciInfo(env, &r)
		r.Started = time.Now()
		return r
	}
}

// ConfigDigest is the digest of what defines a run: the pipeline's files
// and its variables' values (sensitive ones by their keyed hash).
func (w *Workspace) ConfigDigest() string {
	h := sha256.New()
	src := plan.SourceDigests(w.Pipeline.Config)
	for _, name := range sortedKeys(src) {
		fmt.Fprintf(h, "file %s %s\n", name, src[name])
	}
	for _, name := range sortedKeys(w.Pipeline.Vars) {
		enc, err := cachekey.Encode(w.Pipeline.Vars[name], w.HashKey)
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "var %s %s %s %s\n", name, enc.Type, enc.Value, enc.SensitiveHMAC)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// gitInfo fills the commit, dirty flag and branch when dir is in a Git
// checkout and git is installed; otherwise it leaves them empty. The
// checkout is dirty when a tracked file under dir has changed; untracked
// files do not count, so pipe's own state folder (.pipe/) and the files
// a run writes never mark a clean checkout dirty.
func gitInfo(ctx context.Context, dir string, r *registry.Run) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	git := func(args ...string) (string, bool) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err == nil
	}
	commit, ok := git("rev-parse", "HEAD")
	if !ok {
		return
	}
	r.GitCommit = commit
	if status, ok := git("status", "--porcelain", "--untracked-files=no", "--", "."); ok {
		dirty := status != ""
		r.GitDirty = &dirty
	}
	if branch, ok := git("rev-parse", "--abbrev-ref", "HEAD"); ok && branch != "HEAD" {
		r.GitBranch = branch
	}
}

var prRef = regexp.MustCompile(`^refs/pull/(\d+)/`)

// ciInfo takes the commit, branch and pull request from the CI's
// environment when it provides them (GitHub Actions, GitLab CI), which
// beats what a detached checkout says.
func ciInfo(env []string, r *registry.Run) {
	get := func(name string) string { return Getenv(env, name) }
	if get("GITHUB_ACTIONS") == "true" {
		if sha := get("GITHUB_SHA"); sha != "" && r.GitCommit == "" {
			r.GitCommit = sha
		}
		if b := get("GITHUB_HEAD_REF"); b != "" {
			r.GitBranch = b
		} else if b := get("GITHUB_REF_NAME"); b != "" && get("GITHUB_REF_TYPE") != "tag" {
			r.GitBranch = b
		}
		if m := prRef.FindStringSubmatch(get("GITHUB_REF")); m != nil {
			r.PullRequest = m[1]
		}
	}
	if get("GITLAB_CI") == "true" {
		if sha := get("CI_COMMIT_SHA"); sha != "" && r.GitCommit == "" {
			r.GitCommit = sha
		}
		if b := get("CI_COMMIT_REF_NAME"); b != "" {
			r.GitBranch = b
		}
		if mr := get("CI_MERGE_REQUEST_IID"); mr != "" {
			r.PullRequest = mr
		}
	}
}
