package main

import (
	"bufio"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/steps/shared/dataset/synth"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
)

// badCase is one folder of testdata/bad: a broken pipeline, or a
// pipeline over broken data, and what pipe must say about it.
//
// Its expect.txt holds, after any # comments:
//
//	args: validate | apply [more arguments]   the command (default apply)
//	env: NAME=VALUE                           an environment variable (repeatable)
//	generate: NAME                            data written by badGenerators[NAME]
//	any other line                            text stderr must contain
//
// Expected text is compared with runs of white space collapsed, so it
// does not depend on where the CLI wraps its lines.
type badCase struct {
	name     string
	args     []string
	env      []string
	generate string
	want     []string
}

func readBadCase(t *testing.T, dir string) badCase {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "expect.txt"))
	if err != nil {
		t.Fatalf("%s: every case needs an expect.txt: %v", dir, err)
	}
	defer f.Close()
	c := badCase{name: filepath.Base(dir), args: []string{"apply"}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "args:"):
			c.args = strings.Fields(strings.TrimPrefix(line, "args:"))
		case strings.HasPrefix(line, "env:"):
			c.env = append(c.env, strings.TrimSpace(strings.TrimPrefix(line, "env:")))
		case strings.HasPrefix(line, "generate:"):
			c.generate = strings.TrimSpace(strings.TrimPrefix(line, "generate:"))
		default:
			c.want = append(c.want, oneLine(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(c.want) == 0 {
		t.Fatalf("%s/expect.txt expects nothing of the message", dir)
	}
	return c
}

// badGenerators write the data files of the cases that are binary or
// too large to commit, from seeded generators: the same bytes every run.
var badGenerators = map[string]func(t *testing.T, dir string){
	// A Parquet file of 200 rows cut to 60% of its length.
	"truncated-parquet": func(t *testing.T, dir string) {
		path := filepath.Join(dir, "data", "corpus.parquet")
		writeCorpus(t, path, 200, 8, 11, synth.Wide)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, fi.Size()*6/10); err != nil {
			t.Fatal(err)
		}
	},
	// A Parquet file whose fifth row has a NaN in emb_2.
	"parquet-nan": func(t *testing.T, dir string) {
		d := synth.Generate(synth.Config{N: 50, Dim: 8, Rank: 2, Seed: 12})
		d.X[4*d.Dim+2] = float32(math.NaN())
		os.MkdirAll(filepath.Join(dir, "data"), 0o755)
		if err := synth.WriteFile(filepath.Join(dir, "data", "corpus.parquet"), d.Dataset, synth.FileOptions{}); err != nil {
			t.Fatal(err)
		}
	},
	// A pipeline file holding terminal escapes (clear the screen, red, a
	// window title, a bell) in a string.
	"control-characters": func(t *testing.T, dir string) {
		src := "pipeline \"bad\" {}\n\nsource \"corpus\" {\n  path = \"*.pipe.hcl\"\n  note = \"\x1b[2J\x1b[31mclear\x1b]0;title\x07\"\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.pipe.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	},
	// A pipeline file of 200 KB of random bytes beside a good one.
	"binary-pipeline-file": func(t *testing.T, dir string) {
		writeNoise(t, filepath.Join(dir, "junk.pipe.hcl"), 200<<10, 20)
	},
	// A variables file of random bytes.
	"binary-var-file": func(t *testing.T, dir string) {
		writeNoise(t, filepath.Join(dir, "vars.pipe.tfvars"), 50<<10, 21)
	},
	// A pipeline file of 60 KB of HCL's punctuation and letters in random
	// order: text, thousands of syntax errors.
	"garbage-text-pipeline-file": func(t *testing.T, dir string) {
		rng := rand.New(rand.NewPCG(22, 0))
		const alphabet = "abc{}=\"[]()\n ,.#@!"
		b := make([]byte, 60<<10)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if err := os.WriteFile(filepath.Join(dir, "junk.pipe.hcl"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	},
	// A Parquet list column of 8 floats a row.
	"parquet-wrong-width": func(t *testing.T, dir string) {
		writeCorpus(t, filepath.Join(dir, "data", "corpus.parquet"), 50, 8, 13, synth.Column)
	},
}

// TestBadInput runs every case of testdata/bad through the built binary:
// each must exit 1 with a message that names the place (file, line or
// row, column) and no Go stack. A case that validate catches is also run
// through apply (which must stop before running anything) and through
// validate -json (whose diagnostics must carry the range).
func TestBadInput(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "bad", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in testdata/bad: %v", err)
	}
	used := map[string]bool{}
	for _, src := range dirs {
		c := readBadCase(t, src)
		if c.generate != "" {
			if badGenerators[c.generate] == nil {
				t.Fatalf("%s: no generator named %q", src, c.generate)
			}
			used[c.generate] = true
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := copyDir(t, src)
			if c.generate != "" {
				badGenerators[c.generate](t, dir)
			}
			env := childEnv(t, c.env...)
			r := pipe(t, dir, env, append(c.args, "-no-color")...).expect(t, 1)
			checkBadMessage(t, c, r)

			if c.args[0] != "validate" {
				return
			}
			r = pipe(t, dir, env, "apply", "-no-color").expect(t, 1)
			checkBadMessage(t, c, r)
			if strings.Contains(r.stdout, ": running") {
				t.Errorf("apply ran steps of a pipeline that does not validate:\n%s", r.stdout)
			}
			r = pipe(t, dir, env, append(c.args, "-json")...).expect(t, 1)
			var doc views.ValidateDocument
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatalf("validate -json: %v\n%s", err, r.stdout)
			}
			if doc.Valid || doc.ErrorCount == 0 {
				t.Errorf("validate -json says valid: %s", r.stdout)
			}
			for _, d := range doc.Diagnostics {
				if d.Severity == "error" && d.Range == nil {
					t.Errorf("validate -json: the error %q has no range", d.Summary)
				}
			}
		})
	}
	for name := range badGenerators {
		if !used[name] {
			t.Errorf("generator %q is used by no case", name)
		}
	}
}

