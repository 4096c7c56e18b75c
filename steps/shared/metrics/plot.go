package metrics

import (
	"fmt"
	"image"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotSettings size the image of [WritePNG]. A nil *PlotSettings means
// [DefaultPlotSettings].
type PlotSettings struct {
	// Width and Height are the size of the image in pixels, both panels
	// together.
	Width, Height int
	// DPI is the resolution the text and lines are drawn at: more dots
	// per inch make them larger in the same number of pixels.
	DPI int
}

// DefaultPlotSettings returns 900 × 400 pixels at 96 DPI.
func DefaultPlotSettings() *PlotSettings {
	return &PlotSettings{Width: 900, Height: 400, DPI: 96}
}

// Colours of the plot, fixed so the image is too.
var (
	curveColor  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // blue
	pointColor  = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff} // red
	chanceColor = color.Gray{Y: 0x99}
)

// WritePNG draws the ROC curve (left) and the precision-recall curve
// (right) of r as a PNG image, each panel titled with its area (ROC AUC,
// average precision), with the chance level dashed and the operating
// point of r.Threshold marked. The PR curve is drawn as the step function
// whose area is the average precision.
//
// The image is a pure function of r and s: gonum/plot's vgimg renderer
// and image/png use no randomness, clock or map order, so the same report
// gives the same bytes on every run (a test checks it). Fonts are the
// Liberation fonts compiled into gonum/plot, so no system font is read.
func WritePNG(w io.Writer, r *Report, s *PlotSettings) error {
	if s == nil {
		s = DefaultPlotSettings()
	}
	if s.Width <= 0 || s.Height <= 0 || s.DPI <= 0 {
		return fmt.Errorf("metrics: plot size %d×%d pixels at %d DPI: all three must be positive", s.Width, s.Height, s.DPI)
	}
	if len(r.ROC.FPR) < 2 || len(r.PR.Recall) < 2 {
		return fmt.Errorf("metrics: the report has no curves to plot; make it with Evaluate")
	}
	// A quarter of a pixel, a panel being about half the image wide.
	eps := 0.5 / float64(max(s.Width, s.Height))
	roc, err := rocPlot(r, eps)
	if err != nil {
		return err
	}
	pr, err := prPlot(r, eps)
	if err != nil {
		return err
	}
	img := image.NewRGBA(image.Rect(0, 0, s.Width, s.Height))
	c := vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(s.DPI))
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	panels := plot.Align([][]*plot.Plot{{roc, pr}}, tiles, draw.New(c))
	roc.Draw(panels[0][0])
	pr.Draw(panels[0][1])
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
		return fmt.Errorf("metrics: writing the plot: %w", err)
	}
	return nil
}

// unitAxes makes a plot with both axes on [0, 1] and a grid.
func unitAxes(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.02
	g := plotter.NewGrid()
	g.Horizontal.Color, g.Vertical.Color = color.Gray{Y: 0xe0}, color.Gray{Y: 0xe0}
	p.Add(g)
	return p
}

// chance returns a dashed grey segment between two points.
func chance(x0, y0, x1, y1 float64) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y1}})
	if err != nil {
		return nil, err
	}
	l.Color = chanceColor
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	return l, nil
}

// curve returns a solid line through x, y, thinned to the points that
// move at least eps (in axis units) from the last one kept (see thin).
// With eps a fraction of a pixel the drawing does not change, and a curve
// of 100,000 points draws in a fraction of the time.
func curve(x, y []float64, step plotter.StepKind, eps float64) (*plotter.Line, error) {
	keep := thin(x, y, eps, -1)
	xy := make(plotter.XYs, len(keep))
	for j, i := range keep {
		xy[j] = plotter.XY{X: x[i], Y: y[i]}
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.Color = curveColor
	l.Width = vg.Points(1.5)
	l.StepStyle = step
	return l, nil
}

// point returns the marker of the operating point.
func point(x, y float64) (*plotter.Scatter, error) {
	sc, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Color = pointColor
	sc.GlyphStyle.Radius = vg.Points(3.5)
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	return sc, nil
}

func rocPlot(r *Report, eps float64) (*plot.Plot, error) {
	p := unitAxes(fmt.Sprintf("ROC curve (AUC = %.4f)", r.ROCAUC), "False positive rate", "True positive rate")
	diag, err := chance(0, 0, 1, 1)
	if err != nil {
		return nil, fmt.Errorf("metrics: plot: %w", err)
	}
	line, err := curve(r.ROC.FPR, r.ROC.TPR, plotter.NoStep, eps)
	if err != nil {
		return nil, fmt.Errorf("metrics: plot: %w", err)
	}
	c := r.Confusion
	pt, err := point(ratio(c.FP, c.FP+c.TN), ratio(c.TP, c.TP+c.FN))
	if err != nil {
		return nil, fmt.Errorf("metrics: plot: %w", err)
	}
	p.Add(diag, line, pt)
	p.Legend.Add("chance", diag)
	p.Legend.Add(fmt.Sprintf("threshold %.4g", r.Threshold), pt)
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Millimeter*2, vg.Millimeter*2
	return p, nil
}

func prPlot(r *Report, eps float64) (*plot.Plot, error) {
	p := unitAxes(fmt.Sprintf("Precision-recall curve (AP = %.4f)", r.PRAUC), "Recall", "Precision")
	base := r.Positives / (r.Positives + r.Negatives)
	flat, err := chance(0, base, 1, base)
	if err != nil {
		return nil, fmt.Errorf("metrics: plot: %w", err)
	}
	line, err := curve(r.PR.Recall, r.PR.Precision, plotter.PostStep, eps)
	if err != nil {
		return nil, fmt.Errorf("metrics: plot: %w", err)
	}
	pt, err := point(r.Recall, r.Precision)
	if err != nil {
		return nil, fmt.Errorf("metrics: plot: %w", err)
	}
	p.Add(flat, line, pt)
	p.Legend.Add(fmt.Sprintf("chance (%.3g)", base), flat)
	p.Legend.Add(fmt.Sprintf("threshold %.4g", r.Threshold), pt)
	p.Legend.Top, p.Legend.Left = false, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Millimeter*2, vg.Millimeter*2
	return p, nil
}
