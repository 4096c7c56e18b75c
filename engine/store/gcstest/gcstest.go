package gcstest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a running fake-gcs-server.
type Server struct {
	// Host is the emulator's address, 127.0.0.1:PORT, as
	// STORAGE_EMULATOR_HOST takes it.
	Host string
	// Bucket is the name of the bucket Start created.
	Bucket string

	t    testing.TB
	bin  string
	root string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// readyTimeout bounds the wait for the emulator to answer after a start. It
// is generous because the machine may be busy with other builds.
const readyTimeout = 60 * time.Second

// Start starts the emulator with one empty bucket named "pipe-test", sets
// STORAGE_EMULATOR_HOST for the rest of the test, and stops the emulator
// when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartOn(t, "127.0.0.1")
}

// StartOn is Start with the emulator listening on the address ip of this
// machine instead of loopback: a test cluster's pods reach it on the
// bridge's address (deploy/k8stest).
func StartOn(t testing.TB, ip string) *Server {
	t.Helper()
	bin, err := find()
	if err != nil {
		if os.Getenv("PIPE_REQUIRE_GCS") == "1" {
			t.Fatalf("gcstest: %v (PIPE_REQUIRE_GCS=1 requires it)", err)
		}
		t.Skipf("gcstest: %v; skipping the GCS emulator tests", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("gcstest: finding a free port: %v", err)
	}
	dir := t.TempDir()
	s := &Server{
		Host:   net.JoinHostPort(ip, strconv.Itoa(port)),
		Bucket: "pipe-test",
		t:      t,
		bin:    bin,
		root:   filepath.Join(dir, "data"),
		log:    filepath.Join(dir, "emulator.log"),
	}
	t.Setenv("STORAGE_EMULATOR_HOST", s.Host)
	t.Cleanup(s.Stop)
	s.start()
	s.createBucket()
	return s
}

// URL is the bucket's URL, gs://BUCKET.
func (s *Server) URL() string { return "gs://" + s.Bucket }

// PID is the running emulator's process ID (for a benchmark that counts
// its processor time), or 0 when it is stopped.
func (s *Server) PID() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop kills the emulator, as a crash or a network partition would look to
// a client: connections are refused from then on. Stopping a stopped
// emulator does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts a stopped emulator again on the same address, with the
// data it held when it stopped.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

func (s *Server) start() {
	s.t.Helper()
	ip, port, _ := net.SplitHostPort(s.Host)
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatalf("gcstest: %v", err)
	}
	defer logf.Close()
	cmd := exec.Command(s.bin,
		"-scheme", "http", "-host", ip, "-port", port,
		"-public-host", s.Host, // without it, reads fail with "object doesn't exist"
		"-backend", "filesystem", "-filesystem-root", s.root,
		"-log-level", "warn")
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("gcstest: starting %s: %v", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-done:
			s.cmd = nil
			s.t.Fatalf("gcstest: fake-gcs-server exited at start:\n%s", s.logTail())
		default:
		}
		if s.ready() {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("gcstest: fake-gcs-server not ready on %s after %s:\n%s", s.Host, readyTimeout, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.Host+"/storage/v1/b?project=test", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *Server) createBucket() {
	s.t.Helper()
	body := fmt.Sprintf(`{"name":%q}`, s.Bucket)
	resp, err := http.Post("http://"+s.Host+"/storage/v1/b?project=test", "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatalf("gcstest: creating bucket: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		s.t.Fatalf("gcstest: creating bucket: %s: %s", resp.Status, b.String())
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// find returns the path of the fake-gcs-server binary.
func find() (string, error) {
	if p, err := exec.LookPath("fake-gcs-server"); err == nil {
		return p, nil
	}
	var dirs []string
	for _, gp := range filepath.SplitList(os.Getenv("GOPATH")) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "fake-gcs-server")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("fake-gcs-server is not on PATH nor in %s (install it with: go install github.com/fsouza/fake-gcs-server@v1.56.1)", strings.Join(dirs, ", "))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DropPreconditions puts a gateway in front of the emulator that removes
// the precondition of every request (ifGenerationMatch), as some
// S3-compatible servers ignore If-None-Match, and points Google's clients
// at it for the rest of the test: a real GCS API that does not honour
// put-if-absent writes, for tests of what pipe makes of such a store.
func (s *Server) DropPreconditions(t testing.TB) {
	t.Helper()
	target := &url.URL{Scheme: "http", Host: s.Host}
	proxy := httputil.NewSingleHostReverseProxy(target)
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Del("ifGenerationMatch")
		r.URL.RawQuery = q.Encode()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(gateway.Close)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(gateway.URL, "http://"))
}