// writeNoise writes n seeded random bytes to path.
func writeNoise(t *testing.T, path string, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// maxBadMessage bounds what a case may print on stderr: a message is
// for a person to read, whatever the input.
const maxBadMessage = 16 << 10

func checkBadMessage(t *testing.T, c badCase, r result) {
	t.Helper()
	if len(r.stderr) > maxBadMessage {
		t.Errorf("pipe %s printed %d bytes on stderr, more than %d", strings.Join(c.args, " "), len(r.stderr), maxBadMessage)
	}
	msg := oneLine(r.stderr)
	for _, want := range c.want {
		if !strings.Contains(msg, want) {
			t.Errorf("pipe %s does not say %q:\n%s", strings.Join(c.args, " "), want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "goroutine ") || strings.Contains(r.stdout, "panic:") {
		t.Errorf("a Go stack reached stdout:\n%s", r.stdout)
	}
}

// TestEmptyPipelineWarns: an empty pipeline file, or a folder whose files
// declare no step, plans and applies as nothing, with a warning that
// names the files and says what to do.
func TestEmptyPipelineWarns(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"empty file":     {"main.pipe.hcl": ""},
		"variables only": {"main.pipe.hcl": "pipeline \"p\" {}\n", "vars.pipe.hcl": "variable \"x\" {\n  default = 1\n}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for f, src := range files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := []string{"Warning: No steps", "on main.pipe.hcl line 1", "no step, so plan and apply have nothing to do", "Add a step block"}
			if len(files) > 1 {
				want = append(want, "(main.pipe.hcl, vars.pipe.hcl) declare")
			}
			for _, args := range [][]string{{"validate"}, {"plan"}, {"apply"}} {
				r := pipe(t, dir, childEnv(t), append(args, "-no-color")...).expect(t, 0)
				msg := oneLine(r.stderr)
				for _, w := range want {
					if !strings.Contains(msg, w) {
						t.Errorf("pipe %s does not say %q:\n%s", args[0], w, r.stderr)
					}
				}
			}
		})
	}
}
