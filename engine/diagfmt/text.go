package diagfmt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/pipe-ml/pipe/engine/nesting"
)

// Sources maps file names, as diagnostics name them, to their bytes.
type Sources map[string][]byte

// Text writes diagnostics for a person:
//
//	Error: Unsupported argument
//
//	  on pipeline.pipe.hcl line 12, in train "model":
//	  12:   dat = load.corpus.train
//	        ^^^
//
//	An argument named "dat" is not expected here. Did you mean "data"?
//
// With color, the severity is coloured and the range is underlined in the
// line instead of marked below it. At most MaxPerFile diagnostics of one
// file are written, then how many more there are (see Limit).
func Text(w io.Writer, diags hcl.Diagnostics, src Sources, color bool) error {
	bw := bufio.NewWriter(w)
	for _, d := range Limit(diags, MaxPerFile) {
		writeOne(bw, d, src, color)
	}
	return bw.Flush()
}

const (
	ansiReset     = "\x1b[0m"
	ansiBold      = "\x1b[1m"
	ansiRed       = "\x1b[1;31m"
	ansiYellow    = "\x1b[1;33m"
	ansiUnderline = "\x1b[4m"
)

func writeOne(w *bufio.Writer, d *hcl.Diagnostic, src Sources, color bool) {
	sev, col := "Error", ansiRed
	if d.Severity == hcl.DiagWarning {
		sev, col = "Warning", ansiYellow
	}
	summary, _, _ := escapeControls(d.Summary, 0, 0)
	if color {
		fmt.Fprintf(w, "%s%s:%s %s%s%s\n", col, sev, ansiReset, ansiBold, summary, ansiReset)
	} else {
		fmt.Fprintf(w, "%s: %s\n", sev, summary)
	}
	if d.Subject != nil {
		w.WriteString("\n")
		writeSnippet(w, *d.Subject, src, color)
	}
	if detail := strings.TrimSpace(d.Detail); detail != "" {
		var lines []string
		for _, l := range strings.Split(detail, "\n") {
			l, _, _ = escapeControls(l, 0, 0)
			lines = append(lines, l)
		}
		w.WriteString("\n")
		w.WriteString(wrap(strings.Join(lines, "\n"), 78))
		w.WriteString("\n")
	}
	w.WriteString("\n")
}

