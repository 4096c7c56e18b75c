package textpages

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestReleaseDropsTheExecutablesPages: after Release, the test binary's
// read-only segments hold fewer resident pages than before, its data
// segment is untouched (a global written before still reads back), and
// code keeps running (faulting back in what it needs).
func TestReleaseDropsTheExecutablesPages(t *testing.T) {
	written = strings.Repeat("x", 3)
	before := residentReadOnly(t)
	if before == 0 {
		t.Fatal("no resident read-only page of the executable before Release")
	}
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("Release released nothing")
	}
	after := residentReadOnly(t)
	if after >= before {
		t.Errorf("resident read-only pages of the executable: %d kB before Release, %d kB after", before, after)
	}
	if written != "xxx" {
		t.Errorf("the data segment changed: %q", written)
	}
	t.Logf("released %d MB of mappings; resident %d kB before, %d kB after", n>>20, before, after)
}

// written is in the data segment, set at run time.
var written string

// TestReadOnlySegments reads a sample of smaps: only the executable's
// private read-only mappings without anonymous pages qualify.
func TestReadOnlySegments(t *testing.T) {
	smaps := `00400000-03b10000 r-xp 00000000 fe:00 1 /bin/pipe
Size:              56384 kB
Anonymous:             0 kB
03b10000-079a9000 r--p 03710000 fe:00 1 /bin/pipe
Anonymous:             0 kB
079a9000-08027000 rw-p 075a9000 fe:00 1 /bin/pipe
Anonymous:          3576 kB
08027000-08030000 r--p 07c00000 fe:00 1 /bin/pipe
Anonymous:             4 kB
7f00000000-7f00001000 r--p 00000000 fe:00 2 /lib/libc.so.6
Anonymous:             0 kB
7f10000000-7f10001000 r--s 00000000 fe:00 3 /bin/pipe
Anonymous:             0 kB
`
	got := readOnlySegments([]byte(smaps), "/bin/pipe")
	want := []segment{{0x400000, 0x3b10000}, {0x3b10000, 0x79a9000}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %x, want %x", got, want)
	}
}

// residentReadOnly is the resident kilobytes of the executable's
// read-only mappings.
func residentReadOnly(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	total, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		if _, ok := header(line); ok {
			f := strings.Fields(line)
			in = len(f) >= 6 && f[5] == exe && (f[1] == "r-xp" || f[1] == "r--p")
			continue
		}
		if v, ok := strings.CutPrefix(line, "Rss:"); ok && in {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			total += kb
		}
	}
	return total
}
