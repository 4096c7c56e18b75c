package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pipe-ml/pipe/steps"
)

// csvBlockSize is the size of the pieces a CSV file is cut into (at
// record boundaries) and parsed in parallel. It changes no result.
var csvBlockSize int64 = 4 << 20

// csvFile is a CSV file whose header has been read and whose records have
// been counted and cut into blocks.
type csvFile struct {
	src   *source
	f     *os.File
	delim byte
	roles []colRole
	// runs[c] is, for a feature column c, how many columns from c on
	// hold consecutive features (j, j+1, ...), the last excluded: the
	// parser's fast loop reads them without looking up roles.
	runs   []int32
	names  []string
	blocks []csvBlock
	rows   int // data records, blank lines included
}

// csvBlock is a run of whole records: bytes [off, end) of the file,
// holding rows data records starting with data record first (0-based).
type csvBlock struct {
	off, end int64
	first    int
	rows     int
}

// colRole says what a column is for.
type colRole struct {
	kind uint8
	j    int32 // feature index for roleFeature
}

const (
	roleSkip uint8 = iota
	roleFeature
	roleVector
	roleLabel
	roleID
	roleText
	roleWeight
	roleGroup
)

// openCSV reads the header of a CSV file, maps its columns and indexes
// its records.
func openCSV(src *source, c *config, par int) (_ *csvFile, err error) {
	f, err := os.Open(src.abs)
	if err != nil {
		return nil, fmt.Errorf("load: %s: %w", src.path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load: %s: %w", src.path, err)
	}
	size := st.Size()
	if size == 0 {
		return nil, fileErrorf(src, "the file is empty", "Point path at files with a header row and data rows.")
	}
	cf := &csvFile{src: src, f: f, delim: c.delimiter}
	names, start, err := cf.readHeader(size)
	if err != nil {
		return nil, err
	}
	if err := checkDelimiter(src, names, c.delimiter); err != nil {
		return nil, err
	}
	if err := cf.mapColumns(names, c); err != nil {
		return nil, err
	}
	if err := cf.index(start, size, par); err != nil {
		return nil, err
	}
	if cf.rows == 0 {
		return nil, fileErrorf(src, "the file has a header but no data rows", "Point path at files that hold data rows.")
	}
	return cf, nil
}

// readHeader returns the header's fields and the offset of row 2.
func (cf *csvFile) readHeader(size int64) ([]string, int64, error) {
	n := int64(64 << 10)
	for {
		n = min(n, size)
		buf := make([]byte, n)
		if _, err := cf.f.ReadAt(buf, 0); err != nil && err != io.EOF {
			return nil, 0, fmt.Errorf("load: %s: %w", cf.src.path, err)
		}
		bom := 0
		if bytes.HasPrefix(buf, []byte("\xef\xbb\xbf")) {
			bom = 3
		}
		p := csvParser{delim: cf.delim}
		var names []string
		i := bom
		complete := false
		for i < len(buf) {
			field, next, term, problem := p.field(buf, i)
			if problem == probUnclosed && n < size {
				break // the quoted name goes on past buf
			}
			if problem != "" {
				return nil, 0, fileErrorf(cf.src, fmt.Sprintf("row 1 (the header): %s", problem),
					"Fix the header row: names separated by the delimiter, quoted with \" when they contain one")
			}
			if term == 0 && n < size {
				break // the header goes on past buf
			}
			names = append(names, string(field))
			i = next
			if term != cf.delim {
				complete = true
				break
			}
		}
		if complete || n == size {
			if len(names) == 0 || len(names) == 1 && names[0] == "" {
				return nil, 0, fileErrorf(cf.src, "row 1 is empty; the file has no header", "The first row must name the columns.")
			}
			return names, int64(i), nil
		}
		n *= 4
	}
}

// otherDelimiters are the delimiters checkDelimiter recognises in a
// header read as one column, in the order it tries them.
var otherDelimiters = []byte{';', '\t', '|', ','}

// checkDelimiter reports a header read as a single column that another
// delimiter would split: a file of semicolon- or tab-separated values
// read with the default comma.
func checkDelimiter(src *source, names []string, delim byte) error {
	if len(names) != 1 {
		return nil
	}
	for _, d := range otherDelimiters {
		if d == delim || strings.Count(names[0], string(d)) == 0 {
			continue
		}
		name := strconv.QuoteToASCII(string(d))
		return steps.Errorf(steps.AttrPath("delimiter"), "Wrong CSV delimiter",
			"%s row 1 (the header) is one column with the delimiter %s, %s: the file seems to use %s as delimiter. Set delimiter = %s in this load block.",
			src.path, strconv.QuoteToASCII(string(delim)), quoteCell([]byte(names[0])), name, name)
	}
	return nil
}

// mapColumns gives each header column its role and checks that every
// configured column is there exactly once.
func (cf *csvFile) mapColumns(names []string, c *config) error {
	cf.names = names
	cf.roles = make([]colRole, len(names))
	found := map[string]int{}
	var seenFeature []bool
	if c.prefix != "" {
		seenFeature = make([]bool, c.dim)
	}
	for i, name := range names {
		kind := roleSkip
		switch {
		case name == c.label:
			kind = roleLabel
		case c.column != "" && name == c.column:
			kind = roleVector
		case c.id != "" && name == c.id:
			kind = roleID
		case c.text != "" && name == c.text:
			kind = roleText
		case c.weight != "" && name == c.weight:
			kind = roleWeight
		case c.split != nil && c.split.group != "" && name == c.split.group:
			kind = roleGroup
		case c.prefix != "":
			j, ok := featureIndex(name, c.prefix)
			if !ok {
				break
			}
			if j >= c.dim {
				return fileErrorf(cf.src, fmt.Sprintf("column %s is beyond features.dim = %d: the file's embedding is wider", name, c.dim),
					fmt.Sprintf("Set features.dim to the number of %s columns (%d here).", c.prefix, countPrefixed(names, c.prefix)))
			}
			if seenFeature[j] {
				return fileErrorf(cf.src, fmt.Sprintf("column %s appears twice in the header", name), "Give every column its own name.")
			}
			seenFeature[j] = true
			cf.roles[i] = colRole{kind: roleFeature, j: int32(j)}
			continue
		}
		if kind == roleSkip {
			continue
		}
		if _, dup := found[name]; dup {
			return fileErrorf(cf.src, fmt.Sprintf("column %s appears twice in the header", name), "Give every column its own name.")
		}
		found[name] = i
		cf.roles[i] = colRole{kind: kind}
	}
	cf.runs = make([]int32, len(names))
	for col := len(names) - 2; col >= 0; col-- {
		r, next := cf.roles[col], cf.roles[col+1]
		if r.kind == roleFeature && next.kind == roleFeature && next.j == r.j+1 {
			cf.runs[col] = cf.runs[col+1] + 1
		}
	}
	return checkColumns(cf.src, c, names, found, seenFeature)
}

// featureIndex parses a wide feature column name: prefix then a decimal
// index without leading zeros.
func featureIndex(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" || len(rest) > 1 && rest[0] == '0' {
		return 0, false
	}
	j, err := strconv.Atoi(rest)
	return j, err == nil && j >= 0
}

