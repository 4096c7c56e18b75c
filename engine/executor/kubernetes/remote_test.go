package kubernetes_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pipe-ml/pipe/deploy/k8stest"
	"github.com/pipe-ml/pipe/engine/executor/kubernetes"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
)

// The tests in apply_cluster_test.go run the real pipe: `pipe apply` on
// this machine is the coordinator, its steps run as Jobs on the test
// cluster in pipe's image built with the pipetest tag, and the store is
// the GCS emulator, which the pods reach on the bridge's address. The
// coordinator acts as a ServiceAccount bound to the Role of
// deploy/components/kubernetes-executor, so every scenario also proves
// that the Role is enough.

// repoRoot is the repository's root, from this file's folder.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "../../..")
}()

// image is the workers' image on the node: its ID (the coordinator pins
// it) and the version and revision it was built as.
type image struct {
	ID, Version, Commit string
}

var (
	testImageOnce sync.Once
	testImage     image
	testImageErr  error
)

// workerImage builds pipe:pipetest and reads its ID and labels.
func workerImage(t testing.TB, c *k8stest.Cluster) image {
	t.Helper()
	tag := c.BuildImage(t, k8stest.TestImage, "pipetest")
	testImageOnce.Do(func() {
		out, err := c.Docker(context.Background(), "image", "inspect", "-f",
			`{{.Id}} {{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.revision"}}`, tag)
		f := strings.Fields(out)
		if err != nil || len(f) < 2 {
			testImageErr = fmt.Errorf("docker image inspect %s: %q %v", tag, out, err)
			return
		}
		testImage = image{ID: f[0], Version: f[1]}
		if len(f) > 2 {
			testImage.Commit = f[2]
		}
	})
	if testImageErr != nil {
		t.Fatal(testImageErr)
	}
	return testImage
}

// binDir holds the binaries the tests build, for the whole test process.
var binDir string

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "pipe-kexec-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

var binMu sync.Mutex

// pipeBinary builds pipe as the worker image has it (the pipetest tag,
// the image's version and revision), and, once, under another version:
// the coordinator of a test must be the workers' pipe.
func pipeBinary(t testing.TB, img image, version string) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	bin := filepath.Join(binDir, "pipe-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "build", "-tags", "pipetest",
		"-ldflags", fmt.Sprintf("-X main.version=%s -X main.commit=%s", version, img.Commit), "-o", bin+".tmp", "./cmd/pipe")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building pipe: %v\n%s", err, out)
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// remote is a pipeline whose steps run on the test cluster.
type remote struct {
	c     *k8stest.Cluster
	ns    string
	gcs   *gcstest.Server
	img   image
	pipe  string // the coordinator's binary
	dir   string // the pipeline's folder
	state string // parent of the applies' state folders
	env   []string
}

// testDim is the features of the tests' generated data: few, so that
// the steps take little of the tests' time beside the pods' starts.
const testDim = 32

// newRemote sets up a namespace as deploy/components/kubernetes-executor
// does (the coordinator's Role, the workers' ServiceAccount and
// ConfigMap), an emulator the pods reach, and a copy of the pipeline in
// testdata/NAME with rows of generated data of testDim features.
func newRemote(t testing.TB, name string, rows int) *remote {
	t.Helper()
	return newRemoteData(t, name, rows, testDim)
}

