package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/deploy/k8stest"
)

// The failures a platform engineer meets on a cluster, each read the way
// they would read it: kubectl describe, the pod's log, serve's API and
// metrics, and the alerts evaluated by a real Prometheus scraping serve.

// TestClusterImagePullFailure: a pod whose image is on no registry it can
// reach. The wait's error and kubectl describe name the image and why.
func TestClusterImagePullFailure(t *testing.T) {
	c := k8stest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := c.Namespace(t, "pull")
	const image = "pipe:does-not-exist"
	if _, err := apply(ctx, c, renderInto(t, devOverlay, ns, variant{image: image})); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 90*time.Second)
	defer wcancel()
	err := c.WaitDeployment(wctx, ns, "pipe")
	if err == nil {
		t.Fatalf("deployment with image %s became ready", image)
	}
	if !regexp.MustCompile(`container pipe \(` + image + `\): waiting: (ErrImagePull|ImagePullBackOff)`).MatchString(err.Error()) {
		t.Errorf("the wait's error does not say the image could not be pulled:\n%v", err)
	}
	describe, derr := c.Kubectl(ctx, nil, "-n", ns, "describe", "pods", "-l", "app.kubernetes.io/component=server")
	if derr != nil {
		t.Fatal(derr)
	}
	for _, want := range []string{`Failed to pull image "` + image + `"`, "connection refused"} {
		if !strings.Contains(describe, want) {
			t.Errorf("kubectl describe pod does not say %q:\n%s", want, describe)
		}
	}
}

// cronJobPatch is a strategic-merge patch of the CronJob's container
// with fields (YAML, indented as a container's fields).
func cronJobPatch(fields string) string {
	return `apiVersion: batch/v1
kind: CronJob
metadata:
  name: pipe-apply
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: pipe
` + fields
}

// cronJobEnv is a patch that sets env in the CronJob's container only.
func cronJobEnv(name, value string) string {
	return cronJobPatch(fmt.Sprintf("              env:\n                - name: %s\n                  value: %q\n", name, value))
}

// TestClusterFailedRun: a run of the CronJob whose pipeline fails (its
// data has 16 features where the pipeline wants 584). The Job fails with
// BackoffLimitExceeded; its pods' termination messages and its log name
// the step and the error; serve lists the failed run and counts it; and
// PipeRunFailed fires in Prometheus.
//
// A pipeline that fails before its run starts (no data file at all: a
// plan-time error) records no run, so serve's metrics and PipeRunFailed
// do not see it; the Job's failure (kubectl get jobs, or your cluster's
// Job alerts) does, and PipeNoRecentSuccess the next day.
func TestClusterFailedRun(t *testing.T) {
	c := k8stest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	d := startDev(ctx, t, c, variant{patches: []string{cronJobEnv("PIPE_VAR_data_dir", "/data/bad")}})
	bad := filepath.Join(d.dataDir, "bad")
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	gendataDim(t, filepath.Join(bad, "corpus.parquet"), 200, 1, 16)
	first := d.waitRun(ctx, t, 0, "watch")
	prom := startPrometheus(t, fastScrape(d.base))
	prom.waitScraped(t, `pipe_runs_total{status="failed",trigger="schedule"}`)

	if _, err := c.Kubectl(ctx, nil, "-n", d.ns, "create", "job", "--from=cronjob/pipe-apply", "pipe-apply-fails"); err != nil {
		t.Fatal(err)
	}
	_, err := c.WaitJob(ctx, d.ns, "pipe-apply-fails")
	if !errors.Is(err, k8stest.ErrJobFailed) {
		t.Fatalf("the Job did not fail: %v", err)
	}
	for _, want := range []string{"BackoffLimitExceeded", "no column emb_16"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("WaitJob's error does not say %q:\n%v", want, err)
		}
	}
	describe, _ := c.Kubectl(ctx, nil, "-n", d.ns, "describe", "job", "pipe-apply-fails")
	if !strings.Contains(describe, "BackoffLimitExceeded") {
		t.Errorf("kubectl describe job does not say BackoffLimitExceeded:\n%s", describe)
	}
	logs, _ := c.Kubectl(ctx, nil, "-n", d.ns, "logs", "job/pipe-apply-fails")
	if !strings.Contains(logs, "Step load.corpus failed") || !strings.Contains(logs, "no column emb_16") {
		t.Errorf("the Job's log does not name the failing step and its path:\n%s", logs)
	}

	failed := d.waitRun(ctx, t, first.ID, "schedule")
	if failed.Status != "failed" || !strings.Contains(failed.Error, "Step load.corpus failed") {
		t.Errorf("serve's /api/runs shows the Job's run as %+v, want failed naming load.corpus", failed)
	}
	prom.waitAlert(t, "PipeRunFailed", map[string]string{"pipeline": "privacy-intent", "trigger": "schedule"},
		"A pipe run of privacy-intent failed (schedule).")
}