func countPrefixed(names []string, prefix string) int {
	n := 0
	for _, name := range names {
		if _, ok := featureIndex(name, prefix); ok {
			n++
		}
	}
	return n
}

// checkColumns reports the first configured column a file lacks.
func checkColumns(src *source, c *config, names []string, found map[string]int, seenFeature []bool) error {
	want := []struct{ col, attr string }{{c.label, "label"}, {c.column, "features.column"}, {c.id, "id"},
		{c.text, "text"}, {c.weight, "weight"}}
	if c.split != nil {
		want = append(want, struct{ col, attr string }{c.split.group, "split.group"})
	}
	for _, w := range want {
		if w.col == "" {
			continue
		}
		if _, ok := found[w.col]; !ok {
			return fileErrorf(src, fmt.Sprintf("no column %q (set by %s); the columns are %s", w.col, w.attr, listNames(names)),
				fmt.Sprintf("Set %s to one of the file's columns.", w.attr))
		}
	}
	if seenFeature != nil {
		missing := 0
		first := -1
		for j, ok := range seenFeature {
			if !ok {
				missing++
				if first < 0 {
					first = j
				}
			}
		}
		if missing > 0 {
			have := countPrefixed(names, c.prefix)
			return fileErrorf(src, fmt.Sprintf("no column %s%d: %d of the %d feature columns %s0..%s%d are missing (the file has %d)",
				c.prefix, first, missing, c.dim, c.prefix, c.prefix, c.dim-1, have),
				fmt.Sprintf("Check features.prefix, and set features.dim to the embedding width (%d columns start with %q here).", have, c.prefix))
		}
	}
	return nil
}

