package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pipe-ml/pipe/engine/tempfile"
)

// FileName is the lock file's name in the state folder.
const FileName = "pipe.lock"

// guardName is the file flock(2) serialises the lock's state changes on.
const guardName = "pipe.lock.guard"

// Timings of the protocol. Variables so that tests can shorten them.
var (
	heartbeatInterval = 5 * time.Second
	lease             = 60 * time.Second
	pollInterval      = 250 * time.Millisecond

	// testHookAfterRead, when set, runs between reading the lock file and
	// acting on it, to widen race windows in tests.
	testHookAfterRead func()
)

// Info describes a lock's holder. It is what pipe.lock holds.
type Info struct {
	// ID identifies this holding of the lock, for ForceUnlock.
	ID string `json:"id"`
	// Operation is what the holder is doing, e.g. "pipe apply".
	Operation string `json:"operation"`
	Host      string `json:"host"`
	PID       int    `json:"pid"`
	User      string `json:"user"`
	// Since is when the lock was taken.
	Since time.Time `json:"since"`
	// Heartbeat is when the holder last showed it was alive.
	Heartbeat time.Time `json:"heartbeat"`
}

func (i Info) String() string {
	op := i.Operation
	if op == "" {
		op = "unknown operation"
	}
	return fmt.Sprintf("%s (%s, host %s, pid %d, since %s)", i.ID, op, i.Host, i.PID, i.Since.UTC().Format(time.RFC3339))
}

// HeldError is returned by Acquire when another holder has the lock.
type HeldError struct {
	// Dir is the state folder.
	Dir string
	// Holder is the lock's holder as its file describes it.
	Holder Info
	// Waited is how long Acquire waited (zero when it failed at once).
	Waited time.Duration
}

func (e *HeldError) Error() string {
	if e.Waited > 0 {
		return fmt.Sprintf("lock: timed out after %s waiting for state folder %s, locked by %s. Wait for it to finish, use a longer -lock-timeout, or run \"pipe force-unlock %s\" if that process is gone.",
			e.Waited, e.Dir, e.Holder, e.Holder.ID)
	}
	return fmt.Sprintf("lock: state folder %s is locked by %s. Wait for it to finish, use -lock-timeout=DURATION to wait, or run \"pipe force-unlock %s\" if that process is gone.",
		e.Dir, e.Holder, e.Holder.ID)
}

// Lock is a held lock. Release it when done.
type Lock struct {
	dir  string
	info Info

	stop     chan struct{}
	stopped  chan struct{}
	lost     chan struct{}
	lostOnce sync.Once
	release  sync.Once
}

// held are the IDs of the locks this process holds: a lock file naming our
// host and pid is stale unless its ID is here.
var held = struct {
	sync.Mutex
	ids map[string]bool
}{ids: map[string]bool{}}

// Acquire takes the lock on the state folder dir, creating the folder when
// missing. info.Operation says what for; Acquire fills in the other fields.
// When the lock is held, Acquire polls until it is released or becomes
// stale, for at most timeout (zero or less: it fails at once), and then
// returns a *HeldError naming the holder. A cancelled ctx stops the wait.
func Acquire(ctx context.Context, dir string, info Info, timeout time.Duration) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("lock: creating state folder: %w", err)
	}
	start := time.Now()
	for {
		l, holder, err := tryAcquire(dir, info)
		if err != nil || l != nil {
			return l, err
		}
		waited := time.Since(start)
		if waited >= timeout {
			if timeout <= 0 {
				waited = 0
			}
			return nil, &HeldError{Dir: dir, Holder: holder, Waited: waited.Round(time.Millisecond)}
		}
		t := time.NewTimer(min(pollInterval, timeout-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("lock: stopped waiting for state folder %s, locked by %s: %w", dir, holder, ctx.Err())
		case <-t.C:
		}
	}
}

// tryAcquire takes the lock if it is free or stale; otherwise it returns
// the holder.
func tryAcquire(dir string, info Info) (*Lock, Info, error) {
	var l *Lock
	var holder Info
	err := withGuard(dir, func() error {
		cur, err := readLock(dir)
		if testHookAfterRead != nil {
			testHookAfterRead()
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		case !stale(cur):
			holder = cur
			return nil
		default:
			if err := os.Remove(filepath.Join(dir, FileName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("lock: removing the stale lock %s: %w", cur.ID, err)
			}
		}
		mine, err := newInfo(info)
		if err != nil {
			return err
		}
		created, err := create(dir, mine)
		if err != nil || !created {
			// Without a working guard, another process may have been
			// faster; report it as the holder.
			holder, _ = readLock(dir)
			return err
		}
		l = &Lock{dir: dir, info: mine, stop: make(chan struct{}), stopped: make(chan struct{}), lost: make(chan struct{})}
		return nil
	})
	if err != nil || l == nil {
		return nil, holder, err
	}
	held.Lock()
	held.ids[l.info.ID] = true
	held.Unlock()
	go l.heartbeat(heartbeatInterval)
	return l, Info{}, nil
}

// newInfo completes the caller's Info with who and when.
func newInfo(info Info) (Info, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Info{}, fmt.Errorf("lock: %w", err)
	}
	info.ID = hex.EncodeToString(id[:4]) + "-" + hex.EncodeToString(id[4:6]) + "-" + hex.EncodeToString(id[6:8]) + "-" + hex.EncodeToString(id[8:10]) + "-" + hex.EncodeToString(id[10:])
	info.Host = hostname()
	info.PID = os.Getpid()
	info.User = username()
	info.Since = time.Now().UTC()
	info.Heartbeat = info.Since
	return info, nil
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func username() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}

