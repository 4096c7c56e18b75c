package store

import (
	"os"
	"sync"
	"syscall"
)

// fileID is what identifies a file's content without reading it: which
// file (device, inode) and its size and times. Any write to a file, by any
// means, moves its change time (ctime) to the present, and no system call
// lets an unprivileged process set ctime back: so a file whose fileID is
// unchanged has not been written since the fileID was taken. (Its
// modification time alone would not do: its owner may set it at will.)
type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime syscall.Timespec
	// partial marks an identity without times, which the record never
	// trusts.
	partial bool
}

// idOf returns f's identity.
func idOf(f *os.File) (fileID, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return fileID{}, err
	}
	return statID(&st), nil
}

// sameFile reports whether a and b are open on the same file.
func sameFile(a, b *os.File) bool {
	ia, err1 := idOf(a)
	ib, err2 := idOf(b)
	return err1 == nil && err2 == nil && ia.dev == ib.dev && ia.ino == ib.ino
}

// verifiedFiles remembers, for this process only, which local files (the
// objects of a file:// store, the copies of the object cache) hashed to
// which digest, by their fileID: a file this process wrote and hashed, or
// read and hashed, is not hashed again while its fileID is unchanged.
//
// The record lives in this process's memory on purpose. A record kept on
// disk (as the stat cache of input files is) would be as easy to edit as
// the object it vouches for, by anyone who can write the store or the
// cache: a same-user process could alter an object, then the record. In
// memory, neither can be forged, and a file's fileID cannot be kept while
// writing to it.
type verifiedFiles struct {
	mu sync.Mutex
	m  map[fileID]string
}

// maxVerified bounds the record; past it, it starts again empty (what
// it forgets is hashed again).
const maxVerified = 1 << 16

var verified = &verifiedFiles{m: map[fileID]string{}}

// remember records that f's content hashes to digest.
func (v *verifiedFiles) remember(f *os.File, digest string) {
	id, err := idOf(f)
	if err != nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.m) >= maxVerified {
		clear(v.m)
	}
	v.m[id] = digest
}

// check reports whether the file with identity id was verified to hash
// to digest.
func (v *verifiedFiles) check(id fileID, digest string) bool {
	if id.partial {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[id] == digest
}
