package plan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/pipe-ml/pipe/engine/plan"
)

// savedPlan saves a plan of newEnv's pipeline and returns its bytes.
func savedPlan(t testing.TB, e *env) []byte {
	t.Helper()
	file := filepath.Join(e.dir, "p.plan")
	if _, err := e.make().Save(file, "test", e.dir, e.store.URL(), time.Now()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A file that is not a whole saved plan is a damaged plan, whatever is
// wrong with it, and the error names the file and says to plan again.
func TestReadDamagedPlan(t *testing.T) {
	e := newEnv(t)
	good := savedPlan(t, e)
	edit := func(from, to string) []byte {
		if !strings.Contains(string(good), from) {
			t.Fatalf("the plan lacks %q:\n%s", from, good)
		}
		return []byte(strings.Replace(string(good), from, to, 1))
	}
	cases := map[string]struct {
		b      []byte
		reason string
	}{
		"empty":          {nil, "it is empty"},
		"blank":          {[]byte(" \n\t"), "it is empty"},
		"HCL":            {[]byte("pipeline \"p\" {}\n"), "does not start with {"},
		"binary":         {[]byte{0x1f, 0x8b, 0x08, 0, 0, 0}, "does not start with {"},
		"truncated":      {good[:len(good)/2], "ends in the middle of the document"},
		"not JSON":       {[]byte("{format_version: 1}"), "not valid JSON at byte 2"},
		"array":          {[]byte("[1, 2]"), "does not start with {"},
		"trailing":       {append(append([]byte{}, good...), []byte("{}")...), "more data follows the plan document"},
		"no format":      {[]byte(`{"pipeline": "p"}`), "no format_version"},
		"wrong type":     {edit(`"summary": {`, `"summary": "x", "old": {`), "summary holds a string"},
		"no store":       {edit(`"store": "`, `"store": "", "was": "`), "saved.store is empty"},
		"bad address":    {edit(`"address": "source.in"`, `"address": "source"`), `step "source" is not a step address`},
		"bad action":     {edit(`"action": "run"`, `"action": "skip"`), `the action "skip"`},
		"bad source sum": {edit(`"main.pipe.hcl": "sha256:`, `"main.pipe.hcl": "md5:`), `pipeline file "main.pipe.hcl"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pr.plan")
			os.WriteFile(path, c.b, 0o644)
			_, err := Read(path)
			var damaged *DamagedError
			if !errors.As(err, &damaged) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("Read: %v; want a damaged plan: %s", err, c.reason)
			}
			for _, want := range []string{path + " is a damaged plan file", "make the plan again with pipe plan -out=FILE"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error lacks %q: %v", want, err)
				}
			}
		})
	}
	// Every cut of the file short of its last newline is damaged.
	for n := 0; n < len(good)-1; n++ {
		var damaged *DamagedError
		if _, err := Parse(good[:n]); !errors.As(err, &damaged) {
			t.Fatalf("the first %d of %d bytes: %v", n, len(good), err)
		}
	}
	if _, err := Parse(good); err != nil {
		t.Fatal(err)
	}
}

// The digest names the plan's bytes: Save and Read agree on it, and
// CheckDigest refuses a plan edited after it was reviewed.
func TestPlanDigest(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "p.plan")
	saved, err := e.make().Save(file, "test", e.dir, e.store.URL(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	if saved.Digest != Digest(b) || !strings.HasPrefix(saved.Digest, "sha256:") || strings.Contains(string(b), saved.Digest) {
		t.Fatalf("Save's digest %s, the file's %s (a digest is never in the file)", saved.Digest, Digest(b))
	}
	doc, err := Read(file)
	if err != nil || doc.Digest != saved.Digest {
		t.Fatalf("Read: %v, digest %s", err, doc.Digest)
	}
	if err := doc.CheckDigest(file, saved.Digest); err != nil {
		t.Error(err)
	}
	os.WriteFile(file, []byte(strings.Replace(string(b), `"pipeline": "p"`, `"pipeline": "p" `, 1)), 0o644)
	edited, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	err = edited.CheckDigest(file, saved.Digest)
	if err == nil || !strings.Contains(err.Error(), "it is not the plan that was reviewed") || !strings.Contains(err.Error(), edited.Digest) {
		t.Errorf("an edited plan: %v", err)
	}
	for _, bad := range []string{"3f2a", "sha256:XYZ", "sha1:" + strings.Repeat("a", 64)} {
		if err := doc.CheckDigest(file, bad); err == nil || !strings.Contains(err.Error(), "is not sha256: and 64 lowercase hex digits") {
			t.Errorf("-plan-digest=%s: %v", bad, err)
		}
	}
}

// Moved compares the plan's store with the one apply resolved, and its
// folder with the folder apply runs in, links resolved.
func TestSavedPlanMoved(t *testing.T) {
	root := t.TempDir()
	inside := filepath.Join(root, "pipelines")
	outside := t.TempDir()
	os.Mkdir(inside, 0o755)
	os.Symlink(outside, filepath.Join(root, "link"))
	s := &Saved{Store: "gs://models/pipe", Path: "pipelines"}
	if got := s.Moved("gs://models/pipe", inside, root); len(got) != 0 {
		t.Errorf("a plan for here: %v", got)
	}
	if got := s.Moved("gs://models/pipe", root, root); len(got) != 0 {
		t.Errorf("a plan for the current folder: %v", got)
	}
	got := s.Moved("file:///tmp/other", filepath.Join(root, "link"), root)
	if len(got) != 2 || !strings.Contains(got[0], "made against the store gs://models/pipe, but this apply resolves the store to file:///tmp/other") ||
		!strings.Contains(got[1], "is not "+root+" or a folder inside it") {
		t.Errorf("another store, and a folder reached through a link that leaves: %v", got)
	}
	if got := s.Moved("gs://models/pipe", filepath.Dir(root), root); len(got) != 1 {
		t.Errorf("the folder above: %v", got)
	}
}

// FuzzParsePlan feeds plan files, whole, cut and changed, to Parse: it
// never panics, and what it accepts is a plan apply can use: its
// variables decode, and it reads back the same after encoding.
// maxPlanError bounds what Parse says of a bad file: it quotes no more of
// it than a name or a number.
const maxPlanError = 1 << 10

// TestEveryTruncationIsDamaged cuts a good saved plan at every length
// short of the whole: each is a damaged plan, never a plan.
func TestEveryTruncationIsDamaged(t *testing.T) {
	good := bytes.TrimRight(savedPlan(t, newEnv(t)), "\n")
	for n := range len(good) {
		d, err := Parse(good[:n])
		var damaged *DamagedError
		if d != nil || !errors.As(err, &damaged) {
			t.Fatalf("the plan cut at %d of %d bytes: %v, %v; want a damaged plan", n, len(good), d, err)
		}
	}
}

func FuzzParsePlan(f *testing.F) {
	e := newEnv(f)
	good := savedPlan(f, e)
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(`{"format_version":"2","saved":{"path":".","store":"mem://","sources":{"a":"sha256:` + strings.Repeat("0", 64) + `"}}}`))
	f.Add([]byte(`{"format_version":"2","saved":{"variables":{"x":{"type":"number","value":"1e999999"}}}}`))
	f.Add([]byte("pipeline \"p\" {}"))
	f.Add([]byte("\x00\xff{garbage"))
	f.Add([]byte(`{"format_version":"2","saved":{"path":".","store":"mem://","sources":{"` + strings.Repeat("x", 5000) + `":"sha256:0"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			if d != nil {
				t.Fatal("a document with an error")
			}
			// Garbage is a plan error, never HCL's or a dump of the file.
			if msg := err.Error(); !strings.HasPrefix(msg, "plan: ") || len(msg) > maxPlanError {
				t.Fatalf("a %d-byte error, not plan's: %.300s", len(msg), msg)
			}
			return
		}
		if d.Saved == nil || d.Digest != Digest(b) {
			t.Fatalf("accepted without what apply needs: %+v", d)
		}
		d.Saved.VariableValues()
		d.Digest = ""
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("an accepted plan does not read back: %v\n%s", err, again)
		}
	})
}
