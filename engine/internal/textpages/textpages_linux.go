package textpages

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// release drops this process's mappings of its executable's read-only
// segments (see Release).
func release() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	var dropped int64
	for _, seg := range readOnlySegments(b, exe) {
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, seg.lo, seg.hi-seg.lo, syscall.MADV_DONTNEED); errno != 0 {
			return dropped, errno
		}
		dropped += int64(seg.hi - seg.lo)
	}
	return dropped, nil
}

// segment is an address range.
type segment struct{ lo, hi uintptr }

// readOnlySegments are the private, read-only mappings of the file exe in
// smaps (the text of /proc/self/smaps) that hold no anonymous page: every
// page of such a mapping is the file's, unwritten.
func readOnlySegments(smaps []byte, exe string) []segment {
	var out []segment
	var cur *segment // the mapping being read, while it qualifies
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		line := sc.Text()
		if seg, ok := header(line); ok {
			flush()
			if f := strings.Fields(line); len(f) >= 6 && f[5] == exe && (f[1] == "r-xp" || f[1] == "r--p") {
				cur = &seg
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "Anonymous:"); ok && cur != nil && strings.TrimSpace(v) != "0 kB" {
			cur = nil
		}
	}
	flush()
	return out
}

// header parses the address range of a mapping's first line in smaps
// ("lo-hi perms offset dev inode path"); ok is false for the lines of
// fields that follow it.
func header(line string) (segment, bool) {
	rng, _, _ := strings.Cut(line, " ")
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return segment{}, false
	}
	lo, err1 := strconv.ParseUint(a, 16, 64)
	hi, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil || hi <= lo {
		return segment{}, false
	}
	return segment{uintptr(lo), uintptr(hi)}, true
}
