package metrics

import (
	"bytes"
	"crypto/sha256"
	"image/png"
	"os"
	"testing"
)

func TestWritePNG(t *testing.T) {
	r := mustEvaluate(t, synthetic(11, 2000, 0.3, 3, false), &Settings{MaxF1: true})
	var buf bytes.Buffer
	if err := WritePNG(&buf, r, nil); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 900 || b.Dy() != 400 {
		t.Errorf("image is %d×%d, want 900×400", b.Dx(), b.Dy())
	}
	// Not blank: the curves and text put many colours on the white.
	colours := map[[4]uint32]bool{}
	for y := 0; y < 400; y += 3 {
		for x := 0; x < 900; x += 3 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colours) < 10 {
		t.Errorf("only %d colours: the plot looks blank", len(colours))
	}
	if path := os.Getenv("METRICS_PLOT_OUT"); path != "" {
		// To look at it: METRICS_PLOT_OUT=/tmp/p.png go test -run WritePNG
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d bytes, sha256 %x", buf.Len(), sha256.Sum256(buf.Bytes()))

	// Same report, same bytes.
	var again bytes.Buffer
	if err := WritePNG(&again, r, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two plots of one report differ")
	}
}

func TestWritePNGSizes(t *testing.T) {
	r := mustEvaluate(t, Data{Labels: []float64{0, 1, 0, 1}, Scores: []float64{0.1, 0.4, 0.35, 0.8}}, nil)
	for _, s := range []*PlotSettings{{Width: 321, Height: 160, DPI: 48}, {Width: 601, Height: 299, DPI: 72}} {
		var buf bytes.Buffer
		if err := WritePNG(&buf, r, s); err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != s.Width || cfg.Height != s.Height {
			t.Errorf("%+v gave %d×%d", *s, cfg.Width, cfg.Height)
		}
	}
	for _, s := range []*PlotSettings{{Width: 0, Height: 400, DPI: 96}, {Width: 900, Height: 400}} {
		if err := WritePNG(&bytes.Buffer{}, r, s); err == nil {
			t.Errorf("%+v: no error", *s)
		}
	}
	if err := WritePNG(&bytes.Buffer{}, &Report{}, nil); err == nil {
		t.Error("empty report: no error")
	}
}
