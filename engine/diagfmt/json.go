package diagfmt

import (
	"github.com/hashicorp/hcl/v2"
)

// JSONDiagnostic is a diagnostic for programs. The shape follows
// `terraform validate -json`, so tools that read one can read the other.
type JSONDiagnostic struct {
	Severity string       `json:"severity"` // "error" or "warning"
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail,omitempty"`
	Range    *JSONRange   `json:"range,omitempty"`
	Snippet  *JSONSnippet `json:"snippet,omitempty"`
}

// JSONRange is a source range; lines and columns count from 1, bytes from
// 0.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// JSONSnippet is the source line of a range and where in it the range is.
type JSONSnippet struct {
	Context              string `json:"context,omitempty"`
	Code                 string `json:"code"`
	StartLine            int    `json:"start_line"`
	HighlightStartOffset int    `json:"highlight_start_offset"`
	HighlightEndOffset   int    `json:"highlight_end_offset"`
}

// JSON converts diagnostics for a JSON document. It never returns nil, so
// an empty list encodes as []. As Text, it keeps MaxPerFile diagnostics
// of a file and says how many more there are; a snippet's code is cut
// around the range on a long line, as Text cuts it.
func JSON(diags hcl.Diagnostics, src Sources) []JSONDiagnostic {
	diags = Limit(diags, MaxPerFile)
	out := make([]JSONDiagnostic, 0, len(diags))
	for _, d := range diags {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if r := d.Subject; r != nil {
			jd.Range = &JSONRange{
				Filename: r.Filename,
				Start:    JSONPos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:      JSONPos{r.End.Line, r.End.Column, r.End.Byte},
			}
			if line, start, ok := sourceLine(src[r.Filename], r.Start.Line); ok {
				from := clamp(r.Start.Byte-start, 0, len(line))
				to := len(line)
				if r.End.Line == r.Start.Line {
					to = clamp(r.End.Byte-start, from, len(line))
				}
				line, from, to = window(line, from, to)
				jd.Snippet = &JSONSnippet{
					Context:              ContextString(*r, src),
					Code:                 line,
					StartLine:            r.Start.Line,
					HighlightStartOffset: from,
					HighlightEndOffset:   to,
				}
			}
		}
		out = append(out, jd)
	}
	return out
}
