package page

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/steps"
)

// Chart sizes, in SVG user units.
const (
	chartW, chartH         = 720, 360
	chartLeft, chartBottom = 64, 44
	chartTop, chartRight   = 16, 16
)

// maxDots is the most points a series is drawn with dots for.
const maxDots = 60

// drawnChart is a steps.Chart laid out for the "chart" template.
type drawnChart struct {
	Title, X, Y   string
	Width, Height int
	// Plot is the plotting area: its left, top, right and bottom.
	Left, Top, Right, Bottom int
	XTicks, YTicks           []tick
	Series                   []drawnSeries
	Mark                     *drawnMark
}

type drawnSeries struct {
	Name, Class, Path string
	Points            []drawnPoint
	// Dots draws each point and its spread; a long curve is a line only.
	Dots bool
}

type drawnPoint struct {
	X, Y, Low, High int
	Tip             string
}

type drawnMark struct {
	X, Y  int
	Label string
}

// drawChart lays a chart out: X on a log scale when asked (decades
// marked), Y on a linear one spanning every point's spread, a line and a
// dot for each series with a bar from each point's low to its high, the
// marked point ringed.
func drawChart(c steps.Chart) drawnChart {
	d := drawnChart{Title: c.Title, X: c.X, Y: c.Y, Width: chartW, Height: chartH,
		Left: chartLeft, Top: chartTop, Right: chartW - chartRight, Bottom: chartH - chartBottom}
	fx := func(x float64) float64 { return x }
	if c.LogX {
		fx = math.Log10
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Points {
			xmin, xmax = math.Min(xmin, fx(p.X)), math.Max(xmax, fx(p.X))
			ymin, ymax = math.Min(ymin, math.Min(p.Low, p.Y)), math.Max(ymax, math.Max(p.High, p.Y))
		}
	}
	if math.IsInf(xmin, 0) {
		return d
	}
	xmin, xmax = widen(xmin, xmax)
	ymin, ymax = widen(ymin, ymax)
	px := func(x float64) int {
		return d.Left + int(math.Round(float64(d.Right-d.Left)*(fx(x)-xmin)/(xmax-xmin)))
	}
	py := func(y float64) int {
		return d.Bottom - int(math.Round(float64(d.Bottom-d.Top)*(y-ymin)/(ymax-ymin)))
	}
	d.XTicks = axisTicks(xmin, xmax, c.LogX, func(v float64) int { return d.Left + int(math.Round(float64(d.Right-d.Left)*(v-xmin)/(xmax-xmin))) })
	d.YTicks = axisTicks(ymin, ymax, false, func(v float64) int { return py(v) })
	for i, s := range c.Series {
		ds := drawnSeries{Name: s.Name, Class: fmt.Sprintf("series%d", i%6), Dots: len(s.Points) <= maxDots}
		var path strings.Builder
		for j, p := range s.Points {
			dp := drawnPoint{X: px(p.X), Y: py(p.Y), Low: py(p.Low), High: py(p.High),
				Tip: fmt.Sprintf("%s: %s %s, %s %s (folds %s to %s)", s.Name, c.X, short(p.X), c.Y, short(p.Y), short(p.Low), short(p.High))}
			ds.Points = append(ds.Points, dp)
			if j == 0 {
				fmt.Fprintf(&path, "M%d %d", dp.X, dp.Y)
			} else {
				fmt.Fprintf(&path, " L%d %d", dp.X, dp.Y)
			}
		}
		ds.Path = path.String()
		d.Series = append(d.Series, ds)
	}
	if m := c.Mark; m != nil && m.Series < len(d.Series) && m.Point < len(d.Series[m.Series].Points) {
		p := d.Series[m.Series].Points[m.Point]
		d.Mark = &drawnMark{X: p.X, Y: p.Y, Label: m.Label}
	}
	return d
}

// widen pads a range by a twentieth each way, and opens one that is a
// single value.
func widen(lo, hi float64) (float64, float64) {
	if hi-lo < 1e-12 {
		pad := math.Max(math.Abs(lo)*0.1, 0.5)
		return lo - pad, hi + pad
	}
	pad := (hi - lo) / 20
	return lo - pad, hi + pad
}

// axisTicks marks an axis from lo to hi (in plotted units): at each
// decade on a log axis, else at a round step giving four to ten marks.
func axisTicks(lo, hi float64, log bool, at func(float64) int) []tick {
	var out []tick
	if log {
		for k := math.Ceil(lo); k <= hi; k++ {
			out = append(out, tick{X: at(k), Label: short(math.Pow(10, k))})
		}
		return out
	}
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/4)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(step*m) <= 8 {
			step *= m
			break
		}
	}
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, tick{X: at(v), Label: short(v)})
	}
	return out
}

// short is a number in at most four significant digits.
func short(x float64) string {
	if math.Abs(x) < 1e-12 {
		return "0"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// curveChart is a kind's curve (an ROC curve) as a chart of one series.
func curveChart(c steps.Curve) steps.Chart {
	s := steps.Series{Name: c.Title}
	for _, p := range c.Points {
		s.Points = append(s.Points, steps.SpreadPoint{X: p.X, Y: p.Y, Low: p.Y, High: p.Y})
	}
	return steps.Chart{Name: c.Name, Title: c.Title, X: c.X, Y: c.Y, Series: []steps.Series{s}}
}
