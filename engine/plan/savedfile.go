package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/diagfmt"
)

// A saved plan is checked three ways before apply trusts it. Read refuses
// a file that is not a whole plan (a *DamagedError: empty, truncated,
// not JSON, or JSON that is not a plan). Its Digest, the SHA-256 of its
// bytes, is what plan -out and show print and the pull-request comment
// shows, so that apply -plan-digest can refuse any plan but the reviewed
// one (CheckDigest). And Moved refuses a plan that would apply to another
// store or pipeline folder than the apply resolves itself, whatever the
// file says.

// Digest returns the digest of a saved plan's bytes: "sha256:" and 64
// lowercase hex digits.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// DamagedError is a file given as a saved plan that is not one: empty,
// truncated, not JSON, or JSON that is not a saved plan.
type DamagedError struct {
	Path   string
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("plan: %s is a damaged plan file: %s. It was cut short or changed after pipe plan wrote it; make the plan again with pipe plan -out=FILE", e.Path, e.Reason)
}

// Read reads and checks the saved plan at path, and sets its Digest.
func Read(path string) (*Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	d, err := Parse(b)
	var damaged *DamagedError
	if errors.As(err, &damaged) {
		damaged.Path = path
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Parse checks b, the bytes of a saved plan file, and returns the plan
// with its Digest. Anything but a whole saved plan is a *DamagedError
// (without a Path); a plan of another format, or one printed by -json
// rather than saved, is an error that says what to do.
func Parse(b []byte) (*Document, error) {
	damaged := func(format string, args ...any) error {
		return &DamagedError{Reason: fmt.Sprintf(format, args...)}
	}
	trimmed := bytes.TrimSpace(b)
	switch {
	case len(trimmed) == 0:
		return nil, damaged("it is empty")
	case trimmed[0] != '{':
		return nil, damaged("it does not start with {, as the JSON document pipe plan -out writes does")
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		return nil, damaged("%s", jsonProblem(err, len(b)))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, damaged("more data follows the plan document (at byte %d)", dec.InputOffset())
	}
	if d.FormatVersion == "" {
		return nil, damaged("it has no format_version, so it is not a plan document")
	}
	if d.FormatVersion != DocumentFormat {
		return nil, fmt.Errorf("plan: this is a plan of format %q; this pipe reads format %s. Make the plan again with this pipe", d.FormatVersion, DocumentFormat)
	}
	if d.Saved == nil {
		return nil, errors.New("plan: this is a plan printed by -json, not saved with -out; it lacks what apply needs to check it. Save one with pipe plan -out=FILE")
	}
	if reason := d.check(); reason != "" {
		return nil, damaged("%s", reason)
	}
	d.Digest = Digest(b)
	return &d, nil
}

// jsonProblem says where decoding a plan of n bytes failed.
func jsonProblem(err error, n int) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("it ends in the middle of the document, after %d bytes", n)
	case errors.As(err, &syntax):
		return fmt.Sprintf("it is not valid JSON at byte %d (%v)", syntax.Offset, syntax)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s holds a %s, which a plan never has there", typ.Field, typ.Value)
	}
	return err.Error()
}

// check returns what is wrong in a decoded saved plan, or "".
func (d *Document) check() string {
	s := d.Saved
	switch {
	case s.Path == "":
		return "saved.path, the pipeline folder, is empty"
	case s.Store == "":
		return "saved.store is empty"
	case len(s.Sources) == 0:
		return "saved.sources lists no pipeline file"
	}
	for _, name := range sortedKeys(s.Sources) {
		if !validDigest(s.Sources[name]) {
			return fmt.Sprintf("the digest of pipeline file %s is not sha256:<64 hex digits>", clip(name))
		}
	}
	for _, name := range sortedKeys(s.Variables) {
		v := s.Variables[name]
		if _, ok := v.Decode(); !ok && (v.Value != nil || !validHex64(v.SensitiveHMAC)) {
			return fmt.Sprintf("the value of variable %s does not decode as its type", clip(name))
		}
	}
	for _, st := range d.Steps {
		if _, err := config.ParseStepAddr(st.Address); err != nil {
			return fmt.Sprintf("step %s is not a step address", clip(st.Address))
		}
		if st.Action != Run && st.Action != Cached {
			return fmt.Sprintf("step %s has the action %s, neither run nor cached", clip(st.Address), clip(string(st.Action)))
		}
		if st.Key != "" && !validHex64(st.Key) {
			return fmt.Sprintf("the key of step %s is not 64 hex digits", clip(st.Address))
		}
	}
	for _, a := range append(append([]string{}, d.Targets...), d.Replace...) {
		if _, err := config.ParseStepAddr(a); err != nil {
			return fmt.Sprintf("%s in targets or replace is not a step address", clip(a))
		}
	}
	return ""
}

// maxClip is how much of a name or a value from a damaged plan its error
// quotes.
const maxClip = 80

// clip quotes s for an error about a damaged plan: a damaged file can
// hold anything, and the error must not dump it.
func clip(s string) string { return diagfmt.Clip(s, maxClip) }

func validDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	return ok && validHex64(h)
}

func validHex64(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckDigest refuses a plan whose digest is not want, the digest of the
// plan that was reviewed ("sha256:…", as plan -out, show and the
// pull-request comment print it).
func (d *Document) CheckDigest(path, want string) error {
	if !validDigest(want) {
		return fmt.Errorf("plan: -plan-digest=%s is not sha256: and 64 lowercase hex digits, as pipe plan -out and pipe show print it", want)
	}
	if d.Digest != want {
		return fmt.Errorf("plan: %s has the digest %s, not %s: it is not the plan that was reviewed. Apply the reviewed plan file, or make a new plan and have it reviewed", path, d.Digest, want)
	}
	return nil
}

// Moved lists how the saved plan would apply elsewhere than this apply
// resolves by itself: to another store than storeURL (resolved from
// -store, PIPE_STORE, settings.store or the default, as a plan would be
// now), or to a pipeline folder dir outside wd, the folder apply runs
// in. Folders are compared with symbolic links resolved. An empty list
// means the plan applies here.
func (s *Saved) Moved(storeURL, dir, wd string) []string {
	var problems []string
	if s.Store != storeURL {
		problems = append(problems, fmt.Sprintf("it was made against the store %s, but this apply resolves the store to %s", s.Store, storeURL))
	}
	if !within(dir, wd) {
		problems = append(problems, fmt.Sprintf("it applies to the pipeline folder %s, which is not %s or a folder inside it", dir, wd))
	}
	return problems
}

// within reports whether path is root or inside it, once both are
// absolute and free of symbolic links.
func within(path, root string) bool {
	real := func(p string) string {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		return p
	}
	rel, err := filepath.Rel(real(root), real(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
