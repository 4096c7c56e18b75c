package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// pageTimeout bounds one test's dealings with the browser; no assertion
// depends on it.
const pageTimeout = 90 * time.Second

// tab is a browser tab a test drives, with every console message the
// pages in it wrote.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newTab starts a headless Chromium with a fresh profile and opens a tab
// on the site; the browser stops when the test ends. When the test fails,
// a screenshot of the tab is saved and its path logged.
func newTab(t *testing.T, s *site) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, pageTimeout)
	tb := &tab{t: t, ctx: ctx, base: s.url}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, m)
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			tb.screenshot()
		}
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	return tb
}

// screenshot saves the tab as a PNG in PIPE_SCREENSHOTS (default a
// folder in the temporary folder) and logs where. PIPE_SCREENSHOTS_ALL=1
// saves one of every page opened, for people to look at.
func (tb *tab) screenshot() { tb.screenshotAs("") }

func (tb *tab) screenshotAs(page string) {
	dir := os.Getenv("PIPE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "pipe-browser-screenshots")
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("no screenshot: %v", err)
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(tb.t.Name()+page, "_") + ".png"
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if err = os.WriteFile(filepath.Join(dir, name), png, 0o644); err == nil {
			tb.t.Logf("screenshot: %s", filepath.Join(dir, name))
			return
		}
	}
	tb.t.Logf("no screenshot: %v", err)
}

// open navigates to a path of the site and checks that the page wrote no
// error to the console (a script error, a CSP refusal, a failed load).
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.navigate(path)
	tb.noConsoleErrors(path, "")
	if os.Getenv("PIPE_SCREENSHOTS_ALL") != "" {
		tb.screenshotAs(path)
	}
}

// openProblem opens a path that answers with an error status: the
// browser reports the page's own status in the console, and nothing else
// may go wrong.
func (tb *tab) openProblem(path string) {
	tb.t.Helper()
	tb.navigate(path)
	tb.noConsoleErrors(path, tb.base+path)
}

func (tb *tab) navigate(path string) {
	tb.t.Helper()
	tb.mu.Lock()
	tb.console = nil
	tb.mu.Unlock()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(tb.base+path)); err != nil {
		tb.t.Fatalf("opening %s: %v", path, err)
	}
}

// noConsoleErrors fails the test for every error message so far, but a
// failed load of the page itself (self) when it is expected.
func (tb *tab) noConsoleErrors(where, self string) {
	tb.t.Helper()
	// Messages arrive as events; let those of the load come in.
	time.Sleep(150 * time.Millisecond)
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.console {
		if self != "" && m.URL == self && strings.HasPrefix(m.Text, "Failed to load resource") {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			tb.t.Errorf("%s: console %s (%s:%d)", where, m, m.URL, m.Line)
		}
	}
}

// eval evaluates a JavaScript expression in the page and returns its
// value, awaiting a promise.
func (tb *tab) eval(expr string) any {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[any](expr, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// text returns the text of the first element a CSS selector finds, or
// "" when there is none.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	s, _ := tb.eval(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)).(string)
	return strings.Join(strings.Fields(s), " ")
}

// count counts the elements a CSS selector finds.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	n, _ := tb.eval(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)).(float64)
	return int(n)
}

// has fails the test when a selector finds no element.
func (tb *tab) has(sel string) {
	tb.t.Helper()
	if tb.count(sel) == 0 {
		tb.t.Errorf("%s: no element matches %s", tb.location(), sel)
	}
}

// contains fails the test when the text of sel lacks want.
func (tb *tab) contains(sel, want string) {
	tb.t.Helper()
	if got := tb.text(sel); !strings.Contains(got, want) {
		tb.t.Errorf("%s: %s says %q, want it to contain %q", tb.location(), sel, clipped(got), want)
	}
}

func clipped(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// location is the path of the page the tab shows.
func (tb *tab) location() string {
	loc, _ := tb.eval(`location.pathname + location.search`).(string)
	return loc
}

// waitFor waits until a JavaScript condition holds in the page, across
// navigations (a condition evaluated while the page changes is tried
// again).
func (tb *tab) waitFor(cond string) {
	tb.t.Helper()
	var last error
	for tb.ctx.Err() == nil {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	tb.t.Fatalf("waiting for %s: %v (last: %v)", cond, tb.ctx.Err(), last)
}

// scriptsOff turns JavaScript off in the tab, for pages that must work
// without it.
func (tb *tab) scriptsOff() {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		tb.t.Fatal(err)
	}
}
