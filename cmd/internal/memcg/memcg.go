package memcg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Group is a memory cgroup with a limit.
type Group struct {
	dir string
	v2  bool
}

// New makes a memory cgroup named name (made unique) under this
// process's own, limited to limit bytes of memory (page cache included).
func New(name string, limit int64) (*Group, error) {
	parent, v2, err := ownGroup()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(parent, fmt.Sprintf("%s-%d", name, os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("memcg: making a cgroup in %s: %w", parent, err)
	}
	g := &Group{dir: dir, v2: v2}
	file, value := "memory.limit_in_bytes", strconv.FormatInt(limit, 10)
	if v2 {
		file = "memory.max"
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		g.Close()
		return nil, fmt.Errorf("memcg: setting %s: %w", file, err)
	}
	if !v2 {
		// No swap either, where the kernel accounts it.
		_ = os.WriteFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), []byte(value), 0)
	}
	return g, nil
}

// ownGroup finds this process's memory cgroup folder.
func ownGroup() (string, bool, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", false, fmt.Errorf("memcg: %w", err)
	}
	var unified string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				return filepath.Join("/sys/fs/cgroup/memory", parts[2]), false, nil
			}
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil && unified != "" {
		return filepath.Join("/sys/fs/cgroup", unified), true, nil
	}
	return "", false, errors.New("memcg: this process is in no memory cgroup this package can use")
}

// Command returns a command that joins the group before it runs name
// with args (through sh, so that nothing it does happens outside).
func (g *Group) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	script := `echo $$ > "$0/cgroup.procs" && exec "$@"`
	return exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", script, g.dir, name}, args...)...)
}

// Peak is the most memory the group used, in bytes, or 0 when the
// kernel does not say.
func (g *Group) Peak() int64 {
	file := "memory.max_usage_in_bytes"
	if g.v2 {
		file = "memory.peak"
	}
	b, _ := os.ReadFile(filepath.Join(g.dir, file))
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// Close removes the group; its processes must have ended.
func (g *Group) Close() error {
	return os.Remove(g.dir)
}

// DropCache asks the kernel to drop the page cache's copy of the file at
// path, so that the next reader reads it from disk (and, in a cgroup,
// has its pages charged there). It writes the file's dirty pages first,
// which the kernel would otherwise keep.
func DropCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
