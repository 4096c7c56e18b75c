package examples

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"
)

// pipeBin is the pipe binary, built once with the real step kinds.
var pipeBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // make unit: no binary, so binary skips the end-to-end tests
	}
	dir, err := os.MkdirTemp("", "pipe-examples")
	if err != nil {
		panic(err)
	}
	pipeBin = filepath.Join(dir, "pipe")
	build := exec.Command("go", "build", "-o", pipeBin, "../cmd/pipe")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building pipe: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary returns the pipe binary TestMain built. Under -short (make
// unit) there is none, and the test, which runs pipe end to end, is
// skipped.
func binary(t testing.TB) string {
	t.Helper()
	if pipeBin == "" {
		t.Skip("runs the pipe binary end to end; skipped with -short")
	}
	return pipeBin
}

// quickstart copies the quickstart pipeline into a fresh folder with its
// generated data, as make demo makes it.
func quickstart(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile("quickstart/quickstart.pipe.hcl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "quickstart.pipe.hcl"), src, 0o644)
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	data := synth.Generate(synth.Config{N: demoRows, Seed: 1})
	if err := synth.WriteFile(filepath.Join(dir, "data", "corpus.parquet"), data.Dataset, synth.FileOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// demoRows is what make demo generates.
const demoRows = 5000

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NO_COLOR=1"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "panic:") {
		t.Fatalf("pipe panicked:\n%s", stderr.String())
	}
	return result{code, stdout.String(), stderr.String()}
}

func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}
