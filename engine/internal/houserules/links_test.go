package houserules

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// docPages are the Markdown pages whose links must resolve, relative to
// the module root.
var docPages = []string{"README.md", "ARCHITECTURE.md", "docs/*.md"}

// TestDocLinks checks that every relative link in the README,
// ARCHITECTURE.md and docs/*.md names a file or folder that exists, and
// that every #anchor names a heading of the page it points into.
func TestDocLinks(t *testing.T) {
	dir := root(t)
	var pages []string
	for _, pattern := range docPages {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Errorf("no %s at the top of the repository", pattern)
		}
		pages = append(pages, m...)
	}
	if len(pages) < 2 {
		t.Fatalf("found only %d documentation pages under %s", len(pages), dir)
	}
	anchors := map[string]map[string]bool{} // page → its anchors, read once
	for _, page := range pages {
		rel, _ := filepath.Rel(dir, page)
		for _, l := range pageLinks(t, page) {
			if err := checkLink(dir, page, l.target, anchors); err != nil {
				t.Errorf("%s:%d: link %q: %v", rel, l.line, l.target, err)
			}
		}
	}
}

// checkLink resolves target, a link written in page, and returns why it
// does not resolve, or nil. Links with a scheme (https:, mailto:) are
// not checked.
func checkLink(dir, page, target string, anchors map[string]map[string]bool) error {
	if regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`).MatchString(target) {
		return nil
	}
	path, anchor, _ := strings.Cut(target, "#")
	file := page
	if path != "" {
		file = filepath.Join(filepath.Dir(page), filepath.FromSlash(path))
		if rel, err := filepath.Rel(dir, file); err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("points outside the repository")
		}
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("%s does not exist: fix the path (it is relative to the page)", path)
		}
	}
	if anchor == "" {
		return nil
	}
	if !strings.HasSuffix(file, ".md") {
		return fmt.Errorf("an anchor into %s, which is not a Markdown page", path)
	}
	if anchors[file] == nil {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		anchors[file] = headingAnchors(string(b))
	}
	if !anchors[file][anchor] {
		return fmt.Errorf("%s has no heading with anchor #%s: link to one of its headings", filepath.Base(file), anchor)
	}
	return nil
}

// link is a link target and the line it is on.
type link struct {
	target string
	line   int
}

var (
	inlineLink    = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	referenceLink = regexp.MustCompile(`^\s*\[[^\]]+\]:\s+(\S+)`)
	codeSpan      = regexp.MustCompile("`[^`]*`")
)

// pageLinks returns the link targets of a Markdown page, outside code
// blocks and code spans.
func pageLinks(t *testing.T, page string) []link {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var links []link
	for i, line := range markdownLines(string(b)) {
		if line == "" {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			links = append(links, link{m[1], i + 1})
		}
		if m := referenceLink.FindStringSubmatch(line); m != nil {
			links = append(links, link{m[1], i + 1})
		}
	}
	return links
}

// markdownLines returns the page's lines with those inside fenced code
// blocks blanked, so that line numbers stay true.
func markdownLines(doc string) []string {
	lines := strings.Split(doc, "\n")
	inFence := false
	for i, line := range lines {
		fence := strings.HasPrefix(strings.TrimSpace(line), "```")
		if fence {
			inFence = !inFence
		}
		if fence || inFence {
			lines[i] = ""
		}
	}
	return lines
}

// headingAnchors returns the anchors GitHub gives the headings of a
// Markdown page, with -1, -2 ... for repeated ones, and the ids of HTML
// anchors written in it.
func headingAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, line := range markdownLines(doc) {
		for _, m := range regexp.MustCompile(`<a (?:id|name)="([^"]+)"`).FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		if !strings.HasPrefix(line, "#") {
			continue
		}
		level := len(line) - len(strings.TrimLeft(line, "#"))
		if level > 6 || !strings.HasPrefix(line[level:], " ") {
			continue
		}
		a := githubAnchor(strings.TrimSpace(line[level:]))
		if n := seen[a]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// githubAnchor turns a heading into the anchor GitHub gives it: lower
// case, punctuation dropped (letters, digits, hyphens and underscores
// kept), spaces to hyphens.
func githubAnchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestHeadingAnchors(t *testing.T) {
	doc := "# Deploying pipe\n## Logs, metrics and lineage\n```\n# not a heading\n```\n" +
		"## `pipe serve` and triggers\n### Notes\n### Notes\n#hashtag\n<a id=\"here\"></a>\n"
	got := headingAnchors(doc)
	for _, want := range []string{"deploying-pipe", "logs-metrics-and-lineage", "pipe-serve-and-triggers", "notes", "notes-1", "here"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	for _, unwanted := range []string{"not-a-heading", "hashtag", "notes-2"} {
		if got[unwanted] {
			t.Errorf("unexpected anchor %q", unwanted)
		}
	}
}

func TestCheckLink(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "docs", "guide.md")
	if err := os.WriteFile(page, []byte("# Guide\n## The cache\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# pipe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for target, wantErr := range map[string]string{
		"https://example.com/x#y": "",
		"#the-cache":              "",
		"../README.md#pipe":       "",
		"../docs":                 "",
		"#the-store":              "guide.md has no heading with anchor #the-store",
		"missing.md":              "missing.md does not exist",
		"../README.md#guide":      "README.md has no heading with anchor #guide",
		"../../outside.md":        "points outside the repository",
		"../docs#the-cache":       "not a Markdown page",
	} {
		err := checkLink(dir, page, target, map[string]map[string]bool{})
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("checkLink(%q) = %v, want nil", target, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("checkLink(%q) = %v, want an error containing %q", target, err, wantErr)
		}
	}
}
