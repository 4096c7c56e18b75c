package lock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const childEnv = "PIPE_LOCK_CHILD_DIR"

// TestMain lets the test binary act as a second pipe process: with
// PIPE_LOCK_CHILD_DIR set, it takes the lock on that folder, prints the
// lock's ID, and holds it until its stdin closes.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		l, err := Acquire(context.Background(), dir, Info{Operation: "pipe apply"}, 0)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("locked", l.Info().ID)
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := l.Release(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is another process holding the lock.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	id    string
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	id, ok := strings.CutPrefix(strings.TrimSpace(line), "locked ")
	if err != nil || !ok {
		t.Fatalf("child: %q, %v", line, err)
	}
	c.id = id
	return c
}

func acquire(t *testing.T, dir string) *Lock {
	t.Helper()
	l, err := Acquire(context.Background(), dir, Info{Operation: "pipe apply"}, 0)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return l
}

func TestAcquireRelease(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state") // created by Acquire
	l := acquire(t, dir)
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("lock file %s: %v", b, err)
	}
	host, _ := os.Hostname()
	if info.ID != l.Info().ID || info.PID != os.Getpid() || info.Host != host || info.Operation != "pipe apply" ||
		info.User == "" || info.Since.IsZero() || info.Heartbeat.IsZero() {
		t.Errorf("lock file holds %+v", info)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(info.ID) {
		t.Errorf("ID %q is not UUID-shaped", info.ID)
	}
	if h, ok, err := Holder(dir); !ok || err != nil || h.ID != info.ID {
		t.Errorf("Holder = %+v, %v, %v", h, ok, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file after Release: %v", err)
	}
	if _, ok, _ := Holder(dir); ok {
		t.Errorf("Holder after Release says locked")
	}
	acquire(t, dir).Release()
}

func TestHeldFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	l := acquire(t, dir)
	defer l.Release()
	_, err := Acquire(context.Background(), dir, Info{Operation: "pipe apply"}, 0)
	var he *HeldError
	if !errors.As(err, &he) || he.Holder.ID != l.Info().ID || he.Waited != 0 {
		t.Fatalf("second Acquire = %v; want a *HeldError naming %s", err, l.Info().ID)
	}
	i := l.Info()
	want := fmt.Sprintf(`lock: state folder %s is locked by %s (pipe apply, host %s, pid %d, since %s). Wait for it to finish, use -lock-timeout=DURATION to wait, or run "pipe force-unlock %s" if that process is gone.`,
		dir, i.ID, i.Host, i.PID, i.Since.UTC().Format(time.RFC3339), i.ID)
	if err.Error() != want {
		t.Errorf("message:\n%s\nwant\n%s", err, want)
	}
}

func TestWaitThenAcquire(t *testing.T) {
	dir := t.TempDir()
	l := acquire(t, dir)
	go func() {
		time.Sleep(100 * time.Millisecond)
		l.Release()
	}()
	l2, err := Acquire(context.Background(), dir, Info{Operation: "pipe apply"}, time.Minute)
	if err != nil {
		t.Fatalf("Acquire with a timeout: %v", err)
	}
	l2.Release()
}

func TestWaitTimesOut(t *testing.T) {
	dir := t.TempDir()
	l := acquire(t, dir)
	defer l.Release()
	_, err := Acquire(context.Background(), dir, Info{}, 50*time.Millisecond)
	var he *HeldError
	if !errors.As(err, &he) || he.Waited < 50*time.Millisecond || !strings.Contains(err.Error(), "lock: timed out after ") {
		t.Fatalf("Acquire = %v; want a timeout naming the holder", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Acquire(ctx, dir, Info{}, time.Minute); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), l.Info().ID) {
		t.Errorf("Acquire with a cancelled context = %v", err)
	}
}

// TestOtherProcess: a lock held by another live process blocks; released
// by it, the lock is free.
func TestOtherProcess(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, dir)
	_, err := Acquire(context.Background(), dir, Info{}, 0)
	var he *HeldError
	if !errors.As(err, &he) || he.Holder.ID != c.id || he.Holder.PID != c.cmd.Process.Pid {
		t.Fatalf("Acquire while the child holds the lock = %v", err)
	}
	c.stdin.Close() // the child releases and exits
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	acquire(t, dir).Release()
}

// TestKilledHolder: SIGKILL leaves the lock file behind; the next Acquire
// sees its process is gone and takes the lock over at once.
func TestKilledHolder(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, dir)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	if h, ok, _ := Holder(dir); !ok || h.ID != c.id {
		t.Fatalf("after SIGKILL the lock file should remain: %+v, %v", h, ok)
	}
	l := acquire(t, dir)
	if l.Info().ID == c.id {
		t.Errorf("took over with the dead holder's ID")
	}
	l.Release()
}

