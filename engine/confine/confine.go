package confine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Root is a folder a pipeline may use besides its own, and where it was
// allowed, for messages: "settings.allowed_paths", "-allow-path",
// "PIPE_ALLOWED_PATHS".
type Root struct {
	Path string
	From string
}

// Roots are the folders a pipeline may read and write. The zero value
// confines nothing: use New.
type Roots struct {
	dir   string
	roots []Root
	real  []string // each folder, absolute, links resolved: dir first
	// unknown roots allow every path: see Unknown.
	unknown bool
}

// Unknown returns the roots of a pipeline in dir whose allowed folders
// are not known here: every path passes, since none can be refused for
// sure. pipe validate uses it when settings.allowed_paths uses a variable
// it leaves without a value (plan and apply always know them), and a
// worker (pipe step exec) for a step-input document, whose paths the
// coordinator checked against the pipeline's roots.
func Unknown(dir string) *Roots {
	return &Roots{dir: dir, real: []string{resolve(dir)}, unknown: true}
}

// New returns the roots of a pipeline in the folder dir (absolute)
// allowed the extra roots. A relative root is relative to dir.
func New(dir string, extra []Root) *Roots {
	r := &Roots{dir: dir}
	r.real = append(r.real, resolve(dir))
	for _, root := range extra {
		p := root.Path
		if !filepath.IsAbs(p) {
			p = dir + string(filepath.Separator) + p
		}
		r.roots = append(r.roots, Root{Path: filepath.Clean(p), From: root.From})
		r.real = append(r.real, resolve(p))
	}
	return r
}

// Dir is the pipeline folder.
func (r *Roots) Dir() string { return r.dir }

// Allowed lists the roots besides the pipeline folder.
func (r *Roots) Allowed() []Root { return r.roots }

// EscapeError is a path outside every root.
type EscapeError struct {
	// Path is as the pipeline wrote it; Resolved is where it leads,
	// absolute, links resolved.
	Path, Resolved string
	checked        string // the local path checked, when Path is a URL or a glob
	roots          *Roots
}

// ErrEscape is matched by every *EscapeError.
var ErrEscape = errors.New("confine: path outside the allowed folders")

func (e *EscapeError) Is(target error) bool { return target == ErrEscape }

func (e *EscapeError) Error() string { return e.message(e.Path, true) }

// Hiding returns the error's message with shown in place of the path,
// and without where it leads: for a path that is a sensitive value.
func (e *EscapeError) Hiding(shown string) string { return e.message(shown, false) }

func (e *EscapeError) message(shown string, leads bool) string {
	where := "the pipeline folder " + e.roots.dir
	for _, root := range e.roots.roots {
		where += ", " + root.Path + " (" + root.From + ")"
	}
	if leads && e.Resolved != filepath.Clean(filepath.Join(e.roots.dir, e.checked)) && e.Resolved != filepath.Clean(e.checked) {
		where += " (it leads to " + e.Resolved + ")"
	}
	return fmt.Sprintf("%s is outside %s. A pipeline reads and writes only inside its own folder and the folders allowed to it: add the folder to settings { allowed_paths = [...] }, or give -allow-path=DIR (PIPE_ALLOWED_PATHS)",
		shown, where)
}

// Check returns an *EscapeError when the local path p (relative to the
// pipeline folder, or absolute) leads outside every root. The part of p
// that exists is resolved through its symbolic links; what does not exist
// yet (a file a step will write) is taken as written.
func (r *Roots) Check(p string) error {
	if r.unknown {
		return nil
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = r.dir + string(filepath.Separator) + abs
	}
	real := resolve(abs)
	for _, root := range r.real {
		if inside(real, root) {
			return nil
		}
	}
	return &EscapeError{Path: p, Resolved: real, checked: p, roots: r}
}

// CheckLocation checks a location a step opens or a pipeline names: a
// file:// URL or a bare path is checked as a path; any other URL (gs://,
// s3://, mem://) is not a local path, and passes.
func (r *Roots) CheckLocation(loc string) error {
	scheme, rest, ok := strings.Cut(loc, "://")
	switch {
	case !ok:
		return r.Check(loc)
	case scheme != "file":
		return nil
	}
	rest, _, _ = strings.Cut(rest, "?")
	if rest == "" {
		rest = "."
	}
	return Written(r.Check(filepath.FromSlash(rest)), loc)
}

// Written returns err with the path as the pipeline wrote it (a URL, a
// glob) when err is an *EscapeError about the local path checked for it.
func Written(err error, written string) error {
	if esc, ok := err.(*EscapeError); ok {
		esc.Path = written
	}
	return err
}

// resolve makes p absolute with every symbolic link in it resolved, one
// element at a time as the system does when it opens p: "link/.." is the
// folder above the link's target, not the folder holding the link. Once
// an element does not exist (a file a step will write), the rest is
// taken as written.
func resolve(p string) string {
	if !filepath.IsAbs(p) {
		if wd, err := os.Getwd(); err == nil {
			p = wd + string(filepath.Separator) + p
		}
	}
	parts := strings.Split(filepath.ToSlash(p), "/")
	cur := string(filepath.Separator)
	if v := filepath.VolumeName(p); v != "" {
		cur, parts = v+string(filepath.Separator), strings.Split(filepath.ToSlash(p[len(v):]), "/")
	}
	for i, part := range parts {
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, part)
		real, err := filepath.EvalSymlinks(next)
		if err != nil {
			return filepath.Join(append([]string{next}, parts[i+1:]...)...)
		}
		cur = real
	}
	return cur
}

// inside reports whether path is root or below it; both are absolute and
// clean.
func inside(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
