// Package browsertest holds the tests of pipe serve's pages in a real
// browser: Debian's headless Chromium, driven through the DevTools
// protocol (github.com/chromedp/chromedp), against a real `pipe serve`
// on loopback (the binary, built with the pipetest tag) over a registry
// that real applies of a real pipeline filled: two model versions, alias
// moves by hand, a failed run, and a run held in progress by a step that
// waits for a file the test writes.
//
// The tests assert on the DOM of every page, fail on any console error
// (a script error, a resource refused by the Content-Security-Policy),
// watch a step go from running to ran without a reload, follow the
// pages with scripts off, reach every link from the keyboard and measure
// the contrast of every text against its background (WCAG AA), check
// that every page sends the strict Content-Security-Policy, loads
// nothing from elsewhere and shows no path of the server. A test that
// fails saves a screenshot of the page and says where (TestScreenshot
// shows one is written).
//
// Without Chromium (at /usr/bin/chromium, or PIPE_CHROMIUM) or under
// -short the tests skip with a message; with PIPE_REQUIRE_BROWSER=1 (as
// .ci/run sets) they fail instead. The package has no code of its own:
// the pages are engine/serve/page's.
package browsertest
