package kubernetes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/executor/kubernetes"
)

// remoteSteps are the steps of testdata/remote that leave the
// coordinator; load reads local files and stays.
var remoteSteps = []string{"search.lr", "train.model", "evaluate.holdout"}

// sameResults checks that two applies computed the same keys, artifacts
// and outputs for every step.
func sameResults(t *testing.T, want, got result) {
	t.Helper()
	we, ge := ends(t, want.Stdout), ends(t, got.Stdout)
	if len(we) == 0 || len(we) != len(ge) {
		t.Fatalf("%d steps against %d", len(we), len(ge))
	}
	for step, w := range we {
		if digests(ge[step]) != digests(w) {
			t.Errorf("%s differs:\n  local  %s\n  remote %s", step, digests(w), digests(ge[step]))
		}
	}
}

// TestClusterRemoteEqualsLocal applies the pipeline on the local executor
// and on the cluster, each with a store of its own: same keys, same
// artifacts byte for byte, same outputs. The remote steps ran as Jobs
// (load stayed), their pods' logs and starts came back as events, and
// each store is the other's cache. A second apply creates no Job.
func TestClusterRemoteEqualsLocal(t *testing.T) {
	r := newRemote(t, "remote", 800)
	local := r.mustApply(t, "local", "local", executor.LocalName)
	remote := r.mustApply(t, "remote", "remote", executor.KubernetesName)
	sameResults(t, local, remote)
	re := ends(t, remote.Stdout)
	for _, step := range remoteSteps {
		if re[step].Status != "ran" {
			t.Errorf("%s: %s on the cluster, want ran", step, re[step].Status)
		}
		job := r.job(t, step)
		if job.Labels[kubernetes.LabelPipeline] != "remote" || job.Annotations[kubernetes.AnnotKey] != re[step].Key {
			t.Errorf("%s's Job %s: labels %v, key %s", step, job.Name, job.Labels, job.Annotations[kubernetes.AnnotKey])
		}
		if pods := r.pods(t, job.Name); len(pods) != 1 {
			t.Errorf("%s's Job ran %d pods, want 1", step, len(pods))
		}
	}
	if n := len(r.jobs(t)); n != len(remoteSteps) {
		t.Errorf("%d Jobs, want %d (load stays on the coordinator)", n, len(remoteSteps))
	}
	checkRemoteEvents(t, remote.Stdout)
	if n := r.checkObjects(t, "remote"); n == 0 {
		t.Error("no object in the remote store")
	}

	jobs := r.jobs(t)
	again := r.mustApply(t, "remote", "remote", executor.KubernetesName)
	for step, e := range ends(t, again.Stdout) {
		if e.Status != "cached" {
			t.Errorf("second apply: %s %s, want cached", step, e.Status)
		}
	}
	if after := r.jobs(t); !mapsEqual(jobs, after) {
		t.Errorf("the second apply changed the Jobs: %v, then %v", jobs, after)
	}
	// A step computed remotely is a cache hit locally, and the other way.
	for _, prefix := range []string{"remote", "local"} {
		cross := r.mustApply(t, prefix, "cross-"+prefix, map[string]string{"remote": executor.LocalName, "local": executor.KubernetesName}[prefix])
		for step, e := range ends(t, cross.Stdout) {
			if e.Status != "cached" {
				t.Errorf("store %s applied on the other executor: %s %s, want cached", prefix, step, e.Status)
			}
		}
	}
}

