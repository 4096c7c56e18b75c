package arguments

// ViewType is the format a command prints its results in; each is one
// view in package views.
type ViewType string

const (
	// ViewHuman is text for a person (the default).
	ViewHuman ViewType = "human"
	// ViewJSON is JSON for programs (-json).
	ViewJSON ViewType = "json"
	// ViewMarkdown is Markdown for a pull-request comment (-markdown).
	ViewMarkdown ViewType = "markdown"
	// ViewDOT is a Graphviz graph (-format=dot).
	ViewDOT ViewType = "dot"
	// ViewMermaid is a Mermaid flowchart (-format=mermaid).
	ViewMermaid ViewType = "mermaid"
)

// View holds the options every command takes about its output.
type View struct {
	// NoColor is -no-color: never colour the output, even on a terminal.
	NoColor bool
}
