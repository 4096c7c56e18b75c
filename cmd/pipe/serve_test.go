package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/serve"
	"github.com/pipe-ml/pipe/engine/serve/api"
	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// waitLimit only keeps a broken test from hanging; nothing is timed.
const waitLimit = 90 * time.Second

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveProc is `pipe serve` running in a subprocess.
type serveProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// startServe starts `pipe serve args...` in dir and waits until it says
// where it listens.
func startServe(t *testing.T, dir string, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	p := &serveProc{t: t, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		p.stdout.Write([]byte(line))
		first <- line
		io.Copy(p.stdout, r)
	}()
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("serve stdout:\n%s\nserve stderr:\n%s", p.stdout.String(), p.stderr.String())
		}
	})
	select {
	case line := <-first:
		_, rest, ok := strings.Cut(line, "http://")
		host, _, _ := strings.Cut(rest, " ")
		if !ok || host == "" {
			t.Fatalf("serve did not say where it listens: %q\n%s", line, p.stderr.String())
		}
		p.url = "http://" + host
	case <-time.After(waitLimit):
		t.Fatalf("serve did not start\n%s", p.stderr.String())
	}
	return p
}

// get returns the status and body of a GET.
func (p *serveProc) get(path string) (int, string) {
	p.t.Helper()
	resp, err := http.Get(p.url + path)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls /api/status until ok accepts it.
func (p *serveProc) waitFor(what string, ok func(api.Status) bool) api.Status {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		var st api.Status
		code, body := p.get("/api/status")
		if code == 200 && json.Unmarshal([]byte(body), &st) == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("serve never reached: %s\nlast status: %s", what, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exit waits for the process and returns its exit code.
func (p *serveProc) exit() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitLimit):
		p.t.Fatal("serve did not exit")
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatal(p.err)
	}
	return 0
}

func TestServeHelpAndBadFlags(t *testing.T) {
	r := pipe(t, ".", nil, "serve", "-h").expect(t, 0)
	for _, want := range []string{"Usage: pipe serve", "Examples:", "-addr=HOST:PORT", "Default :8080", "-schedule=CRON", "-schedule-tz",
		"-debounce", "-parallelism", "-grace", "-store=URL", "-state-dir", "/healthz", "/readyz", "/metrics", "/api/runs", "-token-file=FILE", "-metrics-token-file"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve -h lacks %q", want)
		}
	}
	r = pipe(t, ".", nil, "help").expect(t, 0)
	if !strings.Contains(r.stdout, "  serve ") {
		t.Errorf("help does not list serve:\n%s", r.stdout)
	}
	dir := copyDir(t, "testdata/pipelines/ok")
	r = pipe(t, dir, nil, "serve", "-schedule=61 * * * *").expect(t, 1)
	if !strings.Contains(r.stderr, "minute field: 61 is out of range 0-59") || !strings.Contains(r.stderr, "Try:") {
		t.Errorf("bad schedule:\n%s", r.stderr)
	}
	r = pipe(t, dir, nil, "serve", "-schedule=@daily", "-schedule-tz=Mars/Olympus").expect(t, 1)
	if !strings.Contains(r.stderr, "unknown time zone") {
		t.Errorf("bad zone:\n%s", r.stderr)
	}
	pipe(t, dir, nil, "serve", "-parallelism=0").expect(t, 1)
	pipe(t, dir, nil, "serve", "-debounce=0s").expect(t, 1)
	empty := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r = pipe(t, dir, nil, "serve", "-token-file="+empty).expect(t, 1)
	if !strings.Contains(r.stderr, "is empty; write the token in it") {
		t.Errorf("empty token file:\n%s", r.stderr)
	}
	r = pipe(t, dir, nil, "serve", "does-not-exist").expect(t, 1)
	if !strings.Contains(r.stderr, "no pipeline at does-not-exist") {
		t.Errorf("missing folder:\n%s", r.stderr)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r = pipe(t, dir, []string{"PIPE_STATE_DIR=" + t.TempDir()}, "serve", "-addr="+busy.Addr().String()).expect(t, 1)
	if !strings.Contains(r.stderr, "cannot listen on") {
		t.Errorf("busy port:\n%s", r.stderr)
	}
}