// checkRemoteEvents: the apply said where each remote step ran and passed
// on its pod's log.
func checkRemoteEvents(t *testing.T, stdout string) {
	t.Helper()
	running, logs := map[string]bool{}, map[string]bool{}
	for _, e := range events(stdout) {
		switch {
		case e.Type == "step_running" && e.Executor == executor.KubernetesName && strings.HasPrefix(e.Where, "pod/"):
			running[e.Step] = true
		case e.Type == "step_log" && strings.HasPrefix(e.Where, "pod/") && e.Line != "":
			logs[e.Step] = true
		}
	}
	for _, step := range remoteSteps {
		if !running[step] || !logs[step] {
			t.Errorf("%s: a step_running event on a pod: %v; log lines from it: %v", step, running[step], logs[step])
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestClusterStepFailure: a step that fails by itself (more folds than
// rows of a class) runs one pod, not its retries, and apply prints the
// diagnostic a local apply prints, pointing at the same expression.
func TestClusterStepFailure(t *testing.T) {
	r := newRemote(t, "remote", 800)
	local := r.apply(t, "local", "local", executor.LocalName, "-var=folds=255")
	remote := r.apply(t, "remote", "remote", executor.KubernetesName, "-var=folds=255")
	if local.Code == 0 || remote.Code != local.Code {
		t.Fatalf("exit codes: local %d, remote %d", local.Code, remote.Code)
	}
	want, got := diagnostics(local.Stdout), diagnostics(remote.Stdout)
	if len(want) == 0 || !slices.Equal(got, want) || !strings.Contains(want[0], "More folds than rows of a class") {
		t.Errorf("the remote diagnostic differs from the local one:\nlocal:\n%s\nremote:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	job := r.job(t, "search.lr")
	if pods := r.pods(t, job.Name); len(pods) != 1 {
		t.Errorf("the failed step ran %d pods, want 1 (the podFailurePolicy fails the Job at once)", len(pods))
	}
	if c := failedCondition(job); c == nil || c.Reason != batchv1.JobReasonPodFailurePolicy {
		t.Errorf("the Job's Failed condition: %+v, want reason PodFailurePolicy", c)
	}
}

// diagnostics are the diagnostic events of pipe apply -json, as printed:
// summary, detail, range and snippet.
func diagnostics(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, `{"type":"diagnostic"`) {
			out = append(out, l)
		}
	}
	return out
}

// report is what an apply said of its failure: its standard error, and
// the diagnostics, errors and failed steps of its -json events.
func report(res result) string {
	var b strings.Builder
	b.WriteString(res.Stderr)
	for _, l := range strings.Split(res.Stdout, "\n") {
		var e struct {
			Type, Summary, Detail, Message, Step, Status, Error string
		}
		if json.Unmarshal([]byte(l), &e) != nil {
			continue
		}
		switch {
		case e.Type == "diagnostic":
			fmt.Fprintf(&b, "%s: %s\n", e.Summary, e.Detail)
		case e.Type == "error":
			fmt.Fprintf(&b, "%s\n", e.Message)
		case e.Type == "step_finished" && e.Status == "failed":
			fmt.Fprintf(&b, "%s failed: %s\n", e.Step, e.Error)
		}
	}
	return b.String()
}

func failedCondition(j *batchv1.Job) *batchv1.JobCondition {
	for i, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

// TestClusterFaultRetried kills the search's first pod in the middle of
// writing an artifact (the failpoint store.blob.uncommitted, given to the
// first pod only through the workers' ConfigMap); the Job retries, and
// the outputs are the local apply's, with no partial object in the store.
func TestClusterFaultRetried(t *testing.T) {
	r := newRemote(t, "remote", 800)
	local := r.mustApply(t, "local", "local", executor.LocalName)
	r.workerEnv(t, map[string]string{"STORAGE_EMULATOR_HOST": r.gcs.Host, "PIPE_FAILPOINT": "store.blob.uncommitted"})
	p := r.start(t, "remote", "remote", executor.KubernetesName)
	p.waitEvent(t, 3*time.Minute, "search.lr running on a pod", func(e event) bool {
		return e.Type == "step_running" && e.Step == "search.lr"
	})
	// The first pod's container has its environment: the next pods get
	// none of the failpoint.
	r.workerEnv(t, map[string]string{"STORAGE_EMULATOR_HOST": r.gcs.Host})
	res := p.wait(t, 5*time.Minute)
	if res.Code != 0 {
		t.Fatalf("pipe apply exited %d:\n%s\n%s", res.Code, res.Stderr, lastLines(res.Stdout, 40))
	}
	sameResults(t, local, res)
	job := r.job(t, "search.lr")
	pods := r.pods(t, job.Name)
	if len(pods) != 2 {
		t.Fatalf("the search's Job ran %d pods, want 2 (the killed one and its retry)", len(pods))
	}
	if st := pods[0].Status.ContainerStatuses; len(st) == 0 || st[0].State.Terminated == nil || st[0].State.Terminated.ExitCode != 137 {
		t.Errorf("the first pod did not die of SIGKILL: %+v", st)
	}
	retried := false
	for _, e := range events(res.Stdout) {
		retried = retried || (e.Type == "step_retrying" && e.Step == "search.lr" && strings.Contains(e.Note, "exited with code 137"))
	}
	if !retried {
		t.Errorf("no step_retrying event for search.lr saying its pod exited with code 137:\n%s", lastLines(res.Stdout, 40))
	}
	r.checkObjects(t, "remote")
}

// TestClusterCancel interrupts an apply (SIGINT, as Ctrl-C) while its
// step runs as a pod: the apply ends, leaving no Job and no pod.
func TestClusterCancel(t *testing.T) {
	r := newRemote(t, "slow", 0)
	p := r.start(t, "slow", "slow", executor.KubernetesName, "-var=sleep=5m")
	p.waitEvent(t, 3*time.Minute, "transform.slow running on a pod", func(e event) bool {
		return e.Type == "step_running" && e.Step == "transform.slow"
	})
	if len(r.jobs(t)) != 1 {
		t.Fatalf("Jobs before the interrupt: %v", r.jobs(t))
	}
	interrupted := time.Now()
	signal(t, p.cmd, syscall.SIGINT)
	res := p.wait(t, 2*time.Minute)
	t.Logf("pipe apply ended %s after SIGINT, exit code %d", time.Since(interrupted).Round(time.Millisecond), res.Code)
	if res.Code == 0 {
		t.Errorf("an interrupted apply exited 0")
	}
	noJobs(t, r.c, r.ns)
}

// TestClusterCoordinatorKilled kills the coordinator (SIGKILL) while its
// step runs as a pod: the Job runs on; the next apply adopts it instead
// of creating a second, and completes.
func TestClusterCoordinatorKilled(t *testing.T) {
	r := newRemote(t, "slow", 0)
	p := r.start(t, "slow", "slow", executor.KubernetesName, "-var=sleep=25s")
	p.waitEvent(t, 3*time.Minute, "transform.slow running on a pod", func(e event) bool {
		return e.Type == "step_running" && e.Step == "transform.slow"
	})
	signal(t, p.cmd, syscall.SIGKILL)
	p.wait(t, time.Minute)
	before := r.job(t, "transform.slow")
	if failedCondition(before) != nil {
		t.Fatalf("the Job failed when its coordinator died: %+v", before.Status)
	}
	res := r.mustApply(t, "slow", "slow", executor.KubernetesName, "-var=sleep=25s")
	after := r.job(t, "transform.slow")
	if after.UID != before.UID {
		t.Errorf("the second apply replaced the Job (uid %s, then %s) instead of adopting it", before.UID, after.UID)
	}
	if pods := r.pods(t, after.Name); len(pods) != 1 {
		t.Errorf("the Job ran %d pods, want 1", len(pods))
	}
	adopted := false
	for _, e := range events(res.Stdout) {
		adopted = adopted || (e.Type == "step_log" && strings.Contains(e.Line, "adopted Job "+r.ns+"/"+after.Name))
	}
	if !adopted {
		t.Errorf("the apply did not say it adopted the Job:\n%s", lastLines(res.Stdout, 30))
	}
	if e := ends(t, res.Stdout)["transform.slow"]; e.Status != "ran" {
		t.Errorf("transform.slow: %s, want ran", e.Status)
	}
}

// TestClusterShardedSearch runs the search as one Indexed Job of 4
// shards: its trials table, best parameters and everything after are the
// local (unsharded) search's, byte for byte.
func TestClusterShardedSearch(t *testing.T) {
	r := newRemote(t, "remote", 800)
	local := r.mustApply(t, "local", "local", executor.LocalName)
	remote := r.mustApply(t, "remote", "remote", executor.KubernetesName, "-var=shards=4")
	sameResults(t, local, remote)
	job := r.job(t, "search.lr")
	if job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion || *job.Spec.Completions != 4 {
		t.Errorf("the search's Job: completionMode %v, completions %v; want Indexed, 4", job.Spec.CompletionMode, job.Spec.Completions)
	}
	var shards []int
	for _, e := range events(remote.Stdout) {
		if e.Type == "step_running" && e.Step == "search.lr" && e.Shard != nil {
			shards = append(shards, *e.Shard)
		}
	}
	slices.Sort(shards)
	if !slices.Equal(shards, []int{0, 1, 2, 3}) {
		t.Errorf("shards reported running: %v, want 0 to 3", shards)
	}
}

// TestClusterWaitingForQuota: with a ResourceQuota too small for the
// search, apply reports the step waiting for quota, with the quota's
// words; once the quota is raised, the step runs and the apply ends.
func TestClusterWaitingForQuota(t *testing.T) {
	r := newRemote(t, "remote", 800)
	ctx := context.Background()
	quotas := r.c.Client.CoreV1().ResourceQuotas(r.ns)
	q := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "team"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"requests.memory": resource.MustParse("256Mi")}},
	}
	if _, err := quotas.Create(ctx, q, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := r.start(t, "remote", "remote", executor.KubernetesName)
	e := p.waitEvent(t, 3*time.Minute, "search.lr waiting", func(e event) bool {
		return e.Type == "step_waiting" && e.Step == "search.lr"
	})
	for _, w := range []string{"waiting for quota", "exceeded quota: team", "requested: requests.memory=512Mi", "limited: requests.memory=256Mi"} {
		if !strings.Contains(e.Note, w) {
			t.Errorf("the waiting note does not say %q: %s", w, e.Note)
		}
	}
	q, err := quotas.Get(ctx, "team", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q.Spec.Hard["requests.memory"] = resource.MustParse("2Gi")
	if _, err := quotas.Update(ctx, q, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if res := p.wait(t, 5*time.Minute); res.Code != 0 {
		t.Fatalf("pipe apply exited %d once the quota was raised:\n%s", res.Code, res.Stderr)
	}
}

// TestClusterOOMKilled: a search over its memory limit is OOM-killed, and
// apply says so, with the limit and what to change.
func TestClusterOOMKilled(t *testing.T) {
	r := newRemoteData(t, "remote", 20000, 584)
	res := r.apply(t, "remote", "remote", executor.KubernetesName, "-var=dim=584", "-var=memory=32Mi", "-var=retries=0")
	if res.Code == 0 {
		t.Fatal("the search ran within 32Mi")
	}
	for _, w := range []string{"search.lr", "Job " + r.ns + "/pipe-search-", "OOM-killed", "memory limit of 32Mi", "Raise memory"} {
		if !strings.Contains(report(res), w) {
			t.Errorf("the error does not say %q:\n%s", w, report(res))
		}
	}
}

// TestClusterBadInput: what can be wrong with the cluster, each a clear
// message naming the step (and the Job once there is one) and what to
// do, within seconds; the run is recorded as failed, and the store holds
// no cache entry for the step and no partial object.
func TestClusterBadInput(t *testing.T) {
	r := newRemote(t, "remote", 800)
	forbidden := r.kubeconfigAs(t, "nobody")
	unreachable := writeKubeconfigFile(t, "https://127.0.0.1:9", "", "x", r.ns)
	cases := []struct {
		name    string
		env     []string
		version string
		within  time.Duration
		want    []string
	}{
		{"unreachable", []string{"KUBECONFIG=" + unreachable}, "", 20 * time.Second,
			[]string{"search.lr", "cannot reach the API server at https://127.0.0.1:9", "KUBECONFIG"}},
		{"missing namespace", []string{kubernetes.EnvNamespace + "=pipe-no-such-namespace"}, "", 20 * time.Second,
			[]string{"search.lr", "namespace pipe-no-such-namespace does not exist", "kubectl create namespace pipe-no-such-namespace", kubernetes.EnvNamespace}},
		{"forbidden", []string{"KUBECONFIG=" + forbidden}, "", 20 * time.Second,
			[]string{"search.lr", "may not create jobs.batch", "system:serviceaccount:" + r.ns + ":nobody", "rbac.yaml"}},
		{"missing image", []string{kubernetes.EnvImage + "=" + missingImage}, "", 90 * time.Second,
			[]string{"search.lr", "Job " + r.ns + "/pipe-search-", "cannot pull the image " + missingImage, kubernetes.EnvImage}},
		{"other version", nil, "v0.0.0-other", 90 * time.Second,
			[]string{"search.lr", "Job " + r.ns + "/pipe-search-", "refused", "v0.0.0-other", "coordinator's pipe version"}},
	}
	for i, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			prefix := fmt.Sprintf("bad-%d", i)
			saved := r.env
			defer func() { r.env, r.pipe = saved, pipeBinary(t, r.img, r.img.Version) }()
			r.env = append(slices.Clone(saved), tc.env...)
			if tc.version != "" {
				r.pipe = pipeBinary(t, r.img, tc.version)
			}
			res := r.apply(t, prefix, prefix, executor.KubernetesName)
			if res.Code == 0 {
				t.Fatal("pipe apply succeeded")
			}
			if res.Took > tc.within {
				t.Errorf("pipe apply took %s to fail, more than %s", res.Took.Round(time.Millisecond), tc.within)
			}
			for _, w := range tc.want {
				if !strings.Contains(report(res), w) {
					t.Errorf("the error does not say %q:\n%s", w, report(res))
				}
			}
			t.Logf("after %s:\n%s", res.Took.Round(time.Millisecond), report(res))
			search := ends(t, res.Stdout)["search.lr"]
			if search.Status != "failed" || search.Key == "" {
				t.Fatalf("search.lr ended %q with key %q", search.Status, search.Key)
			}
			for _, name := range r.objects(t, prefix+"/cache/") {
				if strings.Contains(name, search.Key) {
					t.Errorf("the failed step left %s in the store", name)
				}
			}
			r.checkObjects(t, prefix)
			r.checkRunFailed(t, prefix)
		})
	}
	// A Job the coordinator deleted is gone; one that failed by itself
	// (the refused worker's) stays, ended, for kubectl logs until its TTL.
	r.nothingRuns(t)
}

// nothingRuns checks that every Job left in the namespace has failed and
// no pod of it runs.
func (r *remote) nothingRuns(t *testing.T) {
	t.Helper()
	for name := range r.jobs(t) {
		j, err := r.c.Client.BatchV1().Jobs(r.ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if failedCondition(j) == nil {
			t.Errorf("Job %s is left and has not failed: %+v", name, j.Status)
		}
		for _, p := range r.pods(t, name) {
			if p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
				t.Errorf("pod %s of Job %s is left %s", p.Name, name, p.Status.Phase)
			}
		}
	}
}