func listNames(names []string) string {
	const max = 8
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, ", … (%d in all)", len(names))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	return b.String()
}

// index counts the data records from start and cuts them into blocks of
// about csvBlockSize bytes. A record ends at a line break outside quotes;
// since RFC 4180 escapes a quote inside a quoted field by doubling it,
// "inside quotes" is exactly "after an odd number of quotes". (A stray
// quote in an unquoted field breaks that count; the parser reports it as
// fatal.)
//
// The file is scanned in fixed chunks, in parallel: without knowing
// whether a chunk starts inside quotes, each chunk counts its line breaks
// for both cases at once (between consecutive quotes the case alternates)
// and notes its quote parity. A sequential pass over the chunks then
// picks, for each, the case that holds and cuts a block at its last
// record end, exactly as one sequential scan would.
func (cf *csvFile) index(start, size int64, par int) error {
	type chunkStats struct {
		count [2]int // line breaks outside quotes, starting outside (0) or inside (1) quotes
		last  [2]int // offset of the last of them in the chunk, or -1
		odd   bool   // an odd number of quotes
	}
	n := int((size - start + csvBlockSize - 1) / csvBlockSize)
	stats := make([]chunkStats, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var readErr error
	for w := 0; w < min(par, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, min(csvBlockSize, size-start))
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				off := start + int64(k)*csvBlockSize
				chunk := buf[:min(csvBlockSize, size-off)]
				if _, err := cf.f.ReadAt(chunk, off); err != nil && err != io.EOF {
					mu.Lock()
					readErr = err
					mu.Unlock()
					return
				}
				st := chunkStats{last: [2]int{-1, -1}}
				run := 0 // runs between quotes alternate between the two cases
				for j := 0; ; run++ {
					q := bytes.IndexByte(chunk[j:], '"')
					seg := chunk[j:]
					if q >= 0 {
						seg = seg[:q]
					}
					if c := bytes.Count(seg, []byte{'\n'}); c > 0 {
						st.count[run%2] += c
						st.last[run%2] = j + bytes.LastIndexByte(seg, '\n')
					}
					if q < 0 {
						break
					}
					j += q + 1
				}
				st.odd = run%2 == 1
				stats[k] = st
			}
		}()
	}
	wg.Wait()
	if readErr != nil {
		return fmt.Errorf("load: %s: %w", cf.src.path, readErr)
	}
	inQuote := 0
	blockStart, first := start, 0
	for k, st := range stats {
		off := start + int64(k)*csvBlockSize
		if last := st.last[inQuote]; last >= 0 {
			end := off + int64(last) + 1
			cf.blocks = append(cf.blocks, csvBlock{off: blockStart, end: end, first: first, rows: st.count[inQuote]})
			first += st.count[inQuote]
			blockStart = end
		}
		if st.odd {
			inQuote ^= 1
		}
	}
	if blockStart < size {
		cf.blocks = append(cf.blocks, csvBlock{off: blockStart, end: size, first: first, rows: 1})
		first++
	}
	cf.rows = first
	return nil
}

// read parses every block into t from row base on, with up to par
// goroutines, and returns the invalid rows in file order.
func (cf *csvFile) read(ctx context.Context, t *table, base int, lab *labeler, par int, progress func(int64)) (*rowErrors, error) {
	results := make([]rowErrors, len(cf.blocks))
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for w := 0; w < min(par, len(cf.blocks)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &csvParser{file: cf, delim: cf.delim, lab: lab}
			defer lab.merge(&p.tally)
			var buf []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cf.blocks) || ctx.Err() != nil {
					return
				}
				b := cf.blocks[i]
				n := int(b.end - b.off)
				if cap(buf) < n {
					buf = make([]byte, n)
				}
				buf = buf[:n]
				if _, err := cf.f.ReadAt(buf, b.off); err != nil && err != io.EOF {
					mu.Lock()
					firstErr = fmt.Errorf("load: %s: %w", cf.src.path, err)
					mu.Unlock()
					return
				}
				p.parseBlock(buf, b, t, base, &results[i])
				progress(int64(n))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all := &rowErrors{}
	for i := range results {
		all.merge(&results[i])
	}
	return all, nil
}

