package deploy

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pipe-ml/pipe/deploy/k8stest"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
)

// apiRun is a run as serve's /api/runs shows it.
type apiRun struct {
	ID           int64  `json:"id"`
	Pipeline     string `json:"pipeline"`
	Trigger      string `json:"trigger"`
	ConfigDigest string `json:"config_digest"`
	StoreURL     string `json:"store_url"`
	Status       string `json:"status"`
	Error        string `json:"error"`
}

// apiStatus is the part of serve's /api/status the tests read.
type apiStatus struct {
	Valid     bool `json:"valid"`
	LastCheck *struct {
		Reason  string    `json:"reason"`
		At      time.Time `json:"at"`
		Outcome string    `json:"outcome"`
		Message string    `json:"message"`
		RunID   int64     `json:"run_id"`
	} `json:"last_check"`
}

// pipeline is the ConfigMap's pipeline file.
const pipelineFile = "privacy-intent.pipe.hcl"

// devInstall is the dev overlay running for real in a namespace of its
// own, its store in the GCS emulator, reached from the pods.
type devInstall struct {
	c       *k8stest.Cluster
	ns      string
	gcs     *gcstest.Server
	dataDir string // the data claim's folder on this machine
	base    string // serve's address, http://POD-IP:8080
}

// startDev applies the dev overlay with the local image and the store in
// the emulator, fills the data claim with generated data before serve
// starts, and waits for the Deployment to be Ready through its probes.
func startDev(ctx context.Context, t *testing.T, c *k8stest.Cluster, v variant) *devInstall {
	t.Helper()
	c.Image(t)
	gcs := gcstest.StartOn(t, c.HostIP)
	ns := c.Namespace(t, "pipe-dev")
	v.env = append(v.env, "PIPE_STORE=gs://"+gcs.Bucket+"/pipe", "STORAGE_EMULATOR_HOST="+gcs.Host)
	manifests := renderInto(t, devOverlay, ns, v)
	// The claims first, so that the data is there before serve's first
	// look at it.
	if _, err := apply(ctx, c, manifests, "-l", "app.kubernetes.io/component in (data,state)"); err != nil {
		t.Fatal(err)
	}
	dataDir, err := c.ClaimDir(ctx, ns, "pipe-data")
	if err != nil {
		t.Fatal(err)
	}
	gendata(t, filepath.Join(dataDir, "corpus.parquet"), 1500, 1)
	if _, err := apply(ctx, c, manifests); err != nil {
		t.Fatal(err)
	}
	d := &devInstall{c: c, ns: ns, gcs: gcs, dataDir: dataDir}
	if err := c.WaitDeployment(ctx, ns, "pipe"); err != nil {
		t.Fatal(err)
	}
	d.base = "http://" + serverPod(ctx, t, c, ns).Status.PodIP + ":8080"
	return d
}

// runs is serve's /api/runs.
func (d *devInstall) runs(ctx context.Context, t *testing.T) []apiRun {
	t.Helper()
	var body struct {
		Runs []apiRun `json:"runs"`
	}
	getJSON(ctx, t, d.base+"/api/runs", &body)
	return body.Runs
}

// waitRun waits until /api/runs holds an ended run newer than after with
// the trigger, and returns it.
func (d *devInstall) waitRun(ctx context.Context, t *testing.T, after int64, trigger string) apiRun {
	t.Helper()
	var found apiRun
	eventually(t, 5*time.Minute, fmt.Sprintf("a %s run after run %d in %s/api/runs", trigger, after, d.base), func() (bool, string) {
		runs := d.runs(ctx, t)
		for _, r := range runs {
			if r.ID > after && r.Trigger == trigger && r.Status != "running" {
				found = r
				return true, ""
			}
		}
		return false, fmt.Sprintf("runs: %+v\n%s", runs, d.c.Diagnose(ctx, d.ns))
	})
	return found
}

