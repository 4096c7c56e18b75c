package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// measurement is one run of the benchmark commands, in sequence.
type measurement struct {
	goCmd   string
	python  string // "" skips the Python side
	dir     string // data files and built commands
	results string // one file per step
	rows    int
	dim     int
	cases   []string
	log     io.Writer // progress, and the commands' own stderr

	root string  // the repository
	py   *Python // what the probe found; nil without a usable Python
}

// The commands measure builds from the repository, by the name of the
// binary in DIR/bin: the benchmark commands, and pipe itself, whose
// steps steps-bench times as a user runs them.
var commands = map[string]string{
	"logreg-bench": "./cmd/bench/train",
	"search-bench": "./cmd/bench/search",
	"load-bench":   "./cmd/bench/load",
	"steps-bench":  "./cmd/bench/steps",
	"pipe":         "./cmd/pipe",
}

// measure runs every step of the cases asked for and leaves their output
// in m.results, with run.json last. It returns an error only when it
// cannot go on at all (no repository, a command that does not build, an
// interrupt); a step that fails is recorded as STEP.error and the run goes
// on.
func (m *measurement) measure(ctx context.Context) error {
	if err := m.prepare(ctx); err != nil {
		return err
	}
	run := Run{Rows: m.rows, Dim: m.dim, Cases: m.cases, Python: m.python, Started: time.Now(), Commit: sourceCommit(), Machine: thisMachine()}
	m.logf("%d × %d, cases %s; the full 100000 × 584 takes tens of minutes on 2 cores, most of them in scikit-learn's searches",
		m.rows, m.dim, strings.Join(m.cases, ", "))
	m.probePython(ctx)
	if err := m.build(ctx); err != nil {
		return err
	}
	if m.has("train") {
		m.measureTrain(ctx)
	}
	if searches := m.searches(); len(searches) > 0 {
		m.measureSearch(ctx, searches)
	}
	if m.has("load") {
		m.measureLoad(ctx)
	}
	if m.has("steps") {
		m.measureSteps(ctx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	run.Seconds = time.Since(run.Started).Seconds()
	run.Machine.LoadEnd = loadAverage()
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(m.results, fileRun), append(b, '\n'))
}

// prepare finds the repository and clears the results folder.
func (m *measurement) prepare(ctx context.Context) error {
	var err error
	if m.root, err = m.repository(ctx); err != nil {
		return err
	}
	for _, p := range []*string{&m.dir, &m.results} {
		if *p, err = filepath.Abs(*p); err != nil {
			return fmt.Errorf("benchtable: %w", err)
		}
	}
	return m.clear()
}

// probePython asks -python which modules it has. A Python that does not
// run is not a failure of the run: the table then says how to get one.
func (m *measurement) probePython(ctx context.Context) {
	if m.python == "" {
		return
	}
	out, ok := m.step(ctx, "", "which Python modules "+m.python+" has", m.python, "-c", probeScript)
	var py Python
	if ok && json.Unmarshal(out, &py) == nil {
		m.py = &py
		_ = writeFile(filepath.Join(m.results, stepPython+".json"), out)
	}
}

func (m *measurement) has(c string) bool { return slices.Contains(m.cases, c) }

func (m *measurement) sklearn() bool { return m.py != nil && m.py.Sklearn != "" }

// searches are the searches the cases ask for.
func (m *measurement) searches() []string {
	var s []string
	for _, c := range []string{"grid", "random"} {
		if m.has(c) || m.has("search") {
			s = append(s, c)
		}
	}
	return s
}

func (m *measurement) npz() string {
	return filepath.Join(m.dir, fmt.Sprintf("bench-%d-%d.npz", m.rows, m.dim))
}

func (m *measurement) plan() string {
	return filepath.Join(m.dir, fmt.Sprintf("search-plan-%d-%d.json", m.rows, m.dim))
}

func (m *measurement) shape() []string {
	return []string{"-n", strconv.Itoa(m.rows), "-d", strconv.Itoa(m.dim)}
}

// measureTrain times logreg's fits and scikit-learn's.
func (m *measurement) measureTrain(ctx context.Context) {
	m.step(ctx, stepFits, "steps/shared/logreg: l2 and l1 fits (and the data as "+rel(m.root, m.npz())+")",
		append([]string{m.bin("logreg-bench")}, append(m.shape(), "-data", m.npz())...)...)
	if m.sklearn() {
		m.needs(ctx, stepSklearnFits, m.npz(), "scikit-learn: l2 (lbfgs) and l1 (saga) fits on the same rows",
			m.python, m.script("cmd/bench/train/sklearn_bench.py"), m.npz(), "--no-search")
	}
}

// measureSearch times the searches, both sides, on the same folds and
// trials.
func (m *measurement) measureSearch(ctx context.Context, searches []string) {
	only := strings.Join(searches, ",")
	m.step(ctx, stepSearch, "steps/search: "+strings.Join(searches, " and ")+" search (and the folds and trials as "+rel(m.root, m.plan())+")",
		append([]string{m.bin("search-bench")}, append(m.shape(), "-plan", m.plan(), "-only", only)...)...)
	if !m.sklearn() {
		return
	}
	m.ensureNPZ(ctx)
	m.needs(ctx, stepSklearnSearch, m.plan(), "scikit-learn: the same searches on the same folds and trials (the longest step)",
		m.python, m.script("cmd/bench/search/sklearn_search.py"), m.npz(), m.plan(), "--only", only)
}

// ensureNPZ writes the data for scikit-learn unless it is there.
func (m *measurement) ensureNPZ(ctx context.Context) {
	if !exists(m.npz()) {
		m.step(ctx, "", "the data as "+rel(m.root, m.npz())+" for scikit-learn",
			append([]string{m.bin("logreg-bench")}, append(m.shape(), "-data", m.npz(), "-write-only")...)...)
	}
}

// measureLoad times the load step's readers beside pandas, and the disk.
func (m *measurement) measureLoad(ctx context.Context) {
	py := ""
	if m.py != nil {
		py = m.python
	}
	out, ok := m.step(ctx, stepLoad, "steps/load: CSV and Parquet beside pandas (files written once, kept in "+rel(m.root, m.dir)+")",
		m.bin("load-bench"), "-rows", strconv.Itoa(m.rows), "-dim", strconv.Itoa(m.dim), "-dir", m.dir, "-python", py, "-json")
	if ok {
		m.disk(ctx, parquetOf(out))
	}
}

// measureSteps times whole steps as a user runs them (pipe apply of one
// step), and scikit-learn doing the same work: its fit, scoring and
// writing (sklearn_steps.py), and the grid search when no search case
// timed it already.
func (m *measurement) measureSteps(ctx context.Context) {
	out, ok := m.step(ctx, stepSteps, "pipe apply of one step at a time: load, grid search, train, evaluate, predict (3 runs each)",
		m.bin("steps-bench"), "-pipe", m.bin("pipe"), "-rows", strconv.Itoa(m.rows), "-dim", strconv.Itoa(m.dim), "-dir", m.dir)
	if ok && !m.has("load") {
		var s Steps
		if json.Unmarshal(out, &s) == nil {
			m.disk(ctx, s.File)
		}
	}
	if !m.sklearn() {
		return
	}
	m.ensureNPZ(ctx)
	m.needs(ctx, stepSklearnSteps, m.npz(), "scikit-learn: train, evaluate and predict's work on the same rows",
		m.python, m.script("cmd/bench/steps/sklearn_steps.py"), m.npz(), m.dir)
	if !slices.Contains(m.searches(), "grid") {
		m.step(ctx, "", "the grid search's folds and trials as "+rel(m.root, m.plan()),
			append([]string{m.bin("search-bench")}, append(m.shape(), "-plan", m.plan(), "-plan-only", "-only", "grid")...)...)
		m.needs(ctx, stepSklearnSearch, m.plan(), "scikit-learn: the grid search on the same folds and trials",
			m.python, m.script("cmd/bench/search/sklearn_search.py"), m.npz(), m.plan(), "--only", "grid")
	}
}

// repository finds the root of the module this runs in.
func (m *measurement) repository(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, m.goCmd, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("benchtable: %s env GOMOD: %w", m.goCmd, err)
	}
	mod := strings.TrimSpace(string(out))
	root := filepath.Dir(mod)
	if mod == "" || mod == os.DevNull || !exists(filepath.Join(root, "cmd", "bench", "train")) {
		return "", errors.New("benchtable: not inside pipe's repository. Try: cd to the checkout and run make bench")
	}
	return root, nil
}