// Problems with CSV quoting. The first two are fatal: they break the
// quote count that cuts the file into records.
const (
	probBareQuote  = "a quote (\") inside an unquoted field"
	probUnclosed   = "a quoted field is not closed (no matching \")"
	probAfterQuote = "characters after the closing quote of a quoted field"
)

// csvParser parses the records of one block. Each goroutine has its own.
type csvParser struct {
	file    *csvFile
	delim   byte
	lab     *labeler
	tally   labelTally
	rowNum  int64 // the record's row in the file, as messages count
	scratch []byte
}

// field reads the field that starts at b[i]. It returns its content
// (unquoted and unescaped; it may alias b or the parser's scratch space,
// valid until the next call), the index after the field's terminator, the
// terminator (the delimiter, '\n', or 0 at the end of b), and a problem.
// A problem with fatal set means the quoting is broken and later records
// cannot be trusted.
func (p *csvParser) field(b []byte, i int) (field []byte, next int, term byte, problem string) {
	if i < len(b) && b[i] == '"' {
		return p.quotedField(b, i)
	}
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case p.delim, '\n':
			f := b[i:j]
			if c == '\n' && len(f) > 0 && f[len(f)-1] == '\r' {
				f = f[:len(f)-1]
			}
			return f, j + 1, c, ""
		case '"':
			return nil, j, 0, probBareQuote
		}
	}
	f := b[i:]
	if len(f) > 0 && f[len(f)-1] == '\r' {
		f = f[:len(f)-1]
	}
	return f, len(b), 0, ""
}

func (p *csvParser) quotedField(b []byte, i int) ([]byte, int, byte, string) {
	j := i + 1
	var out []byte
	escaped := false
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return nil, len(b), 0, probUnclosed
		}
		if j+k+1 < len(b) && b[j+k+1] == '"' {
			if !escaped {
				out = append(p.scratch[:0], b[i+1:j+k+1]...)
				escaped = true
			} else {
				out = append(out, b[j:j+k+1]...)
			}
			j += k + 2
			continue
		}
		var f []byte
		if escaped {
			out = append(out, b[j:j+k]...)
			p.scratch = out
			f = out
		} else {
			f = b[i+1 : j+k]
		}
		e := j + k + 1
		switch {
		case e == len(b):
			return f, e, 0, ""
		case b[e] == p.delim || b[e] == '\n':
			return f, e + 1, b[e], ""
		case b[e] == '\r' && e+1 < len(b) && b[e+1] == '\n':
			return f, e + 2, '\n', ""
		}
		return nil, e, 0, probAfterQuote
	}
}

// parseBlock parses the records of block blk (its bytes in buf) into t.
func (p *csvParser) parseBlock(buf []byte, blk csvBlock, t *table, base int, errs *rowErrors) {
	i := 0
	for r := 0; r < blk.rows; r++ {
		row := base + blk.first + r
		rowNum := int64(blk.first + r + 2) // the header is row 1
		if i >= len(buf) || buf[i] == '\n' || buf[i] == '\r' && i+1 < len(buf) && buf[i+1] == '\n' {
			t.status[row] = rowBlank
			if i < len(buf) && buf[i] == '\r' {
				i++
			}
			i++
			continue
		}
		var fatal bool
		i, fatal = p.parseRecord(buf, i, row, rowNum, t, errs)
		if fatal {
			return
		}
	}
}

