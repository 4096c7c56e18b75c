package deploy

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	op   string // upper case: FROM, ARG, RUN, ...
	args string
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		} else if strings.HasPrefix(trimmed, "#") {
			continue // a comment inside a continued instruction
		}
		if rest, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(trimmed)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{start, strings.ToUpper(op), strings.TrimSpace(args)})
		cur.Reset()
	}
	if cur.Len() != 0 {
		t.Fatal("Dockerfile ends inside a continued line")
	}
	return out
}

// TestDockerfile checks the image's build without Docker: base images are
// build arguments, the binary is static, trimmed and stamped, the final
// user is numeric and matches the manifests, and the entrypoint is pipe.
func TestDockerfile(t *testing.T) {
	ins := readDockerfile(t)
	args := make(map[string]string) // ARGs before the first FROM
	var stages [][]instruction
	for _, in := range ins {
		switch {
		case in.op == "FROM":
			stages = append(stages, []instruction{in})
		case len(stages) == 0 && in.op == "ARG":
			name, def, _ := strings.Cut(in.args, "=")
			args[name] = def
		case len(stages) == 0:
			t.Errorf("line %d: %s before the first FROM", in.line, in.op)
		default:
			stages[len(stages)-1] = append(stages[len(stages)-1], in)
		}
	}
	for _, name := range []string{"GO_IMAGE", "BASE_IMAGE"} {
		if args[name] == "" {
			t.Errorf("no ARG %s with a default before the first FROM (users point it at their mirror)", name)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a final stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.Contains(build[0].args, "${GO_IMAGE}") {
		t.Errorf("line %d: the build stage is FROM %s, want ${GO_IMAGE}", build[0].line, build[0].args)
	}
	if f := strings.Fields(final[0].args); len(f) == 0 || f[len(f)-1] != "${BASE_IMAGE}" {
		t.Errorf("line %d: the final stage is FROM %s, want ${BASE_IMAGE}", final[0].line, final[0].args)
	}

	var buildText strings.Builder
	for _, in := range build {
		buildText.WriteString(in.op + " " + in.args + "\n")
	}
	for _, want := range []string{"CGO_ENABLED=0", "go build", "-trimpath", "-X main.version=", "-X main.commit=", "./cmd/pipe"} {
		if !strings.Contains(buildText.String(), want) {
			t.Errorf("the build stage does not contain %q", want)
		}
	}

	var user, entrypoint string
	for _, in := range final {
		switch in.op {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "RUN":
			t.Errorf("line %d: RUN in the final stage (a static base has no shell)", in.line)
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("final USER %q, want a numeric non-root UID (runAsNonRoot checks it without /etc/passwd)", user)
	} else if n != pipeUID {
		t.Errorf("final USER %d, but the manifests run as %d", n, pipeUID)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entrypoint), &ep); err != nil || len(ep) != 1 || ep[0] != "pipe" {
		t.Errorf(`ENTRYPOINT %s, want ["pipe"]`, entrypoint)
	}
}

// TestVersionStamp checks that the variables the Dockerfile's -X flags set
// exist in package main as strings: a renamed variable would silently
// leave the version unstamped.
func TestVersionStamp(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "cmd/pipe/*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := make(map[string]bool)
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "main" {
			continue
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							found[name.Name] = true
						}
					}
				}
			}
		}
	}
	for _, v := range []string{"version", "commit"} {
		if !found[v] {
			t.Errorf("cmd/pipe has no package-level string variable %s for -X main.%s", v, v)
		}
	}
}

