package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/pipe-ml/pipe/engine/plan"
)

// planMarkdown prints a plan as Markdown, fit for a pull-request comment:
// a table of steps with their action and reasons, then the summary line.
// The note about a saved plan goes to stderr, so that stdout stays the
// comment.
type planMarkdown struct{ *View }

func (v planMarkdown) Saved(path, digest string) { savedNote(v.Stderr, path, digest) }

func (v planMarkdown) Plan(d *plan.Document) error {
	w := v.Stdout
	fmt.Fprintf(w, "### pipe plan: `%s`\n\n", d.Pipeline)
	fmt.Fprintf(w, "**%s**\n\n", summaryLine(d))
	fmt.Fprintln(w, "| Step | Action | Why |")
	fmt.Fprintln(w, "|---|---|---|")
	where := placed(d)
	for _, s := range d.Steps {
		var why []string
		for _, r := range s.Reasons {
			for _, line := range reasonLines(r) {
				why = append(why, mdEscape(line))
			}
		}
		for _, warn := range s.Warnings {
			why = append(why, "⚠️ "+mdEscape(warn))
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", s.Address, mdEscape(action(s, where)), strings.Join(why, "<br>"))
	}
	if len(d.Targets) > 0 {
		fmt.Fprintf(w, "\nTargets: `%s`\n", strings.Join(d.Targets, "`, `"))
	}
	if len(d.Replace) > 0 {
		fmt.Fprintf(w, "\nReplaced: `%s`\n", strings.Join(d.Replace, "`, `"))
	}
	if d.Saved != nil {
		writeMarkdownMadeFrom(w, d)
	}
	return nil
}

// writeMarkdownMadeFrom shows, under a saved plan's table, its digest
// (also in a comment a CI job can find: <!-- pipe-plan-digest: … -->)
// and what apply will use: folder, store and variables.
func writeMarkdownMadeFrom(w io.Writer, d *plan.Document) {
	fmt.Fprintf(w, "\nPlan digest: `%s`. Apply exactly this plan with `pipe apply -plan-digest=%s PLANFILE`.\n", d.Digest, d.Digest)
	fmt.Fprintf(w, "<!-- pipe-plan-digest: %s -->\n\n", d.Digest)
	fmt.Fprintln(w, "| Applies with | |")
	fmt.Fprintln(w, "|---|---|")
	for _, r := range madeFrom(d.Saved) {
		fmt.Fprintf(w, "| %s | %s |\n", mdEscape(r[0]), mdEscape(r[1]))
	}
	fmt.Fprintf(w, "\n<sub>Planned %s against `%s` by pipe %s.</sub>\n", d.Saved.Created.Format("2006-01-02 15:04 MST"), d.Saved.Store, d.PipeVersion)
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
