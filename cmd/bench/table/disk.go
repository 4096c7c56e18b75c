package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// diskReads is how many times readDisk reads the file; it keeps the fastest.
const diskReads = 3

// readDisk measures how fast the disk delivers path: the fastest of
// diskReads whole reads past the page cache (O_DIRECT, where the system
// and the file system allow it), or of plain reads when they do not,
// which then measure the page cache and say so in Method.
func readDisk(path string) (*Disk, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("benchtable: %w", err)
	}
	buf, release, err := alignedBuffer(4 << 20)
	if err != nil {
		return nil, fmt.Errorf("benchtable: %w", err)
	}
	defer release()
	d := &Disk{File: path, Bytes: st.Size(), Method: "O_DIRECT"}
	for range diskReads {
		f, err := openDirect(path)
		if err != nil {
			if d.Method == "O_DIRECT" {
				d.Method = "page cache"
			}
			if f, err = os.Open(path); err != nil {
				return nil, fmt.Errorf("benchtable: %w", err)
			}
		}
		start := time.Now()
		n, err := readAll(f, buf)
		secs := time.Since(start).Seconds()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("benchtable: reading %s: %w", path, err)
		}
		if n != st.Size() {
			return nil, fmt.Errorf("benchtable: read %d bytes of %s, which has %d", n, path, st.Size())
		}
		if d.Seconds == 0 || secs < d.Seconds {
			d.Seconds = secs
		}
	}
	d.MBPerSec = float64(d.Bytes) / 1e6 / d.Seconds
	return d, nil
}

// readAll reads f to its end through buf and returns how many bytes it read.
func readAll(f *os.File, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := f.Read(buf)
		total += int64(n)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
