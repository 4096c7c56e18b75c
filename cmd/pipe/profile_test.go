package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestProfiles: PIPE_CPUPROFILE and PIPE_MEMPROFILE make pprof files
// (gzipped protocol buffers) of the command; a file that cannot be
// created is said on stderr and fails nothing.
func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"PIPE_CPUPROFILE": filepath.Join(dir, "cpu.pprof"),
		"PIPE_MEMPROFILE": filepath.Join(dir, "mem.pprof"),
	}
	var stderr bytes.Buffer
	stop := startProfiles(func(k string) string { return env[k] }, &stderr)
	var sink []byte
	for i := range 1000 {
		sink = append(sink, make([]byte, i)...)
	}
	stop()
	for _, k := range []string{"PIPE_CPUPROFILE", "PIPE_MEMPROFILE"} {
		b, err := os.ReadFile(env[k])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			t.Errorf("%s: %s is not a gzipped profile (%d bytes)", k, env[k], len(b))
		}
	}
	if stderr.Len() > 0 || len(sink) == 0 {
		t.Errorf("stderr: %s", stderr.String())
	}

	env["PIPE_CPUPROFILE"] = filepath.Join(dir, "missing", "cpu.pprof")
	env["PIPE_MEMPROFILE"] = filepath.Join(dir, "missing", "mem.pprof")
	stderr.Reset()
	startProfiles(func(k string) string { return env[k] }, &stderr)()
	for _, k := range []string{"PIPE_CPUPROFILE", "PIPE_MEMPROFILE"} {
		if !bytes.Contains(stderr.Bytes(), []byte(k)) {
			t.Errorf("no word of %s on stderr: %q", k, stderr.String())
		}
	}
}