// parseRecord parses the record at buf[i] into row. It returns the index
// of the next record, and whether the block cannot go on.
func (p *csvParser) parseRecord(buf []byte, i, row int, rowNum int64, t *table, errs *rowErrors) (int, bool) {
	roles := p.file.roles
	ncols := len(roles)
	dim := t.dim
	p.rowNum = rowNum
	x := t.x[row*dim : (row+1)*dim]
	var problem rowError
	bad := func(col int, msg string) {
		if problem.msg == "" {
			problem = rowError{file: p.file.src.path, row: rowNum, msg: msg}
			if col < ncols {
				problem.column = p.file.names[col]
			}
		}
	}
	col := 0
	for ; ; col++ {
		role := colRole{}
		if col < ncols {
			role = roles[col]
		}
		if role.kind == roleFeature && col+1 < ncols && i < len(buf) {
			// The fastest path: a run of feature columns. Anything else
			// drops to the general path below, at the field that needs it.
			i, col = p.featureRun(buf, i, col, x)
			role = roles[col]
			if role.kind != roleFeature {
				col--
				continue
			}
		}
		if role.kind == roleFeature && i < len(buf) && buf[i] != '"' {
			// The fast path: a number followed by a terminator.
			if next, term, ok := p.featureField(buf, i, x, int(role.j)); ok {
				i = next
				if term == p.delim {
					continue
				}
				break
			}
		}
		field, next, term, msg := p.field(buf, i)
		if msg != "" {
			if msg != probAfterQuote {
				errs.add(rowError{file: p.file.src.path, row: rowNum, column: p.colName(col), msg: msg})
				errs.fatal = fmt.Errorf("%s row %d, column %s: %s", p.file.src.path, rowNum, p.colName(col), msg)
				return len(buf), true
			}
			// Text after a closing quote: skip to the next delimiter.
			bad(col, msg)
			next, term = p.skipField(buf, next, term)
			field = nil
		}
		i = next
		if col < ncols && msg == "" {
			if why := p.store(role, field, row, x, t); why != "" {
				bad(col, why)
			}
		}
		if term != p.delim {
			break
		}
	}
	if col+1 != ncols && problem.msg == "" {
		problem = p.fieldCountProblem(col+1, rowNum)
	}
	if problem.msg == "" {
		if j := firstNonFinite(x); j >= 0 {
			problem = rowError{file: p.file.src.path, row: rowNum, column: p.featureName(j), msg: fmt.Sprintf("%v is not a finite float32", x[j])}
		}
	}
	if problem.msg != "" {
		t.status[row] = rowInvalid
		errs.add(problem)
	}
	return i, false
}

// featureRun parses the run of feature columns that starts at column col
// (at buf[i]), each a number followed by the delimiter, into x for as
// long as they are. It returns the byte and the column it stopped at.
func (p *csvParser) featureRun(buf []byte, i, col int, x []float32) (int, int) {
	run := int(p.file.runs[col])
	j := int(p.file.roles[col].j)
	for k := 0; k < run; k++ {
		v, end, ok := parseFloat32(buf, i)
		if !ok || end >= len(buf) || buf[end] != p.delim {
			break
		}
		x[j+k] = v
		i = end + 1
		col++
	}
	return i, col
}

// featureField parses the number at buf[i] into x[j] when a terminator
// follows it (the delimiter, a line break or the end of buf), returning
// the index after the terminator and the terminator ('\n' for a line
// break, 0 at the end). ok is false when the field needs the general
// path; x[j] is then untouched.
func (p *csvParser) featureField(buf []byte, i int, x []float32, j int) (next int, term byte, ok bool) {
	v, end, ok := parseFloat32(buf, i)
	if !ok {
		return 0, 0, false
	}
	switch {
	case end == len(buf):
		x[j] = v
		return end, 0, true
	case buf[end] == p.delim || buf[end] == '\n':
		x[j] = v
		return end + 1, buf[end], true
	case buf[end] == '\r' && end+1 < len(buf) && buf[end+1] == '\n':
		x[j] = v
		return end + 2, '\n', true
	}
	return 0, 0, false
}

// skipField skips what is left of a field from buf[i] to the next
// delimiter or line break, returning the index after it and that
// terminator; at the end of buf, term is returned as it is.
func (p *csvParser) skipField(buf []byte, i int, term byte) (int, byte) {
	for i < len(buf) && buf[i] != p.delim && buf[i] != '\n' {
		i++
	}
	if i < len(buf) {
		return i + 1, buf[i]
	}
	return i, term
}

// store puts a field's value where its column's role says (x for the
// features, t for the rest of row), returning why it is invalid, "" when
// it is not.
func (p *csvParser) store(role colRole, field []byte, row int, x []float32, t *table) string {
	switch role.kind {
	case roleFeature:
		v, why := parseNumber32(field)
		if why == "" {
			x[role.j] = v
		}
		return why
	case roleVector:
		return parseVector(field, x)
	case roleLabel:
		y, why := p.lab.class(field, &p.tally, row, p.file.src.path, p.rowNum)
		t.y[row] = y
		return why
	case roleID:
		t.ids[row] = string(field)
	case roleText:
		t.texts[row] = string(field)
	case roleGroup:
		t.groups[row] = string(field)
	case roleWeight:
		w, why := parseWeight(field)
		t.w[row] = w
		return why
	}
	return ""
}

