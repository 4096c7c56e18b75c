//go:build !unix

package store

import (
	"errors"
	"os"
)

// mapFile fails where memory maps are not supported; Map then reads the
// object into memory.
func mapFile(*os.File, int64) ([]byte, error) { return nil, errors.New("no memory maps here") }

func unmapFile([]byte) error { return nil }

func dropPages([]byte) {}
