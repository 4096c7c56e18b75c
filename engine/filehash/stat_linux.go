package filehash

import (
	"fmt"
	"os"
	"syscall"
)

func statPath(abs string) (stat, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(abs, &st); err != nil {
		return stat{}, fmt.Errorf("filehash: %w", &os.PathError{Op: "stat", Path: abs, Err: err})
	}
	return fromSys(abs, &st)
}

func statFile(f *os.File) (stat, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return stat{}, fmt.Errorf("filehash: %w", &os.PathError{Op: "fstat", Path: f.Name(), Err: err})
	}
	return fromSys(f.Name(), &st)
}

func fromSys(abs string, st *syscall.Stat_t) (stat, error) {
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return stat{}, fmt.Errorf("filehash: %s is not a regular file", abs)
	}
	return stat{
		Size:  st.Size,
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
		Ino:   st.Ino,
		Dev:   uint64(st.Dev),
	}, nil
}
