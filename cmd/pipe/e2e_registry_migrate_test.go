//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// earlierAnswers are the answers testdata/prelog/answers holds, by file,
// and the command that gives each.
var earlierAnswers = []struct {
	file string
	args []string
}{
	{"runs.json", []string{"runs", "-json", "-limit=0"}},
	{"models-show.json", []string{"models", "show", "-json", "team"}},
	{"models-history.json", []string{"models", "history", "-json", "team"}},
	{"lineage-champion.json", []string{"lineage", "-format", "json", "team@champion"}},
	{"lineage-2.json", []string{"lineage", "-format", "json", "team@2"}},
	{"runs-show-1.json", []string{"runs", "show", "-json", "1"}},
	{"runs-show-2.json", []string{"runs", "show", "-json", "2"}},
	{"runs-show-3.json", []string{"runs", "show", "-json", "3"}},
}

// TestRegistryOfAnEarlierPipe: the registry.db that the pipe from before
// the log wrote (testdata/prelog, made by its make.sh) answers, read, as
// it stands, and says that the next apply imports it; pipe registry
// rebuild imports it into the store's log, once, keeping the file as
// registry.db.pre-log; every answer the earlier pipe gave is in the
// answers after, field for field, and a laptop that shares the store and
// never had the file answers the same.
func TestRegistryOfAnEarlierPipe(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "store")
	env := childEnv(t, "PIPE_STORE=file://"+filepath.ToSlash(storeDir))
	src := filepath.Join("testdata", "prelog")
	hcl, err := os.ReadFile(filepath.Join(src, "main.pipe.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	dir, laptop := t.TempDir(), t.TempDir()
	for _, d := range []string{dir, laptop} {
		if err := os.WriteFile(filepath.Join(d, "main.pipe.hcl"), hcl, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, ".pipe", "registry.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFileTo(filepath.Join(src, "registry.db"), path); err != nil {
		t.Fatal(err)
	}

	r := pipe(t, dir, env, "runs").expect(t, 0)
	if !strings.Contains(oneLine(r.stderr), "the next pipe apply imports them") {
		t.Errorf("reading a registry from before the log does not say it is not in the log yet:\n%s", r.stderr)
	}
	checkEarlierAnswers(t, src, dir, env)
	pipe(t, dir, env, "registry", "rebuild").expect(t, 0)
	if _, err := os.Stat(path + ".pre-log"); err != nil {
		t.Errorf("the file from before the log was not kept: %v", err)
	}
	entries := logEntries(t, storeDir)
	if len(entries) == 0 {
		t.Fatal("the import wrote nothing to the log")
	}
	checkEarlierAnswers(t, src, dir, env)
	checkEarlierAnswers(t, src, laptop, env)
	pipe(t, dir, env, "registry", "rebuild", "-from-scratch").expect(t, 0)
	if got := logEntries(t, storeDir); !slices.Equal(got, entries) {
		t.Errorf("a second rebuild changed the log from %d entries to %d", len(entries), len(got))
	}
	checkEarlierAnswers(t, src, dir, env)
}

// checkEarlierAnswers checks that what pipe answers in dir holds every
// field of what the earlier pipe answered, with the same value.
func checkEarlierAnswers(t *testing.T, src, dir string, env []string) {
	t.Helper()
	for _, a := range earlierAnswers {
		want, err := os.ReadFile(filepath.Join(src, "answers", a.file))
		if err != nil {
			t.Fatal(err)
		}
		r := pipe(t, dir, env, a.args...).expect(t, 0)
		var old, now any
		if err := json.Unmarshal(want, &old); err != nil {
			t.Fatalf("%s: %v", a.file, err)
		}
		if err := json.Unmarshal([]byte(r.stdout), &now); err != nil {
			t.Fatalf("pipe %s: %v\n%s", strings.Join(a.args, " "), err, r.stdout)
		}
		if diffs := missingFrom(old, now, a.file); len(diffs) > 0 {
			t.Errorf("pipe %s in %s loses what the earlier pipe answered:\n%s", strings.Join(a.args, " "), dir, strings.Join(diffs[:min(len(diffs), 10)], "\n"))
		}
	}
}

// missingFrom lists where now lacks a field of old or has another value:
// objects may gain fields, lists must have the same length.
func missingFrom(old, now any, at string) []string {
	switch o := old.(type) {
	case map[string]any:
		n, ok := now.(map[string]any)
		if !ok {
			return []string{at + ": not an object"}
		}
		var out []string
		for _, k := range sortedKeys(o) {
			if _, ok := n[k]; !ok {
				out = append(out, at+"."+k+": missing")
				continue
			}
			out = append(out, missingFrom(o[k], n[k], at+"."+k)...)
		}
		return out
	case []any:
		n, ok := now.([]any)
		if !ok || len(n) != len(o) {
			return []string{fmt.Sprintf("%s: %d items, now %v", at, len(o), now)}
		}
		var out []string
		for i := range o {
			out = append(out, missingFrom(o[i], n[i], fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	}
	if !reflect.DeepEqual(old, now) {
		return []string{fmt.Sprintf("%s: %v, now %v", at, old, now)}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func copyFileTo(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
