package arguments

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// checkErrors parses each command line, which must fail with an *Error
// that has the message, the hint and the usage flag given.
func checkErrors(t *testing.T, parse func([]string) error, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		err := parse(c.args)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: err = %v, want an *Error", c.args, err)
			continue
		}
		if e.Msg != c.msg || e.Try != c.try || e.Usage != c.usage {
			t.Errorf("%q: got %+v, want {Msg:%s Try:%s Usage:%v}", c.args, *e, c.msg, c.try, c.usage)
		}
	}
	if err := parse([]string{"-h"}); !errors.Is(err, ErrHelp) {
		t.Errorf("-h: err = %v, want ErrHelp", err)
	}
}

type errorCase struct {
	args  []string
	msg   string
	try   string
	usage bool
}

func itoa(n int) string { return strconv.Itoa(n) }

func splitArgs(s string) []string { return strings.Fields(s) }