// clear removes the previous run's results and the data files that a
// step of this run writes, so that nothing in the table comes from an
// earlier run. The CSV and Parquet files of the load step are kept: they
// are written from the same seed and reused.
func (m *measurement) clear() error {
	if err := os.MkdirAll(m.results, 0o755); err != nil {
		return fmt.Errorf("benchtable: %w", err)
	}
	stale := []string{filepath.Join(m.results, fileRun),
		filepath.Join(m.dir, fmt.Sprintf("bench-%d-%d.npz", m.rows, m.dim)),
		filepath.Join(m.dir, fmt.Sprintf("search-plan-%d-%d.json", m.rows, m.dim))}
	for _, s := range allSteps {
		stale = append(stale, filepath.Join(m.results, s+".json"), filepath.Join(m.results, s+".error"))
	}
	for _, p := range stale {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("benchtable: %w", err)
		}
	}
	return nil
}

// build compiles the benchmark commands into DIR/bin.
func (m *measurement) build(ctx context.Context) error {
	m.logf("building the benchmark commands into %s", rel(m.root, filepath.Join(m.dir, "bin")))
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		cmd := exec.CommandContext(ctx, m.goCmd, "build", "-o", m.bin(name), commands[name])
		cmd.Dir = m.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("benchtable: building %s: %v\n%s", commands[name], err, out)
		}
	}
	return nil
}

