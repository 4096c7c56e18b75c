package load

import (
	"fmt"
	"strings"
)

// table holds the rows of every input file, in file order, while they
// are read. Readers fill disjoint row ranges concurrently; a row is kept
// unless its status says otherwise.
type table struct {
	dim    int
	x      []float32 // n*dim, row-major
	y      []uint8
	w      []float64 // nil without a weight column
	ids    []string  // nil without an id column
	texts  []string  // nil without a text column
	groups []string  // nil without split.group (may alias ids or texts)
	status []uint8   // rowOK, rowBlank or rowInvalid
}

const (
	rowOK uint8 = iota
	rowBlank
	rowInvalid
)

func newTable(c *config, n int) *table {
	t := newScalarTable(c, n)
	t.x = make([]float32, n*c.dim)
	return t
}

// newScalarTable is a table without the feature matrix, whose rows a
// stream writes as it reads them (see streamParquet).
func newScalarTable(c *config, n int) *table {
	t := &table{dim: c.dim, y: make([]uint8, n), status: make([]uint8, n)}
	if c.weight != "" {
		t.w = make([]float64, n)
	}
	if c.id != "" {
		t.ids = make([]string, n)
	}
	if c.text != "" {
		t.texts = make([]string, n)
	}
	if c.split != nil && c.split.group != "" {
		switch c.split.group {
		case c.id:
			t.groups = t.ids
		case c.text:
			t.groups = t.texts
		default:
			t.groups = make([]string, n)
		}
	}
	return t
}

func (t *table) row(i int) []float32 { return t.x[i*t.dim : (i+1)*t.dim : (i+1)*t.dim] }

// compact moves the kept rows to the front, in order, and truncates every
// column. It returns the number of rows kept.
func (t *table) compact() int {
	k := 0
	for i, s := range t.status {
		if s != rowOK {
			continue
		}
		if k != i {
			copy(t.row(k), t.row(i))
			t.y[k] = t.y[i]
			if t.w != nil {
				t.w[k] = t.w[i]
			}
			if t.ids != nil {
				t.ids[k] = t.ids[i]
			}
			if t.texts != nil {
				t.texts[k] = t.texts[i]
			}
			if t.groups != nil && !aliases(t.groups, t.ids) && !aliases(t.groups, t.texts) {
				t.groups[k] = t.groups[i]
			}
		}
		t.status[k] = rowOK
		k++
	}
	t.x = t.x[:k*t.dim]
	t.y = t.y[:k]
	t.status = t.status[:k]
	if t.w != nil {
		t.w = t.w[:k]
	}
	if t.ids != nil {
		t.ids = t.ids[:k]
	}
	if t.texts != nil {
		t.texts = t.texts[:k]
	}
	if t.groups != nil {
		t.groups = t.groups[:k]
	}
	return k
}

func aliases(a, b []string) bool {
	return len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
}

// rowError is one invalid row: the file as the user named it, the row as
// a person counts it (see the package documentation), the column, and
// what is wrong.
type rowError struct {
	file   string
	row    int64
	column string
	msg    string
}

func (e rowError) String() string {
	if e.column == "" {
		return fmt.Sprintf("%s row %d: %s", e.file, e.row, e.msg)
	}
	return fmt.Sprintf("%s row %d, column %s: %s", e.file, e.row, e.column, e.msg)
}

// maxListed is how many invalid rows an error or warning lists.
const maxListed = 10

// rowErrors collects invalid rows in file order: the first maxListed in
// full, the rest counted.
type rowErrors struct {
	first []rowError
	count int
	// fatal is set by a problem after which the rest of the file cannot
	// be trusted (broken CSV quoting, an unreadable Parquet page).
	fatal error
}

func (r *rowErrors) add(e rowError) {
	if len(r.first) < maxListed {
		r.first = append(r.first, e)
	}
	r.count++
}

// merge appends o's rows, which come after r's.
func (r *rowErrors) merge(o *rowErrors) {
	if r.fatal != nil {
		return
	}
	for _, e := range o.first {
		if len(r.first) < maxListed {
			r.first = append(r.first, e)
		}
	}
	r.count += o.count
	r.fatal = o.fatal
}

// list renders the listed rows, one per line, plus "and N more".
func (r *rowErrors) list() string {
	var b strings.Builder
	for _, e := range r.first {
		b.WriteString("\n  ")
		b.WriteString(e.String())
	}
	if more := r.count - len(r.first); more > 0 {
		fmt.Fprintf(&b, "\n  and %d more", more)
	}
	return b.String()
}