// TestClusterOOMKilled: a CronJob run killed for exceeding its memory
// limit. kubectl describe says OOMKilled with exit code 137, the log
// stops mid-run, serve records the run as interrupted (the retry marks
// it), and PipeRunFailed fires.
func TestClusterOOMKilled(t *testing.T) {
	c := k8stest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	limit := cronJobPatch("              resources:\n                requests: {memory: 64Mi}\n                limits: {memory: 64Mi}\n")
	// The Job reads a data set of its own, larger than its limit; serve
	// keeps the small one.
	d := startDev(ctx, t, c, variant{patches: []string{limit, cronJobEnv("PIPE_VAR_data_dir", "/data/big")}})
	big := filepath.Join(d.dataDir, "big")
	if err := os.Mkdir(big, 0o755); err != nil {
		t.Fatal(err)
	}
	gendata(t, filepath.Join(big, "corpus.parquet"), 40000, 3)
	first := d.waitRun(ctx, t, 0, "watch")
	prom := startPrometheus(t, fastScrape(d.base))
	prom.waitScraped(t, `pipe_runs_total{status="interrupted",trigger="schedule"}`)

	if _, err := c.Kubectl(ctx, nil, "-n", d.ns, "create", "job", "--from=cronjob/pipe-apply", "pipe-apply-oom"); err != nil {
		t.Fatal(err)
	}
	_, err := c.WaitJob(ctx, d.ns, "pipe-apply-oom")
	if !errors.Is(err, k8stest.ErrJobFailed) {
		t.Fatalf("the Job did not fail: %v", err)
	}
	if !strings.Contains(err.Error(), "OOMKilled, exit code 137") {
		t.Errorf("WaitJob's error does not say OOMKilled:\n%v", err)
	}
	describe, _ := c.Kubectl(ctx, nil, "-n", d.ns, "describe", "pods", "-l", "job-name=pipe-apply-oom")
	for _, want := range []string{`Reason:\s+OOMKilled`, `Exit Code:\s+137`, `memory:\s+64Mi`} {
		if !regexp.MustCompile(want).MatchString(describe) {
			t.Errorf("kubectl describe pod does not say %s:\n%s", want, describe)
		}
	}
	logs, _ := c.Kubectl(ctx, nil, "-n", d.ns, "logs", "job/pipe-apply-oom")
	if strings.Contains(logs, "Apply complete") || !strings.Contains(logs, "load.corpus: running") {
		t.Errorf("the killed Job's log should stop in its run:\n%s", logs)
	}

	interrupted := d.waitRun(ctx, t, first.ID, "schedule")
	if interrupted.Status != "interrupted" {
		t.Errorf("serve's /api/runs shows the killed run as %+v, want interrupted", interrupted)
	}
	prom.waitAlert(t, "PipeRunFailed", map[string]string{"pipeline": "privacy-intent", "trigger": "schedule"},
		"A pipe run of privacy-intent failed (schedule).")
}
