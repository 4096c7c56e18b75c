package arguments

import (
	"flag"
	"fmt"
)

// ErrHelp is returned by a Parse function when the arguments ask for the
// command's help (-h, -help).
var ErrHelp = flag.ErrHelp

// Error is a command line a command cannot run: a bad flag or value, or
// too many or too few arguments.
type Error struct {
	// Msg says what is wrong, in a sentence without "Error:".
	Msg string
	// Try, when not empty, says what to type instead.
	Try string
	// Usage is true when the command's usage should follow the message.
	Usage bool
}

func (e *Error) Error() string { return e.Msg }

// errorf is an Error with a suggestion of what to try.
func errorf(try string, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Try: try}
}

// usageErrorf is an Error followed by the command's usage.
func usageErrorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Usage: true}
}
