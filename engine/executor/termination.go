package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// Exit codes of `pipe step exec` that a remote executor must not retry
// (Kubernetes: a podFailurePolicy rule with action FailJob). Every other
// non-zero code is a failure of the infrastructure, worth a retry.
const (
	// ExitStepFailed: the step itself failed (bad data, one class, a
	// require that is false); the termination message holds its error.
	ExitStepFailed = 4
	// ExitRefused: the worker refused the step-input document (built by
	// another pipe version, a key that does not match its content, a
	// document missing or corrupt in the store).
	ExitRefused = 5
)

// TerminationFormat identifies a Termination's encoding.
const TerminationFormat = "pipe.termination/v1"

// MaxTermination is the most bytes a termination message holds
// (Kubernetes keeps 4096 of a container's).
const MaxTermination = 4096

// Termination is what a worker writes to its termination message
// (/dev/termination-log) when it exits with ExitStepFailed or
// ExitRefused, as JSON: the error as the coordinator reports it.
type Termination struct {
	Format string `json:"format"`
	// Step is the step's address.
	Step string `json:"step"`
	// Refused is true for ExitRefused.
	Refused bool `json:"refused,omitempty"`
	// Message is the error's text, when it is not about an attribute.
	Message string `json:"message,omitempty"`
	// Summary, Detail and Path are set when the step's error is about
	// one of its attributes (steps.AttrError), so that the coordinator
	// points at the same expression as a local apply.
	Summary string     `json:"summary,omitempty"`
	Detail  string     `json:"detail,omitempty"`
	Path    []PathStep `json:"path,omitempty"`
}

// PathStep is one step of an attribute path: an attribute name, a map
// key or a list index.
type PathStep struct {
	Attr  string  `json:"attr,omitempty"`
	Key   *string `json:"key,omitempty"`
	Index *int64  `json:"index,omitempty"`
}

// NewTermination describes err, the error of the step at address step;
// refused says the worker refused the document rather than the step
// failing.
func NewTermination(step string, err error, refused bool) *Termination {
	t := &Termination{Format: TerminationFormat, Step: step, Refused: refused, Message: err.Error()}
	var ae *steps.AttrError
	if !refused && errors.As(err, &ae) {
		t.Message, t.Summary, t.Detail = "", ae.Summary, ae.Detail
		for _, s := range ae.Path {
			switch s := s.(type) {
			case cty.GetAttrStep:
				t.Path = append(t.Path, PathStep{Attr: s.Name})
			case cty.IndexStep:
				switch {
				case s.Key.Type() == cty.String && s.Key.IsKnown():
					k := s.Key.AsString()
					t.Path = append(t.Path, PathStep{Key: &k})
				case s.Key.Type() == cty.Number && s.Key.IsKnown():
					i, _ := s.Key.AsBigFloat().Int64()
					t.Path = append(t.Path, PathStep{Index: &i})
				}
			}
		}
	}
	return t
}

// Encode returns t as JSON of at most MaxTermination bytes, shortening
// the longer of the message and the detail while it is too long.
func (t *Termination) Encode() []byte {
	c := *t
	b, _ := json.Marshal(&c)
	for len(b) > MaxTermination {
		over := len(b) - MaxTermination + len("…")
		if len(c.Detail) > len(c.Message) {
			c.Detail = shorten(c.Detail, len(c.Detail)-over)
		} else {
			c.Message = shorten(c.Message, len(c.Message)-over)
		}
		b, _ = json.Marshal(&c)
	}
	return b
}

// shorten cuts s to at most n bytes on a rune boundary, ending it with an
// ellipsis.
func shorten(s string, n int) string {
	if n >= len(s) {
		return s
	}
	n = max(0, n)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Err is the error the termination message reports: a *StepError, whose
// error is a *steps.AttrError when the step's was, or a *RefusedError.
func (t *Termination) Err() error {
	if t.Refused {
		return &RefusedError{Step: t.Step, Reason: t.Message}
	}
	err := errors.New(t.Message)
	if t.Summary != "" {
		ae := &steps.AttrError{Summary: t.Summary, Detail: t.Detail}
		for _, s := range t.Path {
			switch {
			case s.Key != nil:
				ae.Path = ae.Path.Index(cty.StringVal(*s.Key))
			case s.Index != nil:
				ae.Path = ae.Path.Index(cty.NumberVal(new(big.Float).SetInt64(*s.Index)))
			default:
				ae.Path = ae.Path.GetAttr(s.Attr)
			}
		}
		err = ae
	}
	return &StepError{Step: t.Step, Err: err}
}

// ParseTermination reads a worker's termination message; its Err is the
// error to report.
func ParseTermination(msg []byte) (*Termination, error) {
	var t Termination
	if err := json.Unmarshal(msg, &t); err != nil || t.Format != TerminationFormat {
		return nil, fmt.Errorf("executor: the worker's termination message is not a pipe termination message (%q): was the worker built from another pipe version?", shorten(strings.TrimSpace(string(msg)), 200))
	}
	return &t, nil
}

// StepError is a step that failed by itself: its kind returned an error
// (bad data, one class, a require that is false). A retry cannot mend it.
type StepError struct {
	// Step is the step's address.
	Step string
	// Err is the step's error, a *steps.AttrError when it is about an
	// attribute: apply reports it as a local failure.
	Err error
}

func (e *StepError) Error() string { return e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// RefusedError is a worker that refused its step-input document.
type RefusedError struct {
	Step   string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the worker refused the step-input document of %s: %s", e.Step, e.Reason)
}

// Exited is the error to report for a worker that exited with code:
// for ExitStepFailed and ExitRefused, the error its termination message
// holds; for another code, a failure of the infrastructure, naming
// where the worker ran. It returns nil for code 0.
func Exited(task *Task, where string, code int, termination []byte) error {
	switch code {
	case 0:
		return nil
	case ExitStepFailed, ExitRefused:
		t, err := ParseTermination(termination)
		if err != nil {
			return fmt.Errorf("executor: %s: the worker %s exited with status %d: %w", task.Step, where, code, err)
		}
		if t.Step == "" {
			t.Step = task.Step
		}
		return t.Err()
	}
	return fmt.Errorf("executor: %s: the worker %s exited with status %d; its log above says why. A failure of the machine or the store is retried (resources { retries }); apply again to resume from the cache", task.Step, where, code)
}