// TestServeSIGTERMCancelsTheApply stops serve in the middle of a long
// step: it exits 0 and the run is recorded as cancelled.
func TestServeSIGTERMCancelsTheApply(t *testing.T) {
	dir := t.TempDir()
	state := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.WriteFile(filepath.Join(dir, "data", "a.txt"), []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(`pipeline "slow" {}

source "corpus" {
  path = "data/*.txt"
}

transform "slow" {
  input = source.corpus.data
  sleep = "30s"
}
`), 0o644)
	p := startServe(t, dir, []string{"PIPE_STATE_DIR=" + state}, "-addr=127.0.0.1:0", "-debounce=50ms", ".")
	p.waitFor("transform.slow running", func(st api.Status) bool {
		if st.Current == nil || st.Current.RunID == 0 {
			return false
		}
		for _, s := range st.Current.Steps {
			if s.Step == "transform.slow" && s.Status == "running" {
				return true
			}
		}
		return false
	})
	if code, body := p.get("/metrics"); code != 200 || !strings.Contains(body, `pipe_run_in_progress{pipeline="slow"} 1`) {
		t.Errorf("/metrics during the apply: %d\n%s", code, body)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM", code)
	}
	if s := p.stderr.String(); strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") {
		t.Errorf("a Go stack reached the log:\n%s", s)
	}
	if !strings.Contains(p.stdout.String(), "Stopped.") {
		t.Errorf("stdout: %q", p.stdout.String())
	}

	db, err := registry.Open(context.Background(), filepath.Join(state, "registry.db"), &registry.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.Runs(context.Background(), registry.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != registry.RunCancelled || runs[0].Trigger != registry.TriggerWatch || runs[0].Ended.IsZero() {
		t.Fatalf("runs after SIGTERM: %+v", runs)
	}
	d, err := db.Run(context.Background(), runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range d.Executions {
		got[e.Step] = e.Status
	}
	if got["source.corpus"] != "ran" || got["transform.slow"] != "cancelled" {
		t.Errorf("executions: %v", got)
	}
	// Every log line is JSON (stderr is not a terminal).
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

// TestServeProbesMatchTheDeployment runs serve with the arguments of the
// Deployment each overlay renders and checks that what its probes and the
// ServiceMonitor ask for is served, on the port its -addr names.
func TestServeProbesMatchTheDeployment(t *testing.T) {
	for _, overlay := range []string{"dev", "prod"} {
		t.Run(overlay, func(t *testing.T) {
			d, _, _ := renderOverlay(t, overlay)
			if d == nil {
				t.Fatalf("the %s overlay renders no Deployment", overlay)
			}
			checkServeProbes(t, d)
		})
	}
}

// renderOverlay renders deploy/overlays/NAME with Kustomize's library and
// returns its Deployment, its CronJob and its ConfigMaps by name, each
// decoded strictly.
func renderOverlay(t *testing.T, name string) (*appsv1.Deployment, *batchv1.CronJob, map[string]*corev1.ConfigMap) {
	t.Helper()
	rendered, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join("..", "..", "deploy", "overlays", name))
	if err != nil {
		t.Fatal(err)
	}
	var deployment *appsv1.Deployment
	var cronJob *batchv1.CronJob
	configMaps := map[string]*corev1.ConfigMap{}
	for _, res := range rendered.Resources() {
		b, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var obj any
		switch res.GetKind() {
		case "Deployment":
			deployment = &appsv1.Deployment{}
			obj = deployment
		case "CronJob":
			cronJob = &batchv1.CronJob{}
			obj = cronJob
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		default:
			continue
		}
		if err := yaml.UnmarshalStrict(b, obj); err != nil {
			t.Fatalf("%s %s: %v", res.GetKind(), res.GetName(), err)
		}
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			configMaps[cm.Name] = cm
		}
	}
	return deployment, cronJob, configMaps
}

func checkServeProbes(t *testing.T, d *appsv1.Deployment) {
	containers := d.Spec.Template.Spec.Containers
	if len(containers) == 0 {
		t.Fatal("the Deployment has no container")
	}
	ct := containers[0]
	if len(ct.Args) == 0 || ct.Args[0] != "serve" {
		t.Fatalf("the Deployment runs %q, not serve", ct.Args)
	}
	ports := map[string]int32{}
	for _, p := range ct.Ports {
		ports[p.Name] = p.ContainerPort
	}
	// The manifest's arguments, with the pipeline folder and the port made
	// local.
	dir := copyDir(t, "testdata/pipelines/ok")
	port := 0
	args := []string{}
	for i, a := range ct.Args[1:] {
		switch {
		case strings.HasPrefix(a, "-addr="):
			_, p, _ := strings.Cut(strings.TrimPrefix(a, "-addr="), ":")
			port, _ = strconv.Atoi(p)
			args = append(args, "-addr=127.0.0.1:0")
		case i == len(ct.Args)-2 && !strings.HasPrefix(a, "-"):
			args = append(args, dir)
		default:
			args = append(args, a)
		}
	}
	if port == 0 {
		_, p, _ := strings.Cut(serve.DefaultAddr, ":")
		port, _ = strconv.Atoi(p)
	}
	if int(ports["http"]) != port {
		t.Errorf("the container port named http is %d, serve listens on %d", ports["http"], port)
	}
	// Serve on the manifest's very port when it is free here.
	if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		ln.Close()
		for i, a := range args {
			if a == "-addr=127.0.0.1:0" {
				args[i] = fmt.Sprintf("-addr=127.0.0.1:%d", port)
			}
		}
	} else {
		t.Logf("port %d is busy here; serving on another: %v", port, err)
	}
	p := startServe(t, dir, []string{"PIPE_STATE_DIR=" + t.TempDir(), "NO_COLOR=1"}, args...)
	p.waitFor("the first check", func(st api.Status) bool { return st.LastCheck != nil })

	probes := map[string]string{}
	if pr := ct.LivenessProbe; pr != nil && pr.HTTPGet != nil {
		probes["liveness"] = pr.HTTPGet.Path
	}
	if pr := ct.ReadinessProbe; pr != nil && pr.HTTPGet != nil {
		probes["readiness"] = pr.HTTPGet.Path
	}
	if pr := ct.StartupProbe; pr != nil && pr.HTTPGet != nil {
		probes["startup"] = pr.HTTPGet.Path
	}
	if len(probes) < 2 {
		t.Fatalf("the Deployment has probes %v, want liveness and readiness", probes)
	}
	for name, pr := range map[string]*corev1.Probe{"liveness": ct.LivenessProbe, "readiness": ct.ReadinessProbe, "startup": ct.StartupProbe} {
		if pr == nil || pr.HTTPGet == nil {
			continue
		}
		if p := pr.HTTPGet.Port; p.String() != "http" && p.IntValue() != port {
			t.Errorf("the %s probe asks port %s, serve listens on %d (the port named http)", name, p.String(), port)
		}
	}
	for name, path := range probes {
		if code, body := p.get(path); code != 200 {
			t.Errorf("%s probe GET %s: %d\n%s", name, path, code, body)
		}
	}
	if probes["readiness"] != api.PathReady || probes["liveness"] != api.PathHealth {
		t.Errorf("probes %v, serve answers %s and %s", probes, api.PathHealth, api.PathReady)
	}
	code, body := p.get(api.PathMetrics)
	if code != 200 || !strings.Contains(body, `pipe_pipeline_valid{pipeline="ok"} 1`) {
		t.Errorf("%s: %d\n%s", api.PathMetrics, code, body)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestCronJobCommandAppliesTheConfigMap renders the dev overlay and runs
// the CronJob's container as its pod would see it, on this machine: the
// pipelines ConfigMap laid out as kubelet mounts it (files behind a
// ..data symlink), the data, state and /tmp volumes as folders, the
// environment from the rendered pipe-env ConfigMap and the container's
// env, every path in the arguments and the environment moved under one
// folder that stands for the pod's root. The data is generated Parquet
// in the shape the pipeline reads. The command must be a valid pipe
// apply: exit 0, a run recorded with the trigger schedule, a model
// version published, and nothing written outside the read-write volumes
// (the pipeline folder, the data and the read-only root stay as they
// were).
func TestCronJobCommandAppliesTheConfigMap(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole apply of the shipped pipeline; skipped with -short")
	}
	_, cronJob, configMaps := renderOverlay(t, "dev")
	if cronJob == nil {
		t.Fatal("the dev overlay renders no CronJob")
	}
	pod := cronJob.Spec.JobTemplate.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("the CronJob's pod has %d containers, want 1", len(pod.Containers))
	}
	ct := pod.Containers[0]
	if len(ct.Command) != 0 {
		t.Fatalf("the CronJob overrides the image's entrypoint with %q", ct.Command)
	}

	// The pod's file system under root: one folder per volume mount.
	root := t.TempDir()
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	var mounts []string // mount paths, longest first
	var dataDir, pipelinesDir string
	for _, m := range ct.VolumeMounts {
		host := filepath.Join(root, m.MountPath)
		if err := os.MkdirAll(host, 0o755); err != nil {
			t.Fatal(err)
		}
		mounts = append(mounts, m.MountPath)
		v := volumes[m.Name]
		switch {
		case v.ConfigMap != nil:
			cm, ok := configMaps[v.ConfigMap.Name]
			if !ok {
				t.Fatalf("volume %s names ConfigMap %s, which the overlay does not render", m.Name, v.ConfigMap.Name)
			}
			mountConfigMap(t, host, cm.Data)
			pipelinesDir = host
		case v.PersistentVolumeClaim != nil && m.ReadOnly:
			dataDir = host
		}
	}
	slices.SortFunc(mounts, func(a, b string) int { return len(b) - len(a) })
	if pipelinesDir == "" || dataDir == "" {
		t.Fatalf("the CronJob mounts no pipelines ConfigMap or no read-only data volume: %+v", ct.VolumeMounts)
	}
	// moved rewrites a path (or a file:// URL) of the pod to this machine.
	moved := func(s string) string {
		for _, m := range mounts {
			for _, prefix := range []string{"", "file://"} {
				if rest, ok := strings.CutPrefix(s, prefix+m); ok && (rest == "" || strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "?")) {
					return prefix + filepath.Join(root, m) + rest
				}
			}
		}
		return s
	}

	env := map[string]string{}
	for _, from := range ct.EnvFrom {
		if from.ConfigMapRef == nil {
			t.Fatalf("envFrom %+v is not a ConfigMap", from)
		}
		cm, ok := configMaps[from.ConfigMapRef.Name]
		if !ok {
			t.Fatalf("envFrom names ConfigMap %s, which the overlay does not render", from.ConfigMapRef.Name)
		}
		for k, v := range cm.Data {
			env[from.Prefix+k] = v
		}
	}
	for _, e := range ct.Env {
		if sk := e.ValueFrom; sk != nil && sk.SecretKeyRef != nil && sk.SecretKeyRef.Optional != nil && *sk.SecretKeyRef.Optional {
			continue // an optional Secret (the team key) the test cluster lacks: unset
		}
		if e.ValueFrom != nil {
			t.Fatalf("env %s comes from %+v, which this test cannot give", e.Name, e.ValueFrom)
		}
		env[e.Name] = e.Value
	}
	if env["PIPE_TRIGGER"] != "schedule" {
		t.Errorf("the CronJob's PIPE_TRIGGER is %q, want schedule", env["PIPE_TRIGGER"])
	}
	home := filepath.Join(root, "home", "nonroot") // on the read-only root
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	cmdEnv := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + filepath.Join(root, "tmp")}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if k != "PIPE_ALLOWED_PATHS" {
			cmdEnv = append(cmdEnv, k+"="+moved(env[k]))
			continue
		}
		var list []string // a list of folders
		for _, v := range filepath.SplitList(env[k]) {
			list = append(list, moved(v))
		}
		cmdEnv = append(cmdEnv, k+"="+strings.Join(list, string(os.PathListSeparator)))
	}
	var args []string
	for _, a := range ct.Args {
		args = append(args, moved(a))
	}

	// Data where PIPE_VAR_data_dir points, in the shape the pipeline
	// reads: wide emb_ columns, string labels, id and text. Clear classes,
	// so that the publish gate (f1 >= 0.85) passes on 300 test rows.
	g := synth.Generate(synth.Config{N: 1500, Seed: 11, Separation: 3, LabelNoise: 0.005})
	if err := synth.WriteFile(filepath.Join(dataDir, "corpus.parquet"), g.Dataset, synth.FileOptions{}); err != nil {
		t.Fatal(err)
	}
	before := listTree(t, root)

	cmd := exec.Command(binary(t), args...)
	cmd.Dir = moved(firstNonEmpty(ct.WorkingDir, "/var/lib/pipe")) // the image's WORKDIR
	cmd.Env = cmdEnv
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pipe %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(ct.Args, " "), err, stdout.String(), stderr.String())
	}

	// Only the read-write volumes changed.
	after := listTree(t, root)
	for _, path := range slices.Sorted(maps.Keys(after)) {
		if before[path] == after[path] {
			continue
		}
		writable := false
		for _, m := range ct.VolumeMounts {
			if !m.ReadOnly && (path == m.MountPath || strings.HasPrefix(path, m.MountPath+"/")) {
				writable = true
			}
		}
		if !writable {
			t.Errorf("the apply wrote %s, outside the pod's read-write volumes", path)
		}
	}

	db, err := registry.Open(context.Background(), filepath.Join(moved(env["PIPE_STATE_DIR"]), "registry.db"), &registry.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.Runs(context.Background(), registry.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != registry.RunSucceeded || runs[0].Trigger != registry.TriggerSchedule {
		t.Fatalf("runs: %+v", runs)
	}
	models, err := db.Models(context.Background())
	if err != nil || len(models) != 1 {
		t.Fatalf("models %+v: %v", models, err)
	}
	if _, err := os.Stat(filepath.Join(moved(env["PIPE_VAR_models"]), "v1", "model.json")); err != nil {
		t.Errorf("no model published where PIPE_VAR_models says: %v", err)
	}
	if _, err := os.Stat(moved(env["PIPE_VAR_predictions"])); err != nil {
		t.Errorf("no predictions where PIPE_VAR_predictions says: %v", err)
	}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// mountConfigMap lays data out in dir as kubelet's AtomicWriter mounts a
// ConfigMap: the files in a timestamped folder, ..data a symlink to it,
// and each file a symlink through ..data.
func mountConfigMap(t *testing.T, dir string, data map[string]string) {
	t.Helper()
	ts := "..2026_11_26_02_00_00.000000001"
	if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range data {
		if err := os.WriteFile(filepath.Join(dir, ts, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(ts, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
}

// listTree maps every path under root (as the pod sees it, from /) to a
// description of what is there: its size and modification time, or the
// target of a symlink.
func listTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		path := "/" + filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[path] = "-> " + target
		case d.IsDir():
			out[path] = "dir"
		default:
			out[path] = fmt.Sprintf("%d %s", info.Size(), info.ModTime().UTC().Format(time.RFC3339Nano))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
