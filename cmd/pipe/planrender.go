package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/pipe-ml/pipe/engine/plan"
)

// renderPlan writes a plan for a person:
//
//	  load.corpus        cached
//	+ train.model        run
//	    - C: 1 → 10
//
//	Plan: 1 to run, 1 cached.
func renderPlan(w io.Writer, d *plan.Document, color bool) {
	width := 0
	for _, s := range d.Steps {
		width = max(width, len(s.Address))
	}
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	fmt.Fprintf(w, "Plan for pipeline %q:\n\n", d.Pipeline)
	for _, s := range d.Steps {
		action := string(s.Action)
		if s.KnownAfterApply {
			action += " (known after apply)"
		}
		if s.Action == plan.Cached {
			fmt.Fprintf(w, "  %-*s  %s\n", width, s.Address, paint(ansiDim, action))
		} else {
			fmt.Fprintf(w, "%s %-*s  %s\n", paint(ansiGreen, "+"), width, s.Address, paint(ansiGreen, action))
		}
		for _, r := range s.Reasons {
			for _, line := range reasonLines(r) {
				fmt.Fprintf(w, "    - %s\n", line)
			}
		}
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "    %s %s\n", paint(ansiYellow, "warning:"), warn)
		}
	}
	fmt.Fprintf(w, "\n%s\n", summaryLine(d))
}

// reasonLines splits a reason into one line per change.
func reasonLines(r plan.Reason) []string {
	if r.Code == plan.ReasonChanged && len(r.Changes) > 0 {
		var lines []string
		for _, c := range r.Changes {
			lines = append(lines, c.String())
		}
		return lines
	}
	return []string{r.Message}
}

func summaryLine(d *plan.Document) string {
	return fmt.Sprintf("Plan: %d to run, %d cached.", d.Summary.Run, d.Summary.Cached)
}

// renderMarkdown writes a plan as Markdown, fit for a pull-request
// comment: a table of steps with their action and reasons, then the
// summary line.
func renderMarkdown(w io.Writer, d *plan.Document) {
	fmt.Fprintf(w, "### pipe plan: `%s`\n\n", d.Pipeline)
	fmt.Fprintf(w, "**%s**\n\n", summaryLine(d))
	fmt.Fprintln(w, "| Step | Action | Why |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, s := range d.Steps {
		action := string(s.Action)
		if s.KnownAfterApply {
			action += " (known after apply)"
		}
		var why []string
		for _, r := range s.Reasons {
			for _, line := range reasonLines(r) {
				why = append(why, mdEscape(line))
			}
		}
		for _, warn := range s.Warnings {
			why = append(why, "⚠️ "+mdEscape(warn))
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", s.Address, action, strings.Join(why, "<br>"))
	}
	if len(d.Targets) > 0 {
		fmt.Fprintf(w, "\nTargets: `%s`\n", strings.Join(d.Targets, "`, `"))
	}
	if len(d.Replace) > 0 {
		fmt.Fprintf(w, "\nReplaced: `%s`\n", strings.Join(d.Replace, "`, `"))
	}
	if d.Saved != nil {
		fmt.Fprintf(w, "\n<sub>Planned %s against `%s` by pipe %s.</sub>\n", d.Saved.Created.Format("2006-01-02 15:04 MST"), d.Saved.Store, d.PipeVersion)
	}
}

// mdEscaper keeps a table cell a table cell, and text text: a value such
// as data/*.txt → data/*_a*.txt would otherwise turn into emphasis, a
// link or a tag. Markdown (CommonMark, GitHub's too) takes a backslash
// before any ASCII punctuation as that character.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "~", `\~`, "|", `\|`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;", "\r\n", " ", "\n", " ",
)

func mdEscape(s string) string { return mdEscaper.Replace(s) }