// pipelines returns the pipelines ConfigMap.
func (d *devInstall) pipelines(ctx context.Context, t *testing.T) *corev1.ConfigMap {
	t.Helper()
	cms, err := d.c.Client.CoreV1().ConfigMaps(d.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=pipelines"})
	if err != nil || len(cms.Items) != 1 {
		t.Fatalf("the pipelines ConfigMap in %s: %v (%d found)", d.ns, err, len(cms.Items))
	}
	return &cms.Items[0]
}

// editPipeline replaces the ConfigMap's pipeline file with src, as
// `kubectl edit` would: the mounted volume follows through kubelet's swap
// of its ..data link.
func (d *devInstall) editPipeline(ctx context.Context, t *testing.T, src string) {
	t.Helper()
	cm := d.pipelines(ctx, t)
	cm.Data[pipelineFile] = src
	if _, err := d.c.Client.CoreV1().ConfigMaps(d.ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestClusterDevOverlay runs the dev overlay for real: serve Ready through
// its probes under the restricted Pod Security level its namespace
// enforces; its first check applies the ConfigMap's pipeline against the
// GCS emulator; a Job made from the CronJob runs `pipe apply` to the end
// and serve lists its run; an edit of the ConfigMap is applied by serve;
// a pipeline that does not parse turns /readyz to 503 and the pod
// NotReady, and nothing runs, neither it nor the last good one.
func TestClusterDevOverlay(t *testing.T) {
	c := k8stest.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	d := startDev(ctx, t, c, variant{})

	labels, err := c.Kubectl(ctx, nil, "get", "namespace", d.ns, "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}")
	if err != nil || labels != "restricted" {
		t.Errorf("namespace %s enforces %q (%v), want restricted (from deploy/base/namespace.yaml)", d.ns, labels, err)
	}

	// serve's check at start applies the pipeline.
	first := d.waitRun(ctx, t, 0, "watch")
	if first.Status != "succeeded" || !strings.HasPrefix(first.StoreURL, "gs://"+d.gcs.Bucket) {
		t.Fatalf("serve's first run: %+v, want succeeded with the store in the emulator", first)
	}
	objects := bucketObjects(ctx, t, d.gcs, "pipe/")
	if len(objects) == 0 {
		t.Fatalf("nothing in gs://%s/pipe/ after a run: the pod did not reach the emulator", d.gcs.Bucket)
	}

	// The nightly run, by hand, as docs/deployment.md says.
	if _, err := c.Kubectl(ctx, nil, "-n", d.ns, "create", "job", "--from=cronjob/pipe-apply", "pipe-apply-now"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitJob(ctx, d.ns, "pipe-apply-now"); err != nil {
		t.Fatal(err)
	}
	nightly := d.waitRun(ctx, t, first.ID, "schedule")
	if nightly.Status != "succeeded" {
		t.Fatalf("the Job's run: %+v, want succeeded", nightly)
	}
	logs, err := c.Kubectl(ctx, nil, "-n", d.ns, "logs", "job/pipe-apply-now")
	if err != nil || !strings.Contains(logs, "Apply complete") {
		t.Errorf("the Job's log does not end its apply (%v):\n%s", err, logs)
	}

	// An edit of the ConfigMap: serve sees the ..data swap and applies.
	src := d.pipelines(ctx, t).Data[pipelineFile]
	// Fewer trials: the search, and what follows it, must run again.
	edited := strings.Replace(src, "trials   = 24", "trials   = 12", 1)
	if edited == src {
		t.Fatalf("%s has no `trials   = 24` to edit", pipelineFile)
	}
	d.editPipeline(ctx, t, edited)
	changed := d.waitRun(ctx, t, nightly.ID, "watch")
	if changed.Status != "succeeded" || changed.ConfigDigest == first.ConfigDigest {
		t.Fatalf("the run after the edit: %+v, want succeeded with a new config digest (was %s)", changed, first.ConfigDigest)
	}

	// A pipeline that does not parse.
	edit := time.Now()
	d.editPipeline(ctx, t, edited+"\nthis is not a block {\n")
	where := fmt.Sprintf("%s line %d", pipelineFile, strings.Count(edited, "\n")+2)
	checkBroken(ctx, t, d, edit, where, changed.ID)
}

// checkBroken checks what a pipeline that does not parse does: /readyz
// 503 naming the file, the pod NotReady through its readiness probe,
// pipe_pipeline_valid 0, and no run: not of it, not of the last good one,
// not even when new data arrives. where is the broken line, FILE line N.
func checkBroken(ctx context.Context, t *testing.T, d *devInstall, edit time.Time, where string, lastRun int64) {
	t.Helper()
	eventually(t, 2*time.Minute, "/readyz 503 naming "+where, func() (bool, string) {
		code, body, err := get(ctx, d.base+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(string(body), where),
			fmt.Sprintf("%d %v %s", code, err, body)
	})
	var st apiStatus
	eventually(t, time.Minute, "a check after the edit", func() (bool, string) {
		getJSON(ctx, t, d.base+"/api/status", &st)
		return st.LastCheck != nil && st.LastCheck.At.After(edit), fmt.Sprintf("%+v", st.LastCheck)
	})
	if st.Valid || st.LastCheck.Outcome != "invalid" || st.LastCheck.RunID != 0 {
		t.Errorf("the check of the broken pipeline: valid %v, %+v; want invalid and no run", st.Valid, *st.LastCheck)
	}
	_, metrics, err := get(ctx, d.base+"/metrics")
	if err != nil || !strings.Contains(string(metrics), `pipe_pipeline_valid{pipeline="privacy-intent"} 0`) {
		t.Errorf("/metrics does not say pipe_pipeline_valid 0 (%v)", err)
	}
	pod := serverPod(ctx, t, d.c, d.ns)
	if _, err := d.c.WaitPod(ctx, d.ns, pod.Name, "NotReady", func(p *corev1.Pod) bool {
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady {
				return cond.Status == corev1.ConditionFalse
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	describe, err := d.c.Kubectl(ctx, nil, "-n", d.ns, "describe", "pod", pod.Name)
	if err != nil || !strings.Contains(describe, "Readiness probe failed: HTTP probe failed with statuscode: 503") {
		t.Errorf("kubectl describe pod does not say why the pod is not ready (%v):\n%s", err, describe)
	}

	// New data: the last good pipeline would run on it; serve must not.
	gendata(t, filepath.Join(d.dataDir, "more.parquet"), 300, 2)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range d.runs(ctx, t) {
			if r.ID > lastRun {
				t.Fatalf("serve ran %+v while its pipeline does not parse", r)
			}
		}
		time.Sleep(time.Second)
	}
}

// bucketObjects lists the emulator's objects under prefix through the GCS
// JSON API.
func bucketObjects(ctx context.Context, t *testing.T, gcs *gcstest.Server, prefix string) []string {
	t.Helper()
	var body struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	getJSON(ctx, t, "http://"+gcs.Host+"/storage/v1/b/"+gcs.Bucket+"/o?prefix="+prefix, &body)
	var names []string
	for _, it := range body.Items {
		names = append(names, it.Name)
	}
	return names
}
