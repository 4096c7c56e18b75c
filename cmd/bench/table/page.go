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
// page at path that belong to a run of cases (see tableSpan) with t in
// Markdown, and keeps every byte outside them. The page is replaced whole
// (a temporary file renamed over it), so that a failure leaves it as it
// was.
func writePage(path string, cases []string, t *Table) error {
	page, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("benchtable: -write: %w", err)
	}
	start, end, err := tableSpan(page, cases)
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

// checkPage says whether -write can write a run of cases into page (""
// is no page): the file must be there with its markers.
func checkPage(page string, cases []string) error {
	if page == "" {
		return nil
	}
	b, err := os.ReadFile(page)
	if err != nil {
		return fmt.Errorf("benchtable: -write: %w", err)
	}
	if _, _, err := tableSpan(b, cases); err != nil {
		return fmt.Errorf("benchtable: -write %s: %w", page, err)
	}
	return nil
}

// section is one table's place in a page: the cases its begin marker
// names ("" for none), and the byte offsets of what lies between its
// markers.
type section struct {
	only       string
	line       int
	start, end int
}

// tableSpan returns the byte offsets of the table of a run of cases: what
// lies between a line that begins with beginMarker and the next line
// endMarker, from the start of the line after the first to the start of
// the second. A page may hold several tables: a begin marker that says
// only=CASES (as -only takes them, e.g. "only=steps") holds the table of
// a run of exactly those cases, and the one that says no only= every
// other run's, so that a run of some cases does not replace the table of
// a full run.
func tableSpan(page []byte, cases []string) (start, end int, err error) {
	sections, err := pageSections(page)
	if err != nil {
		return 0, 0, err
	}
	key := strings.Join(cases, ",")
	if expanded, err := parseCases(key); err == nil {
		key = strings.Join(expanded, ",") // run.json of an older run may say "search"
	}
	var fallback *section
	for i, s := range sections {
		switch s.only {
		case key:
			return s.start, s.end, nil
		case "":
			fallback = &sections[i]
		}
	}
	if fallback == nil {
		return 0, 0, fmt.Errorf("no bench markers for the cases %s; put a line starting %s (or %s only=%s) and a line %s where the table goes", key, beginMarker, beginMarker, key, endMarker)
	}
	return fallback.start, fallback.end, nil
}

// pageSections finds the tables' markers in a page: each begin marker
// followed by its end marker, at most one table for each only=.
func pageSections(page []byte) ([]section, error) {
	const fix = "put a line starting " + beginMarker + " and a line " + endMarker + " where the table goes"
	var sections []section
	var open *section
	offset := 0
	for i, line := range strings.SplitAfter(string(page), "\n") {
		text := strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(text, beginMarker):
			if open != nil {
				return nil, fmt.Errorf("line %d: a second %s before the %s of line %d", i+1, beginMarker, endMarker, open.line)
			}
			only, err := markerCases(text)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			for _, s := range sections {
				if s.only == only {
					return nil, fmt.Errorf("lines %d and %d: two bench tables for the same cases (only=%q); want one", s.line, i+1, only)
				}
			}
			open = &section{only: only, line: i + 1, start: offset + len(line)}
		case text == endMarker:
			if open == nil {
				return nil, fmt.Errorf("line %d: %s comes before %s; %s", i+1, endMarker, beginMarker, fix)
			}
			open.end = offset
			sections = append(sections, *open)
			open = nil
		}
		offset += len(line)
	}
	if open != nil || len(sections) == 0 {
		return nil, fmt.Errorf("no bench markers; %s", fix)
	}
	return sections, nil
}

// markerCases reads the only=CASES of a begin marker line, expanded as
// -only is, or "" when it has none.
func markerCases(line string) (string, error) {
	for _, f := range strings.Fields(strings.TrimPrefix(line, beginMarker)) {
		if v, ok := strings.CutPrefix(f, "only="); ok {
			cases, err := parseCases(v)
			if err != nil {
				return "", err
			}
			return strings.Join(cases, ","), nil
		}
	}
	return "", nil
}
