package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
)

var update = flag.Bool("update", false, "rewrite golden files")

// pipeBin is the pipe binary the tests run, built once with the test
// kinds (-tags pipetest).
var pipeBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || fuzzing() {
		// make unit, or make fuzz: no binary, so binary skips the
		// end-to-end tests. A fuzz worker runs TestMain too: building the
		// binary in each would outlast a short -fuzztime.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "pipe-cli-test")
	if err != nil {
		panic(err)
	}
	pipeBin = filepath.Join(dir, "pipe")
	if runtime.GOOS == "windows" {
		pipeBin += ".exe"
	}
	build := exec.Command("go", "build", "-tags", "pipetest", "-o", pipeBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building pipe: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fuzzing reports whether this process fuzzes: the coordinator of
// go test -fuzz or one of its workers.
func fuzzing() bool {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
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

type result struct {
	code           int
	stdout, stderr string
}

// pipe runs the binary in dir with args and environment additions.
func pipe(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

func (r result) expect(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Fatalf("a Go stack reached the user:\n%s", r.stderr)
	}
	return r
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update accepts the new output)\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestValidate(t *testing.T) {
	r := pipe(t, "testdata/pipelines/ok", nil, "validate").expect(t, 0)
	golden(t, "validate_ok.txt", r.stdout)

	r = pipe(t, "testdata/pipelines", nil, "validate", "broken").expect(t, 1)
	if r.stdout != "" {
		t.Errorf("diagnostics went to stdout: %q", r.stdout)
	}
	golden(t, "validate_broken.txt", r.stderr)

	r = pipe(t, "testdata/pipelines", nil, "validate", "--json", "broken").expect(t, 1)
	var doc views.ValidateDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("-json output is not JSON: %v\n%s", err, r.stdout)
	}
	if doc.Valid || doc.ErrorCount != 2 || doc.Diagnostics[0].Range == nil || doc.Diagnostics[0].Snippet == nil {
		t.Errorf("-json document: %+v", doc)
	}

	// -chdir, flags after the path, and variables from the environment.
	pipe(t, ".", []string{"PIPE_VAR_factor=3"}, "-chdir=testdata/pipelines", "validate", "ok", "-no-color").expect(t, 0)
	r = pipe(t, ".", nil, "-chdir=testdata/pipelines", "validate", "-var", "factor=lots", "ok").expect(t, 1)
	if !strings.Contains(r.stderr, "Invalid value for variable") {
		t.Errorf("a bad -var value was not reported:\n%s", r.stderr)
	}
	r = pipe(t, t.TempDir(), nil, "validate").expect(t, 1)
	if !strings.Contains(r.stderr, "No pipeline files") {
		t.Errorf("empty folder: %s", r.stderr)
	}
}

func TestFmt(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/messy")
	r := pipe(t, dir, nil, "fmt", "-check", "-diff").expect(t, 3)
	golden(t, "fmt_check_diff.txt", r.stdout)
	before, _ := os.ReadFile(filepath.Join(dir, "main.pipe.hcl"))
	if !bytes.Contains(before, []byte("path=")) {
		t.Error("fmt -check rewrote the file")
	}

	r = pipe(t, dir, nil, "fmt").expect(t, 0)
	if r.stdout != "main.pipe.hcl\n" {
		t.Errorf("fmt listed %q", r.stdout)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "main.pipe.hcl"))
	golden(t, "fmt_formatted.pipe.hcl", string(after))

	// Idempotent: a second run changes and lists nothing.
	r = pipe(t, dir, nil, "fmt", "-check").expect(t, 0)
	if r.stdout != "" {
		t.Errorf("second fmt listed %q", r.stdout)
	}

	// Syntax errors are reported and the file is left alone.
	bad := filepath.Join(dir, "bad.pipe.hcl")
	os.WriteFile(bad, []byte("source \"x\" {\n  path = \n"), 0o644)
	r = pipe(t, dir, nil, "fmt").expect(t, 1)
	if !strings.Contains(r.stderr, "bad.pipe.hcl line") {
		t.Errorf("syntax error not located:\n%s", r.stderr)
	}

	// Recursive, and standard input.
	sub := filepath.Join(t.TempDir(), "a", "b")
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "x.pipe.hcl"), []byte("locals {\na=1\n}\n"), 0o644)
	root := filepath.Dir(filepath.Dir(sub))
	pipe(t, root, nil, "fmt", "-check").expect(t, 0)
	pipe(t, root, nil, "fmt", "-check", "-recursive").expect(t, 3)

	// A JSON pipeline named explicitly is refused with a reason, not
	// parsed as native syntax; in a folder it is left alone.
	os.WriteFile(filepath.Join(root, "j.pipe.json"), []byte(`{"locals": {"a": 1}}`), 0o644)
	r = pipe(t, root, nil, "fmt", "j.pipe.json").expect(t, 1)
	if !strings.Contains(r.stderr, "j.pipe.json is JSON") {
		t.Errorf("fmt of a JSON file:\n%s", r.stderr)
	}
	pipe(t, root, nil, "fmt", "-check", ".").expect(t, 0)
	r = pipe(t, root, nil, "fmt", "missing.pipe.hcl").expect(t, 1)
	if !strings.Contains(r.stderr, "missing.pipe.hcl") || !strings.Contains(r.stderr, "Try:") {
		t.Errorf("fmt of a missing file:\n%s", r.stderr)
	}
}

