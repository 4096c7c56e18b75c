package examples

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/serve/api"
)

// TestQuickstartServe serves the quickstart after an apply, with the
// real kinds: the status page shows the champion's plot, which evaluate
// names when it describes its report (the page knows no report format),
// /artifacts sends that PNG, and serve watches the data folder the load
// step names.
func TestQuickstartServe(t *testing.T) {
	dir := quickstart(t)
	run(t, dir, nil, "apply").want(t, 0)
	var outputs map[string]struct {
		Outputs struct {
			Plot struct{ Digest string } `json:"plot"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(run(t, dir, nil, "output", "-json", "evaluate.holdout").want(t, 0).stdout), &outputs); err != nil {
		t.Fatal(err)
	}
	plot := outputs["evaluate.holdout"].Outputs.Plot.Digest

	url := serve(t, dir)
	var st api.Status
	for deadline := time.Now().Add(time.Minute); st.LastCheck == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no check: %+v", st)
		}
		_, body, _ := get(t, url+"/api/status")
		json.Unmarshal(body, &st)
	}
	if st.LastCheck.Outcome != "up_to_date" || !slices.Contains(st.Watching, "data") {
		t.Errorf("status: last check %+v, watching %v (want data, relative to the pipeline folder, among them)", st.LastCheck, st.Watching)
	}

	_, page, _ := get(t, url+"/")
	img := regexp.MustCompile(`<img src="/artifacts/(sha256:[0-9a-f]{64})" alt="([^"]*)">`).FindStringSubmatch(string(page))
	if img == nil {
		t.Fatalf("the page shows no plot:\n%s", page)
	}
	if img[1] != plot || img[2] != "ROC and precision-recall curves of privacy-intent v1, the champion" {
		t.Errorf("the page shows %s (%q), want evaluate's plot %s", img[1], img[2], plot)
	}
	code, png, h := get(t, url+"/artifacts/"+plot)
	if code != 200 || h.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("GET the plot: %d %s, %d bytes", code, h.Get("Content-Type"), len(png))
	}
}

// serve starts `pipe serve` on a free port of loopback in dir and
// returns its URL; the test's end stops it with SIGTERM.
func serve(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "-addr=127.0.0.1:0", "-debounce=50ms")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + t.TempDir(), "NO_COLOR=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("pipe serve: %v\n%s", err, stderr.String())
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	m := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if err != nil || m == "" {
		t.Fatalf("pipe serve said %q (%v)\n%s", line, err, stderr.String())
	}
	go io.Copy(io.Discard, out)
	return m
}

func get(t *testing.T, url string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}
