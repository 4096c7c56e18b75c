package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The markers between which -write puts the table in a Markdown page. The
// begin marker is any line that starts with beginMarker, so that it can
// say, in the page, where the table comes from.
const (
	beginMarker = "<!-- BEGIN bench"
	endMarker   = "<!-- END bench -->"
)

// writePage replaces what lies between the bench markers of the Markdown
// page at path with t in Markdown, and keeps every byte outside them. The
// page is replaced whole (a temporary file renamed over it), so that a
// failure leaves it as it was.
func writePage(path string, t *Table) error {
	page, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("benchtable: -write: %w", err)
	}
	start, end, err := tableSpan(page)
	if err != nil {
		return fmt.Errorf("benchtable: -write %s: %w", path, err)
	}
	var table bytes.Buffer
	if err := writeMarkdown(&table, t); err != nil {
		return err
	}
	var out bytes.Buffer
	out.Write(page[:start])
	out.Write(table.Bytes())
	out.Write(page[end:])

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("benchtable: -write: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if _, err := tmp.Write(out.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("benchtable: -write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("benchtable: -write: %w", err)
	}
	if info, err := os.Stat(path); err == nil {
		if err := os.Chmod(tmp.Name(), info.Mode().Perm()); err != nil {
			return fmt.Errorf("benchtable: -write: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("benchtable: -write: %w", err)
	}
	return nil
}

// checkPage says whether -write can write into page ("" is no page): the
// file must be there with its markers.
func checkPage(page string) error {
	if page == "" {
		return nil
	}
	b, err := os.ReadFile(page)
	if err != nil {
		return fmt.Errorf("benchtable: -write: %w", err)
	}
	if _, _, err := tableSpan(b); err != nil {
		return fmt.Errorf("benchtable: -write %s: %w", page, err)
	}
	return nil
}

// tableSpan returns the byte offsets of what lies between the line that
// begins with beginMarker and the line endMarker: from the start of the
// line after the first to the start of the second.
func tableSpan(page []byte) (start, end int, err error) {
	const fix = "put a line starting " + beginMarker + " and a line " + endMarker + " where the table goes"
	begins, ends := 0, 0
	start, end = -1, -1
	offset := 0
	for i, line := range strings.SplitAfter(string(page), "\n") {
		text := strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(text, beginMarker):
			begins++
			start = offset + len(line)
		case text == endMarker:
			ends++
			if start < 0 {
				return 0, 0, fmt.Errorf("line %d: %s comes before %s; %s", i+1, endMarker, beginMarker, fix)
			}
			end = offset
		}
		offset += len(line)
	}
	switch {
	case begins == 0 || ends == 0:
		return 0, 0, fmt.Errorf("no bench markers; %s", fix)
	case begins > 1 || ends > 1:
		return 0, 0, fmt.Errorf("%d begin and %d end bench markers, want one of each", begins, ends)
	}
	return start, end, nil
}
