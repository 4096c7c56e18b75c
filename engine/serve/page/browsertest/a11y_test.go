package browsertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// everyPage is one page of each kind.
var everyPage = []string{"/", "/runs", secondRun, failedRun, "/runs/1/steps/search.lr", "/runs/3/steps/publish.release",
	"/runs/1/steps/search.lr/trials", "/models", "/models/intent", "/models/intent/versions/1"}

// contrastScript measures, for every element that shows text, the
// contrast of its colour against the background behind it (the nearest
// opaque background up the tree; for text in a drawn box, the box's
// fill), as WCAG 2 defines it, and returns those below AA: 4.5 to 1, or
// 3 to 1 for large text (24px, or 18.66px bold).
const contrastScript = `(() => {
  const rgb = s => { const m = s.match(/[\d.]+/g); return m ? m.map(Number) : null; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const opaque = c => c && (c.length < 4 || c[3] === 1);
  const behind = el => {
    if (el instanceof SVGElement) {
      const box = el.closest('.node, .bar');
      const rect = box && el.parentNode === box && box.querySelector('rect');
      if (rect && el.closest('.node')) { const f = rgb(getComputedStyle(rect).fill); if (opaque(f)) return f; }
    }
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const b = rgb(getComputedStyle(e).backgroundColor);
      if (opaque(b)) return b;
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own || el.closest('.visually-hidden, .skip, noscript, title')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none') continue;
    const fg = rgb(el instanceof SVGElement ? cs.fill : cs.color);
    const bg = behind(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) bad.push(el.tagName.toLowerCase() + '.' + el.getAttribute('class') + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2) + ':1');
  }
  return bad;
})()`

// TestContrast: every text on every page meets WCAG AA.
func TestContrast(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	for _, page := range everyPage {
		tb.open(page)
		bad, _ := tb.eval(contrastScript).([]any)
		for _, b := range bad {
			t.Errorf("%s: too little contrast: %v", page, b)
		}
	}
}

// TestKeyboard: a keyboard reaches the skip link first, then every link,
// the graph's steps among them, each with a visible focus ring; Enter on
// a step of the graph opens its page.
func TestKeyboard(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	tb.open(secondRun)
	var focused []string
	for range 40 {
		if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		d, _ := tb.eval(`(() => { const e = document.activeElement; const cs = getComputedStyle(e);
			return e.tagName.toLowerCase() + '|' + (e.getAttribute('data-node') || e.getAttribute('href') || '') + '|' + cs.outlineStyle + '|' + cs.outlineWidth; })()`).(string)
		focused = append(focused, d)
	}
	if !strings.HasPrefix(focused[0], "a|#main|") {
		t.Errorf("the first Tab reaches %q, want the skip link", focused[0])
	}
	var nodes int
	for _, f := range focused {
		parts := strings.Split(f, "|")
		if parts[0] == "body" {
			continue // past the last link
		}
		if parts[2] == "none" || parts[3] == "0px" {
			t.Errorf("focus on %s is not visible (outline %s %s)", parts[1], parts[2], parts[3])
		}
		if parts[0] == "a" && strings.Contains(parts[1], ".") && !strings.HasPrefix(parts[1], "/") {
			nodes++
		}
	}
	if nodes < 5 {
		t.Errorf("the keyboard reached %d of the graph's 5 steps: %v", nodes, focused)
	}
	// Focus the graph's train.model and press Enter.
	for range 60 {
		if v, _ := tb.eval(`document.activeElement.getAttribute('data-node') === 'train.model'`).(bool); v {
			break
		}
		if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	tb.waitFor(`location.pathname === '/runs/2/steps/train.model' && document.readyState === 'complete'`)
	// Nothing on any page is made clickable by a script: no click
	// handlers in the markup, and every control is a link, a button or a
	// form field.
	for _, page := range everyPage {
		tb.open(page)
		if n := tb.count(`[onclick], div[tabindex], span[tabindex], [role=button]:not(button)`); n != 0 {
			t.Errorf("%s: %d elements made clickable without being links or buttons", page, n)
		}
	}
}

// TestScriptsOff: with JavaScript off, the pages still show everything
// and every control works: the filters, the pager, the sortable trials,
// the graph's links.
func TestScriptsOff(t *testing.T) {
	s := openSite(t)
	tb := newTab(t, s)
	tb.scriptsOff()
	tb.open("/runs")
	// The test's own hand picks the choice (DevTools works with the page's
	// scripts off); the form does the rest.
	tb.eval(`document.querySelector('select[name=status]').value = 'failed'`)
	click(t, tb, `form.filters button`)
	tb.waitFor(`location.search.includes('status=failed') && document.readyState === 'complete'`)
	if n := tb.count("tbody tr"); n != 1 {
		t.Errorf("failed runs with scripts off: %d rows", n)
	}
	tb.open(secondRun)
	click(t, tb, `a.node[data-node="search.lr"]`)
	tb.waitFor(`location.pathname === '/runs/2/steps/search.lr' && document.readyState === 'complete'`)
	tb.open("/runs/1/steps/search.lr/trials")
	click(t, tb, `th a[data-sort="trials.mean"]`)
	tb.waitFor(`location.search.includes('sort=trials.mean') && document.readyState === 'complete'`)
	tb.has(`th[aria-sort="ascending"] a[data-sort="trials.mean"]`)
	click(t, tb, `th a[data-sort="trials.mean"]`)
	tb.waitFor(`location.search.includes('order=desc') && document.readyState === 'complete'`)
	tb.has(`th[aria-sort="descending"]`)
}

// click clicks the first element a selector finds, as a mouse does.
func click(t *testing.T, tb *tab, sel string) {
	t.Helper()
	if tb.count(sel) == 0 {
		t.Fatalf("%s: nothing to click: no element matches %s", tb.location(), sel)
	}
	if err := chromedp.Do(tb.ctx, chromedp.Click(sel, chromedp.NodeVisible)); err != nil {
		t.Fatal(fmt.Errorf("clicking %s on %s: %w", sel, tb.location(), err))
	}
}
