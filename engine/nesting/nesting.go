package nesting

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Max is how deeply brackets, braces, parentheses, templates and
// unary operators may nest in what a user writes. HCL's parsers are
// recursive: a file of a few hundred thousand opening brackets would
// exhaust the stack, and the Go runtime ends such a process with a stack
// trace that no user should see. Real pipelines nest a few levels.
const Max = 256

// Check reports src (a pipeline or variables file, JSON when name
// ends in .json) when it nests deeper than Max. It must pass before
// src is parsed.
func Check(name string, src []byte) hcl.Diagnostics {
	if strings.HasSuffix(name, ".json") {
		return checkJSONNesting(name, src)
	}
	tokens, _ := hclsyntax.LexConfig(src, name, hcl.InitialPos)
	return checkTokenNesting(tokens)
}

// CheckExpression is Check for one expression in native
// syntax (a -var value).
func CheckExpression(name string, src []byte) hcl.Diagnostics {
	tokens, _ := hclsyntax.LexExpression(src, name, hcl.InitialPos)
	return checkTokenNesting(tokens)
}

func checkTokenNesting(tokens hclsyntax.Tokens) hcl.Diagnostics {
	depth, unary := 0, 0
	for _, tok := range tokens {
		switch tok.Type {
		case hclsyntax.TokenOParen, hclsyntax.TokenOBrack, hclsyntax.TokenOBrace,
			hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl,
			hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc:
			depth++
		case hclsyntax.TokenCParen, hclsyntax.TokenCBrack, hclsyntax.TokenCBrace,
			hclsyntax.TokenTemplateSeqEnd, hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc:
			depth = max(0, depth-1)
		}
		// A run of unary operators (!!!x, ---1) nests as deeply as
		// brackets do.
		if tok.Type == hclsyntax.TokenBang || tok.Type == hclsyntax.TokenMinus {
			unary++
		} else {
			unary = 0
		}
		if depth+unary > Max {
			return tooDeep(tok.Range)
		}
	}
	return nil
}

// checkJSONNesting counts the arrays and objects open at each byte of a
// JSON document, outside strings.
func checkJSONNesting(name string, src []byte) hcl.Diagnostics {
	depth := 0
	inString, escaped := false, false
	pos := hcl.InitialPos
	for i := 0; i < len(src); {
		c := src[i]
		_, size := utf8.DecodeRune(src[i:])
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > Max {
				end := hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}
				return tooDeep(hcl.Range{Filename: name, Start: pos, End: end})
			}
		case c == ']' || c == '}':
			depth = max(0, depth-1)
		}
		if c == '\n' {
			pos.Line++
			pos.Column = 1
		} else {
			pos.Column++
		}
		pos.Byte += size
		i += size
	}
	return nil
}

func tooDeep(rng hcl.Range) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Too deeply nested",
		Detail: fmt.Sprintf("Brackets, braces, templates or unary operators nest more than %d levels deep here; pipe reads no further. Write the value in simpler parts, for example in locals.",
			Max),
		Subject: rng.Ptr(),
	}}
}