func TestGraph(t *testing.T) {
	r := pipe(t, "testdata/pipelines/ok", nil, "graph").expect(t, 0)
	golden(t, "graph.dot", r.stdout)
	again := pipe(t, "testdata/pipelines/ok", nil, "graph").expect(t, 0)
	if again.stdout != r.stdout {
		t.Error("graph output changed between runs")
	}
	r = pipe(t, "testdata/pipelines/ok", nil, "graph", "-format=mermaid").expect(t, 0)
	golden(t, "graph.mmd", r.stdout)
	pipe(t, "testdata/pipelines/ok", nil, "graph", "-format=png").expect(t, 1)
	pipe(t, "testdata/pipelines", nil, "graph", "broken").expect(t, 1)
}

func TestHelpAndErrors(t *testing.T) {
	r := pipe(t, ".", nil, "help").expect(t, 0)
	for _, cmd := range []string{"validate", "fmt", "graph", "version"} {
		if !strings.Contains(r.stdout, "  "+cmd) {
			t.Errorf("help does not list %s", cmd)
		}
	}
	if r := pipe(t, ".", nil, "help", "help").expect(t, 0); !strings.Contains(r.stdout, "Commands:") {
		t.Errorf("help help:\n%s", r.stdout)
	}
	for _, args := range [][]string{
		{"validate", "-h"}, {"help", "fmt"}, {"graph", "--help"}, {"plan", "-help"}, {"apply", "-h"},
		{"output", "-h"}, {"force-unlock", "-h"}, {"version", "-h"}, {"help", "show"},
	} {
		r := pipe(t, ".", nil, args...).expect(t, 0)
		if !strings.HasPrefix(r.stdout, "Usage: pipe ") || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%v: usage missing or without examples:\n%s", args, r.stdout)
		}
	}
	r = pipe(t, ".", nil, "valdate").expect(t, 1)
	if !strings.Contains(r.stderr, `Did you mean "validate"?`) {
		t.Errorf("no suggestion for a typo:\n%s", r.stderr)
	}
	r = pipe(t, ".", nil, "validate", "-bogus").expect(t, 1)
	if !strings.Contains(r.stderr, "flag provided but not defined: -bogus") {
		t.Errorf("bad flag:\n%s", r.stderr)
	}
	pipe(t, ".", nil).expect(t, 1)
	r = pipe(t, ".", nil, "-chdir=/does/not/exist", "validate").expect(t, 1)
	if !strings.Contains(r.stderr, "Try:") {
		t.Errorf("no hint:\n%s", r.stderr)
	}
}

func TestVersion(t *testing.T) {
	r := pipe(t, ".", nil, "version").expect(t, 0)
	if !strings.HasPrefix(r.stdout, "pipe ") {
		t.Errorf("version: %q", r.stdout)
	}
	r = pipe(t, ".", nil, "version", "-json").expect(t, 0)
	var b views.Build
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil || b.Version == "" || b.GoVersion == "" {
		t.Errorf("version -json: %v %q", err, r.stdout)
	}
	// A stamped version wins.
	bin := filepath.Join(t.TempDir(), "pipe")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7 -X main.commit=0123456789abcdef", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "pipe v9.8.7 (0123456789ab) ") {
		t.Errorf("stamped version: %v %q", err, out)
	}
}

// HCL's parsers recurse: without a bound, a file nested a few hundred
// thousand levels deep ran the Go runtime out of stack, which prints a
// stack trace.
func TestDeepNestingIsADiagnostic(t *testing.T) {
	dir := t.TempDir()
	deep := "locals {\n  a = " + strings.Repeat("!", 200000) + "true\n}\n"
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(deep), 0o644)
	os.WriteFile(filepath.Join(dir, "deep.vars.json"), []byte(`{"x": `+strings.Repeat("[", 200000)+"}"), 0o644)
	for _, args := range [][]string{{"validate"}, {"fmt", "-check"}, {"graph"}, {"plan"}} {
		r := pipe(t, dir, nil, args...).expect(t, 1)
		if !strings.Contains(r.stderr, "Too deeply nested") || !strings.Contains(r.stderr, "main.pipe.hcl line 2") || len(r.stderr) > 2000 {
			t.Errorf("%v: %d bytes of stderr:\n%.2000s", args, len(r.stderr), r.stderr)
		}
	}
	os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte("variable \"x\" {\n  type = list(number)\n  default = []\n}\n"), 0o644)
	r := pipe(t, dir, nil, "validate", "-var-file=deep.vars.json").expect(t, 1)
	if !strings.Contains(r.stderr, "Too deeply nested") {
		t.Errorf("deep -var-file:\n%.2000s", r.stderr)
	}
	r = pipe(t, dir, nil, "validate", "-var", "x="+strings.Repeat("[", 100000)).expect(t, 1)
	if !strings.Contains(r.stderr, "Too deeply nested") || len(r.stderr) > 2000 {
		t.Errorf("deep -var:\n%.2000s", r.stderr)
	}
}
