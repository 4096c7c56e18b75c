//go:build !linux

package main

import (
	"errors"
	"os"
)

// openDirect is not available here: readDisk falls back to plain reads.
func openDirect(string) (*os.File, error) {
	return nil, errors.New("O_DIRECT is Linux only")
}

// alignedBuffer is a plain buffer: without O_DIRECT no alignment is needed.
func alignedBuffer(size int) ([]byte, func(), error) {
	return make([]byte, size), func() {}, nil
}
