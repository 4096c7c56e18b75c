package cachekey

import (
	"fmt"
	"slices"
)

// ChangeKind classifies a difference between two preimages.
type ChangeKind string

const (
	// Version: the kind's implementation changed.
	ChangeVersion ChangeKind = "version"
	// Attribute: an attribute's value changed (Old or New is "null" when
	// it was or is not set).
	ChangeAttribute ChangeKind = "attribute"
	// FileChanged, FileAdded, FileRemoved: an input file.
	ChangeFile        ChangeKind = "file_changed"
	ChangeFileAdded   ChangeKind = "file_added"
	ChangeFileRemoved ChangeKind = "file_removed"
	// Format: the cache key encoding itself changed (a new pipe).
	ChangeFormat ChangeKind = "format"
)

// Change is one difference between a step's last preimage and its current
// one, for a person.
type Change struct {
	Kind ChangeKind `json:"kind"`
	// Name is the attribute name or the file path.
	Name string `json:"name,omitempty"`
	// Old and New are displayed values (attributes, versions) or digests
	// (files).
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
}

func (c Change) String() string {
	switch c.Kind {
	case ChangeVersion:
		return fmt.Sprintf("step implementation changed (version %s → %s)", c.Old, c.New)
	case ChangeFormat:
		return fmt.Sprintf("cache key format changed (%s → %s)", c.Old, c.New)
	case ChangeAttribute:
		return fmt.Sprintf("%s: %s → %s", c.Name, c.Old, c.New)
	case ChangeFile:
		return fmt.Sprintf("input file %s changed (%s → %s)", c.Name, short(c.Old), short(c.New))
	case ChangeFileAdded:
		return fmt.Sprintf("input file %s is new", c.Name)
	case ChangeFileRemoved:
		return fmt.Sprintf("input file %s is gone", c.Name)
	}
	return string(c.Kind)
}

// short abbreviates a digest for display.
func short(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}

// Diff lists the differences from old to cur, in a stable order: version,
// then attributes by name, then files by path.
func Diff(old, cur *Preimage) []Change {
	var changes []Change
	if old.Format != cur.Format {
		changes = append(changes, Change{Kind: ChangeFormat, Old: fmt.Sprint(old.Format), New: fmt.Sprint(cur.Format)})
	}
	if old.Version != cur.Version {
		changes = append(changes, Change{Kind: ChangeVersion, Old: old.Version, New: cur.Version})
	}
	for _, name := range sortedNames(old.Config, cur.Config) {
		o, hadOld := old.Config[name]
		n, hasNew := cur.Config[name]
		if hadOld && hasNew && o.equal(n) {
			continue
		}
		c := Change{Kind: ChangeAttribute, Name: name, Old: "null", New: "null"}
		if hadOld {
			c.Old = o.Display()
		}
		if hasNew {
			c.New = n.Display()
		}
		switch {
		case c.Old != c.New:
		case hadOld && hasNew && string(o.Type) != string(n.Type):
			// Same display, different encoding: the type changed.
			c.Old += " (" + string(o.Type) + ")"
			c.New += " (" + string(n.Type) + ")"
		case n.Sensitive():
			// Both redacted: say that it changed, not what to.
			c.New = "(another sensitive value)"
		}
		changes = append(changes, c)
	}
	oldFiles := map[string]string{}
	for _, f := range old.Files {
		oldFiles[f.Path] = f.Digest
	}
	curFiles := map[string]string{}
	for _, f := range cur.Files {
		curFiles[f.Path] = f.Digest
	}
	var paths []string
	for p := range oldFiles {
		paths = append(paths, p)
	}
	for p := range curFiles {
		if _, ok := oldFiles[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		o, hadOld := oldFiles[p]
		n, hasNew := curFiles[p]
		switch {
		case !hadOld:
			changes = append(changes, Change{Kind: ChangeFileAdded, Name: p, New: n})
		case !hasNew:
			changes = append(changes, Change{Kind: ChangeFileRemoved, Name: p, Old: o})
		case o != n:
			changes = append(changes, Change{Kind: ChangeFile, Name: p, Old: o, New: n})
		}
	}
	return changes
}