func writeLockFile(t *testing.T, dir string, info Info) {
	t.Helper()
	b, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStaleRules(t *testing.T) {
	host, _ := os.Hostname()
	now := time.Now()
	cases := []struct {
		name  string
		info  Info
		stale bool
	}{
		{"other host, fresh heartbeat", Info{ID: "a", Host: "elsewhere", PID: 1, Heartbeat: now}, false},
		{"other host, heartbeat past the lease", Info{ID: "b", Host: "elsewhere", PID: 1, Heartbeat: now.Add(-2 * lease)}, true},
		{"this host, live process", Info{ID: "c", Host: host, PID: os.Getppid(), Heartbeat: now}, false},
		{"this host, our pid, not held by us", Info{ID: "d", Host: host, PID: os.Getpid(), Heartbeat: now}, true},
		{"this host, no such process", Info{ID: "e", Host: host, PID: 1 << 30, Heartbeat: now}, true},
		{"this host, live process, heartbeat past the lease (pid reused)", Info{ID: "f", Host: host, PID: os.Getppid(), Heartbeat: now.Add(-2 * lease)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeLockFile(t, dir, c.info)
			l, err := Acquire(context.Background(), dir, Info{}, 0)
			if c.stale != (err == nil) {
				t.Fatalf("Acquire = %v; want stale=%v", err, c.stale)
			}
			if l != nil {
				l.Release()
			}
		})
	}
	// A lock file that does not parse goes stale with the lease, by its
	// modification time.
	dir := t.TempDir()
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(context.Background(), dir, Info{}, 0); err == nil || !strings.Contains(err.Error(), "unreadable lock file") {
		t.Errorf("Acquire over a fresh unreadable lock file = %v", err)
	}
	old := now.Add(-2 * lease)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	acquire(t, dir).Release()
}

// TestOneWinsTakeover: many contenders find the same stale lock at once;
// exactly one takes it.
func TestOneWinsTakeover(t *testing.T) {
	// Every contender pauses between reading the stale lock and acting on
	// it: without the guard, several would take it.
	testHookAfterRead = func() { time.Sleep(2 * time.Millisecond) }
	defer func() { testHookAfterRead = nil }()
	for round := range 5 {
		dir := t.TempDir()
		writeLockFile(t, dir, Info{ID: "dead", Host: "elsewhere", Heartbeat: time.Now().Add(-2 * lease)})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []*Lock
		for range 8 {
			wg.Go(func() {
				if l, err := Acquire(context.Background(), dir, Info{}, 0); err == nil {
					mu.Lock()
					won = append(won, l)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(won) != 1 {
			t.Errorf("round %d: %d contenders took the stale lock, want 1", round, len(won))
		}
		for _, l := range won {
			l.Release()
		}
	}
}

func TestForceUnlock(t *testing.T) {
	dir := t.TempDir()
	if _, err := ForceUnlock(dir, "x"); err == nil || !strings.Contains(err.Error(), "is not locked") {
		t.Errorf("ForceUnlock of an unlocked folder = %v", err)
	}
	c := startChild(t, dir)
	if _, err := ForceUnlock(dir, "wrong-id"); err == nil || !strings.Contains(err.Error(), "not wrong-id; nothing was unlocked") {
		t.Errorf("ForceUnlock with the wrong ID = %v", err)
	}
	info, err := ForceUnlock(dir, c.id)
	if err != nil || info.ID != c.id || info.PID != c.cmd.Process.Pid {
		t.Fatalf("ForceUnlock = %+v, %v", info, err)
	}
	l := acquire(t, dir)
	// The child, releasing after the force-unlock, must not remove our
	// lock.
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if h, ok, _ := Holder(dir); !ok || h.ID != l.Info().ID {
		t.Errorf("after the old holder released, Holder = %+v, %v; want ours", h, ok)
	}
	l.Release()
}

// TestHeartbeat: the holder refreshes its heartbeat, and notices when the
// lock is taken from it.
func TestHeartbeat(t *testing.T) {
	defer func(d time.Duration) { heartbeatInterval = d }(heartbeatInterval)
	heartbeatInterval = 10 * time.Millisecond
	dir := t.TempDir()
	l := acquire(t, dir)
	defer l.Release()
	first := l.Info().Heartbeat
	for i := 0; ; i++ {
		h, _, err := Holder(dir)
		if err != nil {
			t.Fatal(err)
		}
		if h.Heartbeat.After(first) {
			break
		}
		if i > 1000 {
			t.Fatal("heartbeat never refreshed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := ForceUnlock(dir, l.Info().ID); err != nil {
		t.Fatal(err)
	}
	thief := acquire(t, dir)
	defer thief.Release()
	select {
	case <-l.Lost():
	case <-time.After(time.Minute):
		t.Fatal("Lost not closed after the lock was taken")
	}
	if h, _, _ := Holder(dir); h.ID != thief.Info().ID {
		t.Errorf("the old holder's heartbeat overwrote the new lock: %+v", h)
	}
}

func TestAliveZombie(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Until it is reaped, the exited child is a zombie: not alive.
	for i := 0; alive(pid); i++ {
		if i > 3000 {
			t.Fatal("child never exited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Wait()
	if alive(pid) {
		t.Errorf("reaped child reported alive")
	}
	if !alive(os.Getpid()) {
		t.Errorf("this process reported dead")
	}
	if alive(0) || alive(-1) {
		t.Errorf("pid 0 or -1 reported alive")
	}
}
