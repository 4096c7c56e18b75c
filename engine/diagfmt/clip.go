package diagfmt

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Clip quotes text pipe did not write (a request's path, a name read from
// a damaged file) for an error message: at most max bytes of it, cut on a
// character boundary, with how much was left out, so that an error can
// never dump what it quotes.
func Clip(s string, max int) string {
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes more)", strconv.Quote(s[:cut]), len(s)-cut)
}