// TestDockerignore checks that the build context keeps what the build needs.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	for _, want := range []string{".git"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	// What Git ignores (outputs, state, benchmark data) stays out of the
	// build context too. Each .gitignore line, in .dockerignore's syntax
	// (patterns from the context's root; ** for any depth), must be there.
	if gi, err := os.ReadFile(filepath.Join(repoRoot, ".gitignore")); err == nil {
		for _, line := range strings.Split(string(gi), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
				continue
			}
			want := strings.TrimSuffix(line, "/")
			switch {
			case strings.HasPrefix(want, "/"):
				want = strings.TrimPrefix(want, "/")
			case !strings.Contains(want, "/"):
				want = "**/" + want
			}
			if !slices.Contains(patterns, want) && !slices.Contains(patterns, strings.TrimPrefix(want, "**/")) {
				t.Errorf(".gitignore ignores %s but .dockerignore has no %q: it would be sent to the daemon with every build", line, want)
			}
		}
	}
	needed := []string{"go.mod", "go.sum", "cmd/pipe/main.go", "vendor/modules.txt"}
	for _, dir := range []string{"engine", "steps"} {
		needed = append(needed, dir+"/x.go")
	}
	for _, p := range needed {
		for _, pat := range patterns {
			if strings.HasPrefix(pat, "!") {
				continue
			}
			first, _, _ := strings.Cut(p, "/")
			if m, _ := filepath.Match(pat, p); m || pat == first {
				t.Errorf(".dockerignore pattern %q excludes %s, which the build needs", pat, p)
			}
		}
	}
}

// compose is docker-compose.yml as far as it is used. Decoding is strict.
type compose struct {
	Services map[string]struct {
		Image string `json:"image"`
		Build *struct {
			Context    string            `json:"context"`
			Dockerfile string            `json:"dockerfile"`
			Args       map[string]string `json:"args"`
		} `json:"build,omitempty"`
		Command         []string          `json:"command"`
		Environment     map[string]string `json:"environment,omitempty"`
		Volumes         []string          `json:"volumes,omitempty"`
		Ports           []string          `json:"ports,omitempty"`
		DependsOn       []string          `json:"depends_on,omitempty"`
		User            string            `json:"user,omitempty"`
		ReadOnly        bool              `json:"read_only,omitempty"`
		Tmpfs           []string          `json:"tmpfs,omitempty"`
		CapDrop         []string          `json:"cap_drop,omitempty"`
		SecurityOpt     []string          `json:"security_opt,omitempty"`
		StopGracePeriod string            `json:"stop_grace_period,omitempty"`
	} `json:"services"`
	Volumes map[string]struct{} `json:"volumes"`
}

// TestCompose checks the local-development compose file: pipe serve beside
// the GCS emulator, wired the way gocloud and the emulator need.
func TestCompose(t *testing.T) {
	dir := filepath.Join(repoRoot, "deploy/compose")
	raw, err := os.ReadFile(filepath.Join(dir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml does not decode strictly: %v", err)
	}
	gcs, ok := c.Services["gcs"]
	if !ok {
		t.Fatal("no gcs service")
	}
	pipe, ok := c.Services["pipe"]
	if !ok {
		t.Fatal("no pipe service")
	}
	flags := make(map[string]string)
	for _, a := range gcs.Command {
		k, v, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		flags[k] = v
	}
	emulator := "gcs:" + flags["port"]
	if flags["scheme"] != "http" || flags["port"] == "" {
		t.Errorf("emulator flags %v: want -scheme=http and a -port", flags)
	}
	if flags["public-host"] != emulator {
		t.Errorf("emulator -public-host=%q, want %q (without it reads fail)", flags["public-host"], emulator)
	}
	if host := pipe.Environment["STORAGE_EMULATOR_HOST"]; host != emulator {
		t.Errorf("STORAGE_EMULATOR_HOST=%q, want the bare %q (no scheme)", host, emulator)
	}
	if store := pipe.Environment["PIPE_STORE"]; !strings.HasPrefix(store, "gs://") {
		t.Errorf("PIPE_STORE=%q, want a gs:// URL on the emulator", store)
	} else {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(store, "gs://"), "/")
		if seed := flags["data"]; seed == "" {
			t.Error("the emulator has no -data folder to create the bucket from")
		} else if !seedsBucket(t, dir, gcs.Volumes, seed, bucket) {
			t.Errorf("no folder %s in the emulator's seed data: bucket %s would not exist", bucket, bucket)
		}
	}
	if pipe.Environment["PIPE_STATE_DIR"] == "" {
		t.Error("PIPE_STATE_DIR is not set (the pipelines mount is read-only)")
	}
	// The pipeline's outputs default to its own (read-only) folder.
	storeBucket, _, _ := strings.Cut(strings.TrimPrefix(pipe.Environment["PIPE_STORE"], "gs://"), "/")
	for name := range outputVars {
		v := pipe.Environment["PIPE_VAR_"+name]
		if bucket, _, _ := strings.Cut(strings.TrimPrefix(v, "gs://"), "/"); !strings.HasPrefix(v, "gs://") || bucket != storeBucket {
			t.Errorf("PIPE_VAR_%s=%q, want a gs:// URL in the emulator's bucket %s (the pipelines mount is read-only)", name, v, storeBucket)
		}
	}
	if len(pipe.Command) == 0 || pipe.Command[0] != "serve" || pipe.Command[len(pipe.Command)-1] != pipelinesMount {
		t.Errorf("pipe runs %q, want serve ... %s", pipe.Command, pipelinesMount)
	}
	if pipe.Build == nil {
		t.Fatal("pipe service has no build")
	}
	if _, err := os.Stat(filepath.Join(dir, pipe.Build.Context, pipe.Build.Dockerfile)); err != nil {
		t.Errorf("build context and Dockerfile: %v", err)
	}
	if !pipe.ReadOnly || !slices.Contains(pipe.Tmpfs, "/tmp") || !slices.Contains(pipe.CapDrop, "ALL") {
		t.Error("pipe service should run read-only with a /tmp tmpfs and no capabilities, as in Kubernetes")
	}
	if uid, _, _ := strings.Cut(pipe.User, ":"); uid != strconv.Itoa(pipeUID) {
		t.Errorf("pipe service user %q, want %d", pipe.User, pipeUID)
	}
	var pipelinesRO bool
	for _, v := range pipe.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) == 3 && parts[1] == pipelinesMount && parts[2] == "ro" {
			pipelinesRO = true
			if _, err := os.Stat(filepath.Join(dir, parts[0])); err != nil {
				t.Errorf("pipelines volume source: %v", err)
			}
		}
	}
	if !pipelinesRO {
		t.Errorf("pipelines are not mounted read-only at %s", pipelinesMount)
	}
	checkEmulatorPin(t, gcs.Image)
}