// newRemoteData is newRemote with data of dim features.
func newRemoteData(t testing.TB, name string, rows, dim int) *remote {
	t.Helper()
	c := k8stest.Connect(t)
	img := workerImage(t, c)
	r := &remote{c: c, img: img, gcs: gcstest.StartOn(t, c.HostIP), state: t.TempDir()}
	r.pipe = pipeBinary(t, img, img.Version)
	r.ns = c.Namespace(t, "kexec")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := c.Kubectl(ctx, nil, "-n", r.ns, "apply", "-f", filepath.Join(repoRoot, "deploy/components/kubernetes-executor/rbac.yaml"),
		"-f", filepath.Join(repoRoot, "deploy/components/kubernetes-executor/worker.yaml")); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	r.workerEnv(t, map[string]string{"STORAGE_EMULATOR_HOST": r.gcs.Host})
	kubeconfig := r.kubeconfigAs(t, "pipe")
	r.dir = copyPipeline(t, name, rows, dim)
	r.env = append(os.Environ(),
		"KUBECONFIG="+kubeconfig, "PIPE_EXECUTOR=kubernetes", kubernetes.EnvNamespace+"="+r.ns,
		kubernetes.EnvImage+"="+img.ID, "STORAGE_EMULATOR_HOST="+r.gcs.Host, "NO_COLOR=1")
	return r
}

