package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the want files in testdata/")

// TestTable renders every results folder in testdata and compares the
// table with the folder's want.txt (and want.md, where there is one).
func TestTable(t *testing.T) {
	cases, err := filepath.Glob("testdata/*/run.json")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases in testdata: %v", err)
	}
	for _, c := range cases {
		dir := filepath.Dir(c)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res, err := readResults(dir)
			if err != nil {
				t.Fatal(err)
			}
			tab := buildTable(res)
			golden(t, filepath.Join(dir, "want.txt"), tab, writeText, true)
			golden(t, filepath.Join(dir, "want.md"), tab, writeMarkdown, false)
		})
	}
}

func golden(t *testing.T, path string, tab *Table, write func(w io.Writer, t *Table) error, required bool) {
	t.Helper()
	var got bytes.Buffer
	if err := write(&got, tab); err != nil {
		t.Fatal(err)
	}
	if *update && (required || exists(path)) {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) && !required {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got.String(), want)
	}
}

// TestMet checks the verdicts of the full run against what its numbers
// say, row by row, independently of the golden file's layout.
func TestMet(t *testing.T) {
	res, err := readResults("testdata/full")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"train l2":                 "yes", // 0.03 s / 0.08 s, objective lower
		"train l1":                 "yes", // 0.055 of saga's time, objective lower
		"train peak memory":        "no",  // 6.3× the 5 MB matrix: the runtime dominates at 2000 rows
		"grid search 8×5":          "yes", // 0.072, same F1
		"random search 16×5":       "no",  // 0.15 > 0.1
		"load CSV":                 "no",  // 0.35 > 0.2
		"load CSV peak memory":     "no",
		"load Parquet":             "no", // 33 MB/s against a 784 MB/s disk
		"load Parquet peak memory": "no",
	}
	rows := buildTable(res).Rows
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for _, r := range rows {
		if w, ok := want[r.Case]; !ok || r.Met != w {
			t.Errorf("%s: met %q, want %q", r.Case, r.Met, w)
		}
	}
}

// TestMetWithinTolerance checks the edges of the goals: an objective
// worse by less than 1e-6 relative and a ratio exactly at the goal pass;
// a lower best score fails.
func TestMetWithinTolerance(t *testing.T) {
	res := &Results{
		Run:           Run{Rows: 100_000, Dim: 584, Cases: []string{"train", "search"}, Python: "/usr/bin/python3"},
		Python:        &Python{Sklearn: "1.2.1"},
		Fits:          &Fits{Fits: map[string]Fit{"l2": {Seconds: 1, Objective: 1000.0005, Converged: true}}},
		SklearnFits:   &Fits{Fits: map[string]Fit{"l2": {Seconds: 2, Objective: 1000, Converged: true}}},
		Search:        &Searches{Searches: map[string]Search{"grid": {Seconds: 1, BestScore: 0.9, Trials: 8, Folds: 5}}},
		SklearnSearch: &Searches{Searches: map[string]Search{"grid": {Seconds: 20, BestScore: 0.9001, Trials: 8, Folds: 5}}},
		Failed:        map[string]string{},
	}
	rows := buildTable(res).Rows
	if r := rows[0]; r.Met != "yes" || r.Ratio != "0.50" {
		t.Errorf("l2 at half the time, objective 5e-7 worse: met %q ratio %q, want yes 0.50", r.Met, r.Ratio)
	}
	if r := rows[1]; r.Met != none || r.Theirs != none {
		t.Errorf("l1 not measured: met %q theirs %q, want %s", r.Met, r.Theirs, none)
	}
	if r := rows[3]; r.Met != "no" {
		t.Errorf("grid at 0.05 of the time with a lower F1: met %q, want no", r.Met)
	}
}

// TestReadResultsBadJSON checks that a results file that does not parse
// is an error naming it.
func TestReadResultsBadJSON(t *testing.T) {
	for _, c := range []struct{ file, content string }{
		{"logreg.json", `{"fits": {"l2": {"seconds": "fast"}}}`},
		{"load.json", "{\"reader\":\"load\"}\nnot json\n"},
		{"run.json", "{"},
	} {
		dir := t.TempDir()
		run, err := os.ReadFile("testdata/full/run.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "run.json"), run, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = readResults(dir)
		if err == nil || !strings.Contains(err.Error(), c.file) || !strings.HasPrefix(err.Error(), "benchtable: ") {
			t.Errorf("%s: error %v, want one that starts with benchtable: and names the file", c.file, err)
		}
	}
}

// TestRunFrom checks -from and -markdown through run, as make bench's
// users call it.
func TestRunFrom(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-from", "testdata/full", "-markdown"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/full/want.md")
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != string(want) {
		t.Errorf("-from testdata/full -markdown differs from want.md:\n%s", stdout.String())
	}
	for _, args := range [][]string{{"-only", "train,fit"}, {"-rows", "3"}, {"extra"}} {
		err := run(context.Background(), args, &stdout, &stderr)
		if err == nil || !strings.HasPrefix(err.Error(), "benchtable: ") {
			t.Errorf("%q: error %v, want a benchtable: error", args, err)
		}
	}
}

// TestMeasure runs the real benchmark commands on a few rows, without
// Python, so that a change to their flags or their JSON shows here and
// not in the next full `make bench`. It builds three commands: skipped
// with -short.
func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the benchmark commands")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	page := filepath.Join(t.TempDir(), "benchmarks.md")
	if err := os.WriteFile(page, []byte(pageBefore+pageAfter), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"-rows", "60", "-dim", "8", "-dir", dir, "-python", "", "-go", goCmd, "-write", page}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if b, _ := os.ReadFile(page); !strings.Contains(string(b), "| train l2 |") || !strings.Contains(string(b), "at commit ") {
		t.Errorf("the page after a measuring run with -write has no table naming its commit:\n%s", b)
	}
	res, err := readResults(filepath.Join(dir, "results-60-8"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) > 0 {
		t.Fatalf("failed steps: %v", res.Failed)
	}
	for _, r := range buildTable(res).Rows {
		if r.Ours == none || r.Ours == "failed" || r.Theirs == "failed" {
			t.Errorf("%s: ours %q, theirs %q; want our number and no failure", r.Case, r.Ours, r.Theirs)
		}
	}
	if !strings.Contains(stdout.String(), "skipped (-python \"\")") {
		t.Errorf("the table does not say the Python side was skipped:\n%s", stdout.String())
	}
}
