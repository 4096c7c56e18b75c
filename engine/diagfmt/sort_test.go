package diagfmt

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestSort orders by file and position, unlocated first, equal ones kept
// in order, without changing its argument.
func TestSort(t *testing.T) {
	at := func(file string, byte int) *hcl.Range {
		return &hcl.Range{Filename: file, Start: hcl.Pos{Byte: byte}}
	}
	in := hcl.Diagnostics{
		{Summary: "b 10", Subject: at("b.pipe.hcl", 10)},
		{Summary: "a 30", Subject: at("a.pipe.hcl", 30)},
		{Summary: "none 1"},
		{Summary: "a 5", Subject: at("a.pipe.hcl", 5)},
		{Summary: "none 2"},
		{Summary: "a 5 again", Subject: at("a.pipe.hcl", 5)},
	}
	want := []string{"none 1", "none 2", "a 5", "a 5 again", "a 30", "b 10"}
	got := Sort(in)
	for i, d := range got {
		if d.Summary != want[i] {
			t.Fatalf("position %d: %q, want %q (all: %v)", i, d.Summary, want[i], got)
		}
	}
	if in[0].Summary != "b 10" {
		t.Error("Sort changed its argument")
	}
}
