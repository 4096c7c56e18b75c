package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGendata(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run([]string{"-rows", "40", "-dim", "4", "-rank", "2", "-out", filepath.Join(dir, "a/d.csv")}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "a/d.csv"))
	if err != nil || !strings.HasPrefix(string(b), "id,text,label,emb_0,emb_1,emb_2,emb_3\n") || !strings.Contains(out.String(), "wrote 40 rows") {
		t.Fatalf("err %v, file %.60q, stdout %q", err, b, out.String())
	}
	// The same flags write the same bytes.
	if err := run([]string{"-rows", "40", "-dim", "4", "-rank", "2", "-out", filepath.Join(dir, "b.csv")}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if c, _ := os.ReadFile(filepath.Join(dir, "b.csv")); !bytes.Equal(b, c) {
		t.Fatal("same flags, different bytes")
	}
	if err := run([]string{"-rows", "40", "-dim", "4", "-rank", "2", "-split-files", "3", "-format", "parquet", "-layout", "column", "-out", filepath.Join(dir, "parts")}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "parts"))
	if len(entries) != 3 || entries[2].Name() != "part-0002.parquet" {
		t.Fatalf("parts: %v", entries)
	}
	for _, bad := range [][]string{{}, {"-out", "x.txt"}, {"-layout", "tall", "-out", "x.csv"}, {"-rows", "0", "-out", "x.csv"}} {
		if err := run(bad, &out, &errOut); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