func writeSnippet(w *bufio.Writer, rng hcl.Range, src Sources, color bool) {
	ctx := ""
	if s := ContextString(rng, src); s != "" {
		ctx = ", in " + s
	}
	fmt.Fprintf(w, "  on %s line %d%s:\n", rng.Filename, rng.Start.Line, ctx)
	line, lineStart, ok := sourceLine(src[rng.Filename], rng.Start.Line)
	if !ok {
		return
	}
	// Byte offsets of the highlight within the line.
	from := clamp(rng.Start.Byte-lineStart, 0, len(line))
	to := len(line)
	if rng.End.Line == rng.Start.Line {
		to = clamp(rng.End.Byte-lineStart, from, len(line))
	}
	if to == from && to < len(line) {
		to++ // point at something even for an empty range
	}
	line, from, to = window(line, from, to)
	line, from, to = escapeControls(line, from, to)
	prefix := fmt.Sprintf("  %d: ", rng.Start.Line)
	if color {
		fmt.Fprintf(w, "%s%s%s%s%s%s\n", prefix, line[:from], ansiUnderline, line[from:to], ansiReset, line[to:])
		return
	}
	fmt.Fprintf(w, "%s%s\n", prefix, line)
	var pad strings.Builder
	pad.WriteString(strings.Repeat(" ", len(prefix)))
	for _, r := range line[:from] {
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	n := utf8.RuneCountInString(line[from:to])
	if n < 1 {
		n = 1
	}
	fmt.Fprintf(w, "%s%s\n", pad.String(), strings.Repeat("^", n))
}

// ContextString names the block a range is in, e.g. `train "model"`, or
// returns "" when it cannot tell.
func ContextString(rng hcl.Range, src Sources) string {
	b, ok := src[rng.Filename]
	if !ok || strings.HasSuffix(rng.Filename, ".json") {
		return ""
	}
	if nesting.Check(rng.Filename, b).HasErrors() {
		return "" // the parser would run out of stack
	}
	f, diags := hclsyntax.ParseConfig(b, rng.Filename, hcl.InitialPos)
	if diags.HasErrors() && f == nil {
		return ""
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return ""
	}
	for _, block := range body.Blocks {
		r := block.Range()
		if rng.Start.Byte >= r.Start.Byte && rng.Start.Byte < r.End.Byte {
			if rng.Start.Byte < block.Body.SrcRange.Start.Byte {
				return "" // the header itself: the snippet says it all
			}
			parts := []string{block.Type}
			for _, l := range block.Labels {
				parts = append(parts, fmt.Sprintf("%q", l))
			}
			return strings.Join(parts, " ")
		}
	}
	return ""
}

// Long lines (a generated file, a minified expression) are cut around the
// range: maxLine bytes at most, maxHighlight of them highlighted.
const (
	maxLine      = 160
	maxHighlight = 80
	lineContext  = (maxLine - maxHighlight) / 2
)

// window returns the part of line to show around the range [from, to),
// with "…" where it was cut, and the range's offsets in it.
func window(line string, from, to int) (string, int, int) {
	if len(line) <= maxLine {
		return line, from, to
	}
	to = runeStart(line, min(to, from+maxHighlight))
	start := runeStart(line, max(0, from-lineContext))
	end := runeStart(line, min(len(line), to+lineContext))
	pre, suf := "", ""
	if start > 0 {
		pre = "…"
	}
	if end < len(line) {
		suf = "…"
	}
	return pre + line[start:end] + suf, from - start + len(pre), to - start + len(pre)
}

// escapeControls returns line with every control character but a tab,
// and every byte that is not UTF-8, written as an escape (\x1b, \u202e),
// so that a source file or a value cannot move the cursor, clear the
// screen or recolour the terminal through a message; from and to, byte
// offsets of a range in line, are moved with the text.
func escapeControls(line string, from, to int) (string, int, int) {
	var b strings.Builder
	newFrom, newTo := from, to
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		if i == from {
			newFrom = b.Len()
		}
		if i == to {
			newTo = b.Len()
		}
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, line[i])
		case r == '\t' || !(unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)):
			b.WriteString(line[i : i+size])
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	if to >= len(line) {
		newTo = b.Len()
	}
	if from >= len(line) {
		newFrom = b.Len()
	}
	return b.String(), newFrom, newTo
}

// runeStart moves i back to the start of the rune it is in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// sourceLine returns line n (1-based) of src without its newline, and the
// byte offset where it starts.
func sourceLine(src []byte, n int) (string, int, bool) {
	if src == nil || n < 1 {
		return "", 0, false
	}
	start := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src[start:], '\n')
		if j < 0 {
			return "", 0, false
		}
		start += j + 1
	}
	end := bytes.IndexByte(src[start:], '\n')
	if end < 0 {
		end = len(src) - start
	}
	return strings.TrimRight(string(src[start:start+end]), "\r"), start, true
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}

// wrap folds text at width columns on spaces, keeping existing line
// breaks.
func wrap(text string, width int) string {
	var out strings.Builder
	for i, para := range strings.Split(text, "\n") {
		if i > 0 {
			out.WriteByte('\n')
		}
		col := 0
		for j, word := range strings.Fields(para) {
			n := utf8.RuneCountInString(word)
			if j > 0 {
				if col+1+n > width {
					out.WriteByte('\n')
					col = 0
				} else {
					out.WriteByte(' ')
					col++
				}
			}
			out.WriteString(word)
			col += n
		}
	}
	return out.String()
}