// fieldCountProblem is a record of fields fields where the header has
// another number. The message names the first column without a value, or
// the first field without a column. (The row-and-column form would point
// at one cell; a short or long record is the whole row.)
func (p *csvParser) fieldCountProblem(fields int, rowNum int64) rowError {
	ncols := len(p.file.roles)
	problem := rowError{file: p.file.src.path, row: rowNum,
		msg: fmt.Sprintf("the row has %d fields, the header has %d", fields, ncols)}
	if fields < ncols {
		problem.msg += fmt.Sprintf(" (no value for column %s", p.colName(fields))
		if fields+1 < ncols {
			problem.msg += " and after"
		}
		problem.msg += ")"
	} else {
		problem.msg += fmt.Sprintf(" (field %d is beyond the last column, %s)", ncols+1, p.colName(ncols-1))
	}
	return problem
}

func (p *csvParser) colName(col int) string {
	if col < len(p.file.names) {
		return p.file.names[col]
	}
	return fmt.Sprintf("#%d (beyond the header)", col+1)
}

// featureName names feature j for a message.
func (p *csvParser) featureName(j int) string {
	for col, r := range p.file.roles {
		switch r.kind {
		case roleFeature:
			if int(r.j) == j {
				return p.file.names[col]
			}
		case roleVector:
			return fmt.Sprintf("%s[%d]", p.file.names[col], j)
		}
	}
	return strconv.Itoa(j)
}

// parseNumber32 parses a feature cell with strconv (the slow path), and
// says why a cell is not a finite float32.
func parseNumber32(cell []byte) (float32, string) {
	s := strings.TrimSpace(string(cell))
	if s == "" {
		return 0, "empty value, want a number"
	}
	f, err := strconv.ParseFloat(s, 32)
	switch {
	case math.IsNaN(f):
		return 0, fmt.Sprintf("%s is NaN, want a finite number", quoteCell(cell))
	case math.IsInf(f, 0) && err == nil:
		return 0, fmt.Sprintf("%s is infinite, want a finite number", quoteCell(cell))
	case math.IsInf(f, 0):
		return 0, fmt.Sprintf("%s is out of float32 range", quoteCell(cell))
	case err != nil:
		return 0, fmt.Sprintf("%s is not a number", quoteCell(cell))
	}
	return float32(f), ""
}

func parseWeight(cell []byte) (float64, string) {
	s := strings.TrimSpace(string(cell))
	w, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return 0, fmt.Sprintf("weight %s is not a finite number >= 0", quoteCell(cell))
	}
	return w, ""
}

// parseVector parses a JSON array of numbers ("[0.1, -2e-3, ...]") into
// dst, which must receive exactly len(dst) values.
func parseVector(s []byte, dst []float32) string {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '[' {
		if i >= len(s) {
			return "empty value, want a JSON array of numbers"
		}
		return fmt.Sprintf("%s is not a JSON array of numbers", quoteCell(s))
	}
	i = skipSpace(s, i+1)
	n := 0
	if i < len(s) && s[i] == ']' {
		i++
	} else {
		for {
			i = skipSpace(s, i)
			v, end, ok := parseFloat32(s, i)
			if !ok || end < len(s) && s[end] != ',' && s[end] != ']' && s[end] != ' ' {
				// slow path: the token up to the next separator
				end = i
				for end < len(s) && s[end] != ',' && s[end] != ']' {
					end++
				}
				var why string
				v, why = parseNumber32(s[i:end])
				if why != "" {
					return fmt.Sprintf("element %d: %s", n, why)
				}
			}
			if n < len(dst) {
				dst[n] = v
			}
			n++
			i = skipSpace(s, end)
			if i < len(s) && s[i] == ',' {
				i++
				continue
			}
			if i < len(s) && s[i] == ']' {
				i++
				break
			}
			return fmt.Sprintf("the JSON array is not closed or has no comma after element %d", n-1)
		}
	}
	if skipSpace(s, i) != len(s) {
		return "characters after the closing ] of the JSON array"
	}
	if n != len(dst) {
		return fmt.Sprintf("the embedding has %d values, features.dim is %d", n, len(dst))
	}
	return ""
}

func skipSpace(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// firstNonFinite returns the index of the first NaN or Inf in x, or -1.
func firstNonFinite(x []float32) int {
	const exp = 0x7f800000
	for j, v := range x {
		if math.Float32bits(v)&exp == exp {
			return j
		}
	}
	return -1
}