// workerEnv sets the workers' ConfigMap, pipe-worker-env.
func (r *remote) workerEnv(t testing.TB, data map[string]string) {
	t.Helper()
	cms := r.c.Client.CoreV1().ConfigMaps(r.ns)
	cm, err := cms.Get(context.Background(), kubernetes.DefaultWorkerEnv, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data = data
	if _, err := cms.Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// kubeconfigAs makes the ServiceAccount name in the namespace and writes
// a kubeconfig that acts as it (with what its RoleBindings grant).
func (r *remote) kubeconfigAs(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	sas := r.c.Client.CoreV1().ServiceAccounts(r.ns)
	if _, err := sas.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, err := sas.CreateToken(ctx, name, &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: new(int64(7200))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.c.Config.CAFile == "" {
		t.Fatal("the cluster's admin config has no CA file")
	}
	return writeKubeconfigFile(t, r.c.Config.Host, r.c.Config.CAFile, tok.Status.Token, r.ns)
}

// writeKubeconfigFile writes a kubeconfig for server, with a bearer
// token and namespace ns.
func writeKubeconfigFile(t testing.TB, server, caFile, token, ns string) string {
	t.Helper()
	ca := "insecure-skip-tls-verify: true"
	if caFile != "" {
		ca = fmt.Sprintf("certificate-authority: %q", caFile)
	}
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, %s}
users:
- name: u
  user: {token: %q}
contexts:
- name: c
  context: {cluster: test, user: u, namespace: %q}
current-context: c
`, server, ca, token, ns)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkRunFailed checks that the last run recorded in state failed.
func (r *remote) checkRunFailed(t testing.TB, state string) {
	t.Helper()
	cmd := exec.Command(r.pipe, "runs", "-json")
	cmd.Env = append(append([]string{}, r.env...), "PIPE_STATE_DIR="+filepath.Join(r.state, state))
	cmd.Dir = r.dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pipe runs: %v", err)
	}
	var runs struct {
		Runs []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &runs); err != nil || len(runs.Runs) == 0 {
		t.Fatalf("pipe runs -json: %v\n%s", err, out)
	}
	if st := runs.Runs[0].Status; st != "failed" {
		t.Errorf("run %d is recorded as %s, want failed", runs.Runs[0].ID, st)
	}
}

// copyPipeline copies testdata/name and, when rows > 0, generates its
// data/corpus.parquet with pipe-gendata (fixed seed, dim features).
func copyPipeline(t testing.TB, name string, rows, dim int) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	if rows > 0 {
		gendata(t, filepath.Join(dst, "data/corpus.parquet"), rows, dim)
	}
	return dst
}

var (
	gendataOnce sync.Once
	gendataBin  string
)

// gendata writes rows of the synthetic data (seed 1) with dim features
// to path.
func gendata(t testing.TB, path string, rows, dim int) {
	t.Helper()
	gendataOnce.Do(func() {
		gendataBin = filepath.Join(binDir, "pipe-gendata")
		cmd := exec.Command("go", "build", "-o", gendataBin, "./cmd/pipe-gendata")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building pipe-gendata: %v\n%s", err, out)
		}
	})
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gendataBin, "-rows", fmt.Sprint(rows), "-seed", "1", "-dim", fmt.Sprint(dim), "-out", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pipe-gendata: %v\n%s", err, out)
	}
}

// result is one `pipe apply`.
type result struct {
	Stdout, Stderr string
	Code           int
	Took           time.Duration
}

// command is `pipe apply -json` of the pipeline with store prefix and
// state folder state, on executor, with extra arguments.
func (r *remote) command(ctx context.Context, prefix, state, executor string, args ...string) *exec.Cmd {
	all := append([]string{"apply", "-json", "-executor=" + executor, "-lock-timeout=2m"}, args...)
	cmd := exec.CommandContext(ctx, r.pipe, append(all, r.dir)...)
	cmd.Env = append(append([]string{}, r.env...),
		"PIPE_STORE=gs://"+r.gcs.Bucket+"/"+prefix, "PIPE_STATE_DIR="+filepath.Join(r.state, state))
	cmd.Dir = r.dir
	return cmd
}

// apply runs `pipe apply -json` to its end.
func (r *remote) apply(t testing.TB, prefix, state, executor string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := r.command(ctx, prefix, state, executor, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}

// mustApply is apply that fails the test unless pipe exits 0.
func (r *remote) mustApply(t testing.TB, prefix, state, executor string, args ...string) result {
	t.Helper()
	res := r.apply(t, prefix, state, executor, args...)
	if res.Code != 0 {
		t.Fatalf("pipe apply -executor=%s exited %d:\nstderr:\n%s\nstdout:\n%s", executor, res.Code, res.Stderr, lastLines(res.Stdout, 40))
	}
	return res
}

// stepEnd is a step_finished event of pipe apply -json.
type stepEnd struct {
	Type     string `json:"type"`
	Step     string `json:"step"`
	Status   string `json:"status"`
	Key      string `json:"key"`
	Error    string `json:"error"`
	Produced []struct {
		Digest string `json:"digest"`
		Kind   string `json:"kind"`
	} `json:"produced"`
	Outputs json.RawMessage `json:"outputs"`
}

// ends reads the step_finished events, by step.
func ends(t testing.TB, stdout string) map[string]stepEnd {
	t.Helper()
	out := make(map[string]stepEnd)
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e stepEnd
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Type == "step_finished" {
			out[e.Step] = e
		}
	}
	return out
}

// digests is what a step made: its key and its artifacts' digests.
func digests(e stepEnd) string {
	var d []string
	for _, p := range e.Produced {
		d = append(d, p.Digest)
	}
	sort.Strings(d)
	return e.Key + " " + strings.Join(d, ",") + " " + string(e.Outputs)
}

// jobs are the Jobs in the namespace, by name, with their UIDs.
func (r *remote) jobs(t testing.TB) map[string]string {
	t.Helper()
	list, err := r.c.Client.BatchV1().Jobs(r.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string)
	for _, j := range list.Items {
		out[j.Name] = string(j.UID)
	}
	return out
}

// job is the Job of a step, by its label.
func (r *remote) job(t testing.TB, step string) *batchv1.Job {
	t.Helper()
	list, err := r.c.Client.BatchV1().Jobs(r.ns).List(context.Background(), metav1.ListOptions{LabelSelector: kubernetes.LabelStep + "=" + step})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("the Jobs of %s: %v (%d)", step, err, len(list.Items))
	}
	return &list.Items[0]
}

// pods are the pods of a Job, oldest first.
func (r *remote) pods(t testing.TB, job string) []corev1.Pod {
	t.Helper()
	list, err := r.c.Client.CoreV1().Pods(r.ns).List(context.Background(), metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + job})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(list.Items, func(i, j int) bool {
		return list.Items[i].CreationTimestamp.Before(&list.Items[j].CreationTimestamp)
	})
	return list.Items
}

// objects lists the emulator's object names under prefix.
func (r *remote) objects(t testing.TB, prefix string) []string {
	t.Helper()
	var names []string
	token := ""
	for {
		u := fmt.Sprintf("http://%s/storage/v1/b/%s/o?prefix=%s&pageToken=%s", r.gcs.Host, r.gcs.Bucket, url.QueryEscape(prefix), url.QueryEscape(token))
		var page struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
			NextPageToken string `json:"nextPageToken"`
		}
		getJSON(t, u, &page)
		for _, it := range page.Items {
			names = append(names, it.Name)
		}
		if page.NextPageToken == "" {
			return names
		}
		token = page.NextPageToken
	}
}

// object reads an object from the emulator.
func (r *remote) object(t testing.TB, name string) []byte {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://%s/download/storage/v1/b/%s/o/%s?alt=media", r.gcs.Host, r.gcs.Bucket, url.PathEscape(name)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reading %s: %v %s", name, err, resp.Status)
	}
	return b
}

// checkObjects checks that every content-addressed object under prefix
// holds the bytes its name says: nothing partial was published.
func (r *remote) checkObjects(t testing.TB, prefix string) int {
	t.Helper()
	n := 0
	for _, name := range r.objects(t, prefix+"/objects/sha256/") {
		sum := sha256.Sum256(r.object(t, name))
		if want := filepath.Base(name); !strings.HasSuffix(strings.ReplaceAll(name, "/", ""), hex.EncodeToString(sum[:])) {
			t.Errorf("%s holds bytes whose digest is %x, not %s: a partial object", name, sum, want)
		}
		n++
	}
	return n
}

func getJSON(t testing.TB, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// signal sends sig to a running apply.
func signal(t testing.TB, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// running is a pipe apply in the background, its -json events read as
// they come.
type running struct {
	cmd    *exec.Cmd
	start  time.Time
	stderr bytes.Buffer
	mu     sync.Mutex
	lines  []string
	seen   chan struct{}
	done   chan struct{}
	err    error
}

// start starts `pipe apply -json` in the background.
func (r *remote) start(t testing.TB, prefix, state, executor string, args ...string) *running {
	t.Helper()
	p := &running{seen: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = r.command(context.Background(), prefix, state, executor, args...)
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.seen <- struct{}{}:
			default:
			}
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// event is an event of pipe apply -json, as much as the tests read.
type event struct {
	Type     string `json:"type"`
	Step     string `json:"step"`
	Status   string `json:"status"`
	Executor string `json:"executor"`
	Where    string `json:"where"`
	Note     string `json:"note"`
	Line     string `json:"line"`
	Shard    *int   `json:"shard"`
	Error    string `json:"error"`
}

// events decodes the -json lines.
func events(stdout string) []event {
	var evs []event
	for _, l := range strings.Split(stdout, "\n") {
		var e event
		if json.Unmarshal([]byte(l), &e) == nil && e.Type != "" {
			evs = append(evs, e)
		}
	}
	return evs
}

// waitEvent waits until the apply prints an event that match accepts.
func (p *running) waitEvent(t testing.TB, d time.Duration, what string, match func(event) bool) event {
	t.Helper()
	deadline := time.After(d)
	for {
		p.mu.Lock()
		evs := events(strings.Join(p.lines, "\n"))
		p.mu.Unlock()
		for _, e := range evs {
			if match(e) {
				return e
			}
		}
		select {
		case <-p.seen:
		case <-p.done:
			t.Fatalf("pipe apply ended (%v) before %s:\nstderr:\n%s\nstdout:\n%s", p.err, what, p.stderr.String(), lastLines(p.stdout(), 40))
		case <-deadline:
			t.Fatalf("no %s after %s:\nstdout:\n%s", what, d, lastLines(p.stdout(), 40))
		}
	}
}

func (p *running) stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// wait waits for the apply's end, at most d.
func (p *running) wait(t testing.TB, d time.Duration) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("pipe apply still runs after %s:\n%s", d, lastLines(p.stdout(), 40))
	}
	res := result{Stdout: p.stdout(), Stderr: p.stderr.String(), Took: time.Since(p.start)}
	if ee, ok := p.err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Code = -int(ws.Signal())
		}
	}
	return res
}
