package config

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// textSample is how much of a file notText looks at.
const textSample = 8 << 10

// notText returns a diagnostic for a file that is not text at all (a
// binary, random bytes, a compressed file): a NUL byte in its first
// textSample bytes, or a quarter of them control characters (other than
// tab, line breaks and form feed) or not UTF-8. Parsing such a file gives
// a diagnostic per token, hundreds, that say less than this one. It
// returns nil for text, however bad its syntax.
func notText(name string, src []byte) *hcl.Diagnostic {
	sample := src[:min(len(src), textSample)]
	bad, first := 0, -1
	for i := 0; i < len(sample); {
		r, size := utf8.DecodeRune(sample[i:])
		isBad := r == utf8.RuneError && size <= 1 && len(sample)-i >= utf8.UTFMax ||
			r != '\t' && r != '\n' && r != '\r' && r != '\f' && unicode.IsControl(r)
		if isBad {
			bad++
			if first < 0 {
				first = i
			}
		}
		i += size
	}
	if first < 0 || bytes.IndexByte(sample, 0) < 0 && bad*4 < len(sample) {
		return nil
	}
	pos := position(src, first)
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Not a text file",
		Detail: fmt.Sprintf("%s is not a text file: %d of its first %d bytes are control characters or not UTF-8, the first at line %d, column %d. "+
			"Pipeline and variable files are HCL text (or JSON, for names ending in .json): check that you named the file you meant, "+
			"or move this one out of the pipeline's folder or rename it so that it does not end in .pipe.hcl or .pipe.json.",
			name, bad, len(sample), pos.Line, pos.Column),
		Subject: &hcl.Range{Filename: name, Start: pos, End: hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}},
	}
}

// position is the line and column (in bytes, from 1) of offset in src.
func position(src []byte, offset int) hcl.Pos {
	line := 1 + bytes.Count(src[:offset], []byte{'\n'})
	start := bytes.LastIndexByte(src[:offset], '\n') + 1
	return hcl.Pos{Line: line, Column: offset - start + 1, Byte: offset}
}