// emulatorPin finds the Makefile's FAKE_GCS_SERVER_VERSION, images.sh's
// default and the compose file's default image tag.
var (
	makefilePin = regexp.MustCompile(`(?m)^FAKE_GCS_SERVER_VERSION\s*:=\s*v(\S+)$`)
	imagesPin   = regexp.MustCompile(`FAKE_GCS_SERVER_VERSION:-v([^}]+)\}`)
	composePin  = regexp.MustCompile(`^\$\{FAKE_GCS_IMAGE:-fsouza/fake-gcs-server:([^}]+)\}$`)
)

// checkEmulatorPin checks that the emulator compose pulls by default,
// the one images.sh builds and the one the tests install (make tools) are
// one version.
func checkEmulatorPin(t *testing.T, image string) {
	t.Helper()
	pins := map[string]string{}
	for file, re := range map[string]*regexp.Regexp{"Makefile": makefilePin, "deploy/compose/images.sh": imagesPin} {
		raw, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		if m := re.FindSubmatch(raw); m != nil {
			pins[file] = string(m[1])
		} else {
			t.Errorf("%s names no fake-gcs-server version (%s)", file, re)
		}
	}
	if m := composePin.FindStringSubmatch(image); m != nil {
		pins["docker-compose.yml"] = m[1]
	} else {
		t.Errorf("the gcs service's image %q is not ${FAKE_GCS_IMAGE:-fsouza/fake-gcs-server:VERSION}", image)
	}
	for file, v := range pins {
		if v != pins["Makefile"] {
			t.Errorf("%s pins fake-gcs-server %s, the Makefile %s", file, v, pins["Makefile"])
		}
	}
}

// seedsBucket reports whether the emulator's seed folder (mounted from the
// host) holds a folder named bucket.
func seedsBucket(t *testing.T, dir string, volumes []string, seed, bucket string) bool {
	t.Helper()
	for _, v := range volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == seed {
			fi, err := os.Stat(filepath.Join(dir, parts[0], bucket))
			return err == nil && fi.IsDir()
		}
	}
	return false
}
