package tempfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// TestSweepKeepsLiveRemovesOrphans: a file and a folder this process holds
// survive a Sweep; once closed (as a killed owner's are), a Sweep removes
// them; files not named by pipe are never touched.
func TestSweepKeepsLiveRemovesOrphans(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir, ".db")
	if err != nil {
		t.Fatal(err)
	}
	d, err := MkdirTemp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.Path, "termination-log"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "pipe-dataset-1.arrow")
	os.WriteFile(other, nil, 0o644)

	if n, err := Sweep(dir); n != 0 || err != nil {
		t.Fatalf("Sweep with both owned by a live process removed %d (%v)", n, err)
	}
	f.Close()
	d.lock.Close() // the owner dies without cleaning up
	if n, err := Sweep(dir); n != 2 || err != nil {
		t.Fatalf("Sweep after the owner let go removed %d (%v), want 2", n, err)
	}
	if names := list(t, dir); !slices.Equal(names, []string{"pipe-dataset-1.arrow"}) {
		t.Errorf("left %q, want only the file pipe did not name", names)
	}
}

// TestSweepAcrossProcesses: a file locked by another live process (a
// flock(1) that keeps the lock itself, -o) is kept; once that process is killed, it goes.
func TestSweepAcrossProcesses(t *testing.T) {
	flock, err := exec.LookPath("flock")
	if err != nil {
		t.Skip("no flock(1)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, Prefix+"other.tmp")
	os.WriteFile(path, nil, 0o600)
	cmd := exec.Command(flock, "-o", "-x", path, "sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // to kill its sleep too
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	defer kill()
	// Wait until the lock is taken: a Create of ours cannot lock it then.
	for {
		g, _ := os.Open(path)
		if g == nil {
			t.Fatal("the file vanished")
		}
		held := !lockable(g)
		g.Close()
		if held {
			break
		}
	}
	if n, _ := Sweep(dir); n != 0 {
		t.Fatal("Sweep removed a file another live process holds")
	}
	kill()
	cmd.Wait()
	if n, _ := Sweep(dir); n != 1 {
		t.Fatalf("Sweep after the owner was killed removed %d, want 1", n)
	}
}

// TestSweepSymlink: a link named like ours (in a shared TMPDIR anyone may
// make one) is not followed to remove what it points at.
func TestSweepSymlink(t *testing.T) {
	dir, target := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(target, "keep"), []byte("x"), 0o644)
	if err := os.Symlink(target, filepath.Join(dir, Prefix+"link.d")); err != nil {
		t.Fatal(err)
	}
	Sweep(dir)
	if _, err := os.Stat(filepath.Join(target, "keep")); err != nil {
		t.Fatalf("Sweep followed a link: %v", err)
	}
}

func TestSweepMissingDir(t *testing.T) {
	if n, err := Sweep(filepath.Join(t.TempDir(), "none")); n != 0 || err != nil {
		t.Errorf("Sweep of a missing folder: %d, %v", n, err)
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// lockable reports whether f's lock can be taken now (and lets it go).
func lockable(f *os.File) bool {
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return true
}
