package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

type olEvent struct {
	EventType string `json:"eventType"`
	Run       struct {
		RunID  string                     `json:"runId"`
		Facets map[string]json.RawMessage `json:"facets"`
	} `json:"run"`
	Job struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"job"`
	Inputs  []struct{ Namespace, Name string } `json:"inputs"`
	Outputs []struct{ Namespace, Name string } `json:"outputs"`
}

func checkApplyEvents(t *testing.T, lines []string, namespace string) {
	t.Helper()
	var types []string
	jobs := map[string]olEvent{}
	for _, l := range lines {
		var ev olEvent
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not an event: %v\n%s", err, l)
		}
		if ev.Job.Namespace != namespace {
			t.Errorf("namespace %q, want %q", ev.Job.Namespace, namespace)
		}
		types = append(types, ev.Job.Name+" "+ev.EventType)
		jobs[ev.Job.Name+" "+ev.EventType] = ev
	}
	if len(lines) != 12 || types[0] != "clf START" || types[11] != "clf COMPLETE" {
		t.Errorf("events: %v", types)
	}
	pub := jobs["clf.publish.release COMPLETE"]
	var metrics struct {
		Metrics map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal(pub.Run.Facets["pipe_metrics"], &metrics); err != nil || metrics.Metrics["version"] != 1 || metrics.Metrics["alias_version"] != 1 {
		t.Errorf("publish metrics: %s", pub.Run.Facets["pipe_metrics"])
	}
	if len(pub.Inputs) != 2 || jobs["clf.publish.release START"].Run.RunID != pub.Run.RunID {
		t.Errorf("publish events: %+v", pub)
	}
	src := jobs["clf.source.train COMPLETE"]
	if len(src.Inputs) != 2 || src.Inputs[0].Namespace != "file" || !strings.HasSuffix(src.Inputs[0].Name, "/data/a.txt") {
		t.Errorf("source.train inputs: %+v", src.Inputs)
	}
}

func TestApplyOpenLineageFile(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/publish")
	pipe(t, dir, nil, "apply", "-openlineage=lineage/events.ndjson").expect(t, 0)
	b, err := os.ReadFile(filepath.Join(dir, "lineage", "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	checkApplyEvents(t, strings.Split(strings.TrimSpace(string(b)), "\n"), "pipe")

	r := pipe(t, dir, nil, "apply", "-openlineage=kafka://broker/topic").expect(t, 1)
	if !strings.Contains(r.stderr, "Try: -openlineage=") {
		t.Errorf("bad target:\n%s", r.stderr)
	}
}

func TestApplyOpenLineageHTTP(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		if r.URL.Path != "/api/v1/lineage" || r.Header.Get("Authorization") != "Bearer key" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	dir := copyDir(t, "testdata/pipelines/publish")
	env := []string{"PIPE_OPENLINEAGE_URL=" + srv.URL, "PIPE_OPENLINEAGE_NAMESPACE=nightly", "PIPE_OPENLINEAGE_API_KEY=key"}
	r := pipe(t, dir, env, "apply").expect(t, 0)
	if strings.Contains(strings.ReplaceAll(r.stderr, dir, ""), "OpenLineage") {
		t.Errorf("warnings:\n%s", r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	checkApplyEvents(t, got, "nightly")
}

// An endpoint that is down costs a warning, not the apply.
func TestApplyOpenLineageDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := copyDir(t, "testdata/pipelines/publish")
	r := pipe(t, dir, nil, "apply", "-openlineage=http://"+addr).expect(t, 0)
	if !strings.Contains(r.stderr, "cannot send OpenLineage events") || !strings.Contains(r.stdout, "Apply complete") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}