// stale reports whether the lock described by cur may be taken over.
func stale(cur Info) bool {
	held.Lock()
	ours := held.ids[cur.ID]
	held.Unlock()
	if ours {
		return false
	}
	if cur.Host == hostname() && (cur.PID == os.Getpid() || !alive(cur.PID)) {
		return true
	}
	return time.Since(cur.Heartbeat) > lease
}

// Info describes this lock's holding, as it was acquired.
func (l *Lock) Info() Info { return l.info }

// Lost is closed when the heartbeat finds the lock file no longer names
// this lock: another process took it over (this one froze for longer than
// the lease) or it was force-unlocked. The holder should stop writing to
// the state folder.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Release gives the lock up. It removes the lock file only if the file
// still names this lock. Calling it again does nothing.
func (l *Lock) Release() error {
	var err error
	l.release.Do(func() {
		close(l.stop)
		<-l.stopped
		held.Lock()
		delete(held.ids, l.info.ID)
		held.Unlock()
		err = withGuard(l.dir, func() error {
			cur, err := readLock(l.dir)
			if err != nil || cur.ID != l.info.ID {
				return nil
			}
			if err := os.Remove(filepath.Join(l.dir, FileName)); err != nil {
				return fmt.Errorf("lock: releasing: %w", err)
			}
			return nil
		})
	})
	return err
}

func (l *Lock) heartbeat(every time.Duration) {
	defer close(l.stopped)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		_ = withGuard(l.dir, func() error {
			cur, err := readLock(l.dir)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err // unreadable for now; try again next time
			}
			if err != nil || cur.ID != l.info.ID {
				l.lostOnce.Do(func() { close(l.lost) })
				return nil
			}
			beat := l.info
			beat.Heartbeat = time.Now().UTC()
			return replace(l.dir, beat)
		})
	}
}

// ForceUnlock removes the lock on dir if its ID is id, and returns the
// holder it removed. It is for a holder known to be gone; the holder, if
// it is alive after all, finds out at its next heartbeat (Lock.Lost).
func ForceUnlock(dir, id string) (Info, error) {
	var cur Info
	err := withGuard(dir, func() error {
		var err error
		cur, err = readLock(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("lock: state folder %s is not locked; nothing to unlock", dir)
		case err != nil:
			return err
		case cur.ID != id:
			return fmt.Errorf("lock: state folder %s is locked by %s, not %s; nothing was unlocked", dir, cur, id)
		}
		if err := os.Remove(filepath.Join(dir, FileName)); err != nil {
			return fmt.Errorf("lock: unlocking: %w", err)
		}
		return nil
	})
	return cur, err
}

// Holder returns the holder of the lock on dir, and false when it is not
// locked.
func Holder(dir string) (Info, bool, error) {
	cur, err := readLock(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, false, nil
	}
	return cur, err == nil, err
}

// readLock reads the lock file. A file that does not parse (written by
// hand, or by a broken tool) counts as a holder with no ID whose
// heartbeat is the file's modification time, so that it goes stale with
// the lease instead of blocking forever.
func readLock(dir string) (Info, error) {
	p := filepath.Join(dir, FileName)
	b, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Info{}, err
		}
		return Info{}, fmt.Errorf("lock: reading %s: %w", p, err)
	}
	var info Info
	if json.Unmarshal(b, &info) != nil || info.ID == "" {
		fi, err := os.Stat(p)
		if err != nil {
			return Info{}, fmt.Errorf("lock: reading %s: %w", p, err)
		}
		return Info{ID: "(unreadable lock file)", Since: fi.ModTime(), Heartbeat: fi.ModTime()}, nil
	}
	return info, nil
}

// create writes the lock file if there is none, and reports whether it
// did. The file appears complete or not at all.
func create(dir string, info Info) (bool, error) {
	tmp, err := writeTemp(dir, info)
	if err != nil {
		return false, err
	}
	defer closeTemp(tmp)
	err = os.Link(tmp.Name(), filepath.Join(dir, FileName))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	}
	// No hard links on this file system: fall back to an exclusive create,
	// which a reader may briefly see empty.
	b, _ := json.Marshal(info)
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lock: creating lock file: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("lock: writing lock file: %w", err)
	}
	return true, nil
}

// replace rewrites the lock file atomically.
func replace(dir string, info Info) error {
	tmp, err := writeTemp(dir, info)
	if err != nil {
		return err
	}
	defer closeTemp(tmp)
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName)); err != nil {
		return fmt.Errorf("lock: updating lock file: %w", err)
	}
	return nil
}

// writeTemp writes info to a new temporary file in dir (engine/tempfile's:
// a process killed before closeTemp leaves it for the next pipe command to
// remove). It stays open, and so owned, until closeTemp.
func writeTemp(dir string, info Info) (*os.File, error) {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := tempfile.Create(dir, ".json")
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		closeTemp(f)
		return nil, fmt.Errorf("lock: writing %s: %w", f.Name(), err)
	}
	return f, nil
}

// closeTemp removes a temporary file (when it was not renamed away) and
// closes it.
func closeTemp(f *os.File) {
	os.Remove(f.Name())
	f.Close()
}

// withGuard runs fn holding flock(2) on the guard file, or without it
// where the file system does not support flock.
func withGuard(dir string, fn func() error) error {
	f, err := os.OpenFile(filepath.Join(dir, guardName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("lock: opening guard file: %w", err)
	}
	defer f.Close()
	// The guard is held for milliseconds; a holder that does not let go
	// for 10 s is stuck (stopped by a signal), so give up on it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			break
		}
		if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EINVAL) {
			break // unsupported: go on unguarded
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock: locking guard file: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("lock: the guard file %s stayed locked for 10 s; is a pipe process stopped?", f.Name())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fn()
}
