package s3test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Credentials the server is started with; they reach the client through
// the environment.
const (
	AccessKey = "pipe-test-access"
	SecretKey = "pipe-test-secret-key"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Bucket is the name of the bucket Start created.
	Bucket string

	t    testing.TB
	bin  string
	root string
	log  string
	port string
	cmd  *exec.Cmd
	done chan struct{}
}

// readyTimeout bounds the wait for the server to answer after a start.
const readyTimeout = 60 * time.Second

// Start starts the server with one empty bucket named "pipe-test", sets
// the AWS credentials and region for the rest of the test, and stops the
// server when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := find()
	if err != nil {
		if os.Getenv("PIPE_REQUIRE_S3") == "1" {
			t.Fatalf("s3test: %v (PIPE_REQUIRE_S3=1 requires it)", err)
		}
		t.Skipf("s3test: %v; skipping the S3 tests", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("s3test: finding a free port: %v", err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	dir := t.TempDir()
	s := &Server{
		Endpoint: "http://127.0.0.1:" + port,
		Bucket:   "pipe-test",
		t:        t,
		bin:      bin,
		root:     filepath.Join(dir, "data"),
		log:      filepath.Join(dir, "server.log"),
		port:     port,
	}
	if err := os.MkdirAll(filepath.Join(s.root, s.Bucket), 0o755); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_REGION", Region)
	// No shared config or credentials file of this machine may interfere.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Cleanup(s.Stop)
	s.start()
	return s
}

// URL is the URL of prefix in the bucket (no prefix when empty), with the
// query that points the S3 client at this server:
// s3://BUCKET/PREFIX?endpoint=...&use_path_style=true&region=us-east-1.
func (s *Server) URL(prefix string) string {
	u := "s3://" + s.Bucket
	if p := strings.Trim(prefix, "/"); p != "" {
		u += "/" + p
	}
	return u + "?endpoint=" + s.Endpoint + "&use_path_style=true&region=" + Region
}

// Dir is the folder that holds the bucket's objects, one file per key:
// tests may change a stored object behind the server's back.
func (s *Server) Dir() string { return filepath.Join(s.root, s.Bucket) }

// PID is the running server's process ID (for a benchmark that counts
// its processor time), or 0 when it is stopped.
func (s *Server) PID() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop kills the server. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

func (s *Server) start() {
	s.t.Helper()
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatalf("s3test: %v", err)
	}
	defer logf.Close()
	cmd := exec.Command(s.bin, "--access", AccessKey, "--secret", SecretKey,
		"--port", "127.0.0.1:"+s.port, "posix", s.root)
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("s3test: starting %s: %v", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(readyTimeout)
	for !s.ready() {
		select {
		case <-done:
			s.cmd = nil
			s.t.Fatalf("s3test: versitygw exited at start:\n%s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("s3test: versitygw not ready on %s after %s:\n%s", s.Endpoint, readyTimeout, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready reports whether the server answers HTTP (an unsigned request is
// refused, which is an answer).
func (s *Server) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// find returns the path of the versitygw binary.
func find() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
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
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("versitygw is not on PATH nor in %s (install it with: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)", strings.Join(dirs, ", "))
}