func (m *measurement) bin(name string) string { return filepath.Join(m.dir, "bin", name) }

func (m *measurement) script(path string) string {
	return filepath.Join(m.root, filepath.FromSlash(path))
}

// needs runs a step that reads input, or records that it could not run
// because the step that writes input failed.
func (m *measurement) needs(ctx context.Context, step, input, what string, argv ...string) {
	if !exists(input) {
		m.fail(step, fmt.Sprintf("not run: %s is missing, because the step that writes it failed", input))
		return
	}
	m.step(ctx, step, what, argv...)
}

// step runs one command with the repository as its folder, its stderr
// passed through as progress, and keeps what it printed as STEP.json, or
// why it failed as STEP.error. step "" keeps nothing.
func (m *measurement) step(ctx context.Context, step, what string, argv ...string) ([]byte, bool) {
	if ctx.Err() != nil {
		return nil, false
	}
	m.logf("%s", what)
	// The command's stdout is a file, and its stderr a pipe of ours, not
	// exec's: scikit-learn's joblib leaves worker processes behind that
	// inherit the command's descriptors, and with exec's pipes Run would
	// wait for them after the command itself is done (and lose its result
	// to WaitDelay). Those workers are killed with the command's process
	// group when it exits.
	stdout, err := os.CreateTemp("", "bench-stdout-*")
	if err != nil {
		m.fail(step, err.Error())
		return nil, false
	}
	defer os.Remove(stdout.Name())
	defer stdout.Close()
	stderr := &tail{max: 4 << 10}
	r, w, err := os.Pipe()
	if err != nil {
		m.fail(step, err.Error())
		return nil, false
	}
	copied := make(chan struct{})
	go func() {
		io.Copy(io.MultiWriter(m.log, stderr), r)
		r.Close()
		close(copied)
	}()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = m.root
	cmd.Stdout, cmd.Stderr = stdout, w
	ownGroup(cmd)
	start := time.Now()
	err = cmd.Run()
	killGroup(cmd)
	w.Close()
	select {
	case <-copied:
	case <-time.After(5 * time.Second): // held open by a process outside the group
	}
	if ctx.Err() != nil {
		return nil, false
	}
	if err != nil {
		m.fail(step, fmt.Sprintf("%s: %v\n%s", strings.Join(shortArgs(m.root, argv), " "), err, stderr.String()))
		return nil, false
	}
	m.logf("  done in %s", time.Since(start).Round(100*time.Millisecond))
	out, err := os.ReadFile(stdout.Name())
	if err != nil {
		m.fail(step, err.Error())
		return nil, false
	}
	if step == "" {
		return out, true
	}
	if err := writeFile(filepath.Join(m.results, step+".json"), out); err != nil {
		m.fail(step, err.Error())
		return nil, false
	}
	return out, true
}

// parquetOf finds the Parquet file the load step read in
// cmd/bench/load's output, or "".
func parquetOf(loadOut []byte) string {
	var file string
	for _, line := range bytes.Split(loadOut, []byte("\n")) {
		var r Read
		if json.Unmarshal(line, &r) == nil && r.Reader == "load" && filepath.Ext(r.File) == ".parquet" {
			file = r.File
		}
	}
	return file
}

// disk reads the Parquet file the load step read, past the page cache.
func (m *measurement) disk(ctx context.Context, file string) {
	if ctx.Err() != nil {
		return
	}
	if file == "" {
		m.fail(stepDisk, "cmd/bench/load read no Parquet file")
		return
	}
	m.logf("the disk: %s read %d times past the page cache", rel(m.root, file), diskReads)
	d, err := readDisk(file)
	if err != nil {
		m.fail(stepDisk, err.Error())
		return
	}
	b, _ := json.Marshal(d)
	if err := writeFile(filepath.Join(m.results, stepDisk+".json"), append(b, '\n')); err != nil {
		m.fail(stepDisk, err.Error())
	}
}

func (m *measurement) fail(step, msg string) {
	m.logf("  failed: %s", lastLines(msg, 3))
	if step == "" {
		return
	}
	_ = writeFile(filepath.Join(m.results, step+".error"), []byte(msg+"\n"))
}

func (m *measurement) logf(format string, args ...any) {
	fmt.Fprintf(m.log, "bench: "+format+"\n", args...)
}

// shortArgs shows argv with paths inside the repository relative to it.
func shortArgs(root string, argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = a
		if strings.HasPrefix(a, root+string(filepath.Separator)) {
			out[i] = rel(root, a)
		}
		if strings.Contains(a, "\n") {
			out[i] = "<script>"
		}
	}
	return out
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("benchtable: %w", err)
	}
	return nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }
