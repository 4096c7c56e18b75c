package load

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/zclconf/go-cty/cty"
)

// labelValue is a positive or negative label as configured. A string
// matches a cell's text exactly; a number matches any cell that parses as
// the same number ("1", "1.0", an integer column's 1); a bool matches
// true/false in any of strconv.ParseBool's spellings ("true", "True",
// "1", ...) or a boolean column.
type labelValue struct {
	kind int // labelString, labelNumber, labelBool
	s    string
	f    float64
	b    bool
}

const (
	labelString = iota
	labelNumber
	labelBool
)

func newLabelValue(v cty.Value) (labelValue, error) {
	switch v.Type() {
	case cty.String:
		if v.AsString() == "" {
			return labelValue{}, fmt.Errorf("the label value is empty; name the value of the label column, e.g. \"private\" or 1")
		}
		return labelValue{kind: labelString, s: v.AsString()}, nil
	case cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return labelValue{kind: labelNumber, f: f, s: v.AsBigFloat().Text('g', -1)}, nil
	case cty.Bool:
		return labelValue{kind: labelBool, b: v.True(), s: strconv.FormatBool(v.True())}, nil
	}
	return labelValue{}, fmt.Errorf("a label value must be a string, number or bool, not %s", v.Type().FriendlyName())
}

func (l labelValue) String() string {
	if l.kind == labelString {
		return strconv.Quote(l.s)
	}
	return l.s
}

// matches reports whether a cell's text means this value.
func (l labelValue) matches(cell []byte) bool {
	switch l.kind {
	case labelString:
		return string(cell) == l.s
	case labelNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(cell)), 64)
		return err == nil && f == l.f
	default:
		b, err := strconv.ParseBool(strings.TrimSpace(string(cell)))
		return err == nil && b == l.b
	}
}

// labeler maps label cells to classes. Without negative, it also
// gathers the goroutines' tallies of the values other than the positive
// one (see labelTally).
type labeler struct {
	positive labelValue
	negative *labelValue

	mu     sync.Mutex
	others map[string]*labelSeen
}

// class returns the class of a label cell, or a reason it has none.
// Without negative, a value other than the positive one is counted in
// tally, at table row row and the file's row fileRow.
func (l *labeler) class(cell []byte, tally *labelTally, row int, file string, fileRow int64) (uint8, string) {
	if len(cell) == 0 {
		return 0, "empty label"
	}
	if l.positive.matches(cell) {
		return 1, ""
	}
	if l.negative == nil {
		tally.note(cell, row, file, fileRow)
		return 0, ""
	}
	if l.negative.matches(cell) {
		return 0, ""
	}
	return 0, fmt.Sprintf("label %s is neither the positive %s nor the negative %s", quoteCell(cell), l.positive, l.negative)
}

// quoteCell quotes a cell for a message, cut short when long.
func quoteCell(cell []byte) string {
	const max = 40
	if len(cell) > max {
		return strconv.Quote(string(cell[:max])) + "…"
	}
	return strconv.Quote(string(cell))
}

// labelTally counts, when negative is not set, the label values other
// than the positive one, and where each is first seen: a second such
// value is a third class, which load refuses rather than fold it into
// class 0. Each goroutine keeps its own tally; the labeler merges them.
type labelTally struct {
	last  string // the value of lastS, the one seen last
	lastS *labelSeen
	m     map[string]*labelSeen
}

// labelSeen is one label value: how many rows hold it, and the first of
// them (row is the table's row, which orders rows across files).
type labelSeen struct {
	n       int
	row     int
	file    string
	fileRow int64
}

// note counts cell, a value other than the positive one, at table row
// row (file's row fileRow, as messages count them).
func (lt *labelTally) note(cell []byte, row int, file string, fileRow int64) {
	s := lt.lastS
	if s == nil || string(cell) != lt.last {
		if lt.m == nil {
			lt.m = map[string]*labelSeen{}
		}
		if s = lt.m[string(cell)]; s == nil {
			s = &labelSeen{row: row, file: file, fileRow: fileRow}
			lt.m[string(cell)] = s
		}
		lt.last, lt.lastS = string(cell), s
	}
	s.n++
	if row < s.row {
		s.row, s.file, s.fileRow = row, file, fileRow
	}
}

// merge adds a goroutine's tally to the labeler's.
func (l *labeler) merge(lt *labelTally) {
	if len(lt.m) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.others == nil {
		l.others = map[string]*labelSeen{}
	}
	for v, s := range lt.m {
		o := l.others[v]
		if o == nil {
			c := *s
			l.others[v] = &c
			continue
		}
		o.n += s.n
		if s.row < o.row {
			o.row, o.file, o.fileRow = s.row, s.file, s.fileRow
		}
	}
}

// maxClassesShown caps the classes a third-class error lists.
const maxClassesShown = 10

// thirdClass returns an error when the rows hold more than one label
// value besides the positive one (and negative is not set): it lists the
// classes with their counts, most rows first, names the first row of the
// third class, and says how to map them. positives is the number of
// positive rows.
func (l *labeler) thirdClass(label string, positives int) error {
	if len(l.others) < 2 {
		return nil
	}
	type class struct {
		value string
		labelSeen
	}
	classes := make([]class, 0, len(l.others))
	for v, s := range l.others {
		classes = append(classes, class{v, *s})
	}
	// The first value seen in file order is taken for class 0; the
	// second is the first of a third class.
	slices.SortFunc(classes, func(a, b class) int { return cmp.Compare(a.row, b.row) })
	negative, third := classes[0], classes[1]
	slices.SortFunc(classes, func(a, b class) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.value, b.value))
	})
	list := []string{fmt.Sprintf("%s (%s, the positive)", l.positive, rowCount(positives))}
	for i, c := range classes {
		if i == maxClassesShown {
			list = append(list, fmt.Sprintf("and %d more", len(classes)-i))
			break
		}
		list = append(list, fmt.Sprintf("%s (%s)", quoteCell([]byte(c.value)), rowCount(c.n)))
	}
	return fmt.Errorf("load: %s row %d, column %s: label %s is a third class: the column holds %d classes, %s. "+
		"A classifier here has two: set negative = %s to make that value class 0 and every other one invalid "+
		"(with on_invalid = \"skip\" their rows are dropped), or map the labels to two values in the files",
		third.file, third.fileRow, label, quoteCell([]byte(third.value)), len(classes)+1, strings.Join(list, ", "), quoteCell([]byte(negative.value)))
}

func rowCount(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}
