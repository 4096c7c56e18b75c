package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pipe-ml/pipe/deploy/k8stest"
	"github.com/pipe-ml/pipe/engine/executor/kubernetes"
)

// TestClusterExecutorCronJob runs the coordinator inside the cluster
// (issue 15 point 9): the dev overlay with the kubernetes-executor
// component, whose CronJob's `pipe apply` runs as the ServiceAccount pipe
// under the component's Role and hands the steps that leave it to Jobs in
// its own image (read from its pod, by digest), run as pipe-worker. The
// run reads data of its own (PIPE_VAR_data_dir), which serve does not
// watch, so that its steps are not already in the store. Every step Job
// is owned by the CronJob's pod, so it goes when that pod goes; the run
// succeeds and serve lists it.
func TestClusterExecutorCronJob(t *testing.T) {
	c := k8stest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	d := startDev(ctx, t, c, variant{
		components: []string{executorComponent},
		patches:    []string{cronJobEnv("PIPE_VAR_data_dir", "/data/remote")},
	})
	// The workers reach the emulator as the coordinator does.
	cms := c.Client.CoreV1().ConfigMaps(d.ns)
	workerEnv, err := cms.Get(ctx, kubernetes.DefaultWorkerEnv, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	workerEnv.Data["STORAGE_EMULATOR_HOST"] = d.gcs.Host
	if _, err := cms.Update(ctx, workerEnv, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	remote := filepath.Join(d.dataDir, "remote")
	if err := os.Mkdir(remote, 0o755); err != nil {
		t.Fatal(err)
	}
	gendata(t, filepath.Join(remote, "corpus.parquet"), 1200, 2)
	first := d.waitRun(ctx, t, 0, "watch")

	if _, err := c.Kubectl(ctx, nil, "-n", d.ns, "create", "job", "--from=cronjob/pipe-apply", "pipe-apply-remote"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitJob(ctx, d.ns, "pipe-apply-remote"); err != nil {
		logs, _ := c.Kubectl(ctx, nil, "-n", d.ns, "logs", "job/pipe-apply-remote")
		t.Fatalf("%v\nthe coordinator's log:\n%s", err, logs)
	}
	logs, err := c.Kubectl(ctx, nil, "-n", d.ns, "logs", "job/pipe-apply-remote")
	if err != nil || !strings.Contains(logs, "Apply complete") {
		t.Fatalf("the coordinator's log does not end its apply (%v):\n%s", err, logs)
	}
	pods, err := c.Client.CoreV1().Pods(d.ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=pipe-apply-remote"})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("the coordinator's pods: %v (%d)", err, len(pods.Items))
	}
	coord := pods.Items[0]
	jobs, err := c.Client.BatchV1().Jobs(d.ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelPipeline + "=privacy-intent"})
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]bool{}
	for _, j := range jobs.Items {
		steps[j.Labels[kubernetes.LabelStep]] = true
		owners := j.OwnerReferences
		if len(owners) != 1 || owners[0].Kind != "Pod" || owners[0].Name != coord.Name || owners[0].UID != coord.UID {
			t.Errorf("Job %s is owned by %+v, want the coordinator's pod %s (%s)", j.Name, owners, coord.Name, coord.UID)
		}
		if j.Status.Succeeded == 0 {
			t.Errorf("Job %s did not succeed: %+v", j.Name, j.Status)
		}
		if sa := j.Spec.Template.Spec.ServiceAccountName; sa != kubernetes.DefaultServiceAccount {
			t.Errorf("Job %s runs as %s, want %s", j.Name, sa, kubernetes.DefaultServiceAccount)
		}
	}
	for _, step := range []string{"search.lr", "train.model", "evaluate.holdout"} {
		if !steps[step] {
			t.Errorf("no Job for %s (Jobs of steps %v):\n%s", step, steps, logs)
		}
		if !strings.Contains(logs, step+": running on kubernetes") {
			t.Errorf("the coordinator's log does not say %s ran on kubernetes:\n%s", step, logs)
		}
	}
	if steps["load.corpus"] {
		t.Error("load.corpus, which reads local files, left the coordinator")
	}
	run := d.waitRun(ctx, t, first.ID, "schedule")
	if run.Status != "succeeded" {
		t.Errorf("serve lists the coordinator's run as %+v, want succeeded", run)
	}
}
