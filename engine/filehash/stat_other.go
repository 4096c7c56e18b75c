//go:build !linux

package filehash

import (
	"fmt"
	"os"
)

// On systems other than Linux only size and mtime are compared; the
// package documentation's guarantees are Linux's.

func statPath(abs string) (stat, error) {
	fi, err := os.Stat(abs)
	if err != nil {
		return stat{}, fmt.Errorf("filehash: %w", err)
	}
	return fromInfo(abs, fi)
}

func statFile(f *os.File) (stat, error) {
	fi, err := f.Stat()
	if err != nil {
		return stat{}, fmt.Errorf("filehash: %w", err)
	}
	return fromInfo(f.Name(), fi)
}

func fromInfo(abs string, fi os.FileInfo) (stat, error) {
	if !fi.Mode().IsRegular() {
		return stat{}, fmt.Errorf("filehash: %s is not a regular file", abs)
	}
	return stat{Size: fi.Size(), Mtime: fi.ModTime().UnixNano(), Ctime: fi.ModTime().UnixNano()}, nil
}
