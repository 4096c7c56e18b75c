package load

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func checkParse(t *testing.T, s string) {
	t.Helper()
	v, end, ok := parseFloat32([]byte(s), 0)
	if !ok || end != len(s) {
		return
	}
	want, err := strconv.ParseFloat(s, 32)
	if err != nil {
		t.Fatalf("parseFloat32(%q) = %v, but strconv fails: %v", s, v, err)
	}
	if math.Float32bits(v) != math.Float32bits(float32(want)) {
		t.Fatalf("parseFloat32(%q) = %v (%#x), strconv gives %v (%#x)", s, v, math.Float32bits(v), float32(want), math.Float32bits(float32(want)))
	}
}

func TestParseFloat32(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1.5", "0.041234567", "-0.04123457", "1e-05", "1.2345e-05",
		"3.4028235e38", "1.17549435e-38", "123456789012345678", "0.1", "0.30000001192092896", "16777217",
		"9007199254740993", "1e22", "1e-22", "4.5e15", ".5", "5.", "+7", "2.5E+3"} {
		checkParse(t, s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		f := math.Float32frombits(rng.Uint32())
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			continue
		}
		checkParse(t, strconv.FormatFloat(float64(f), 'g', -1, 32))
		checkParse(t, strconv.FormatFloat(float64(f), 'g', 9, 64))
		checkParse(t, strconv.FormatFloat(rng.NormFloat64()*0.05, 'f', rng.IntN(17), 64))
	}
	// float32 midpoints must fall back or be right.
	for i := 0; i < 100000; i++ {
		a := math.Float32frombits(rng.Uint32()&0x3fffffff | 0x30000000)
		b := math.Nextafter32(a, 2)
		mid := (float64(a) + float64(b)) / 2
		checkParse(t, strconv.FormatFloat(mid, 'g', -1, 64))
		checkParse(t, strconv.FormatFloat(mid, 'g', 16, 64))
	}
}

func TestParseFloat32Stops(t *testing.T) {
	for s, want := range map[string]int{"1.5,2": 3, "-0.25\n": 5, "1e5x": 3, "7;": 1} {
		_, end, ok := parseFloat32([]byte(s), 0)
		if !ok || end != want {
			t.Errorf("parseFloat32(%q) stops at %d (ok %v), want %d", s, end, ok, want)
		}
	}
	for _, s := range []string{"", "-", ".", "e5", "nan", "inf", "1e", "1e+", "abc"} {
		if _, end, ok := parseFloat32([]byte(s), 0); ok && end == len(s) {
			t.Errorf("parseFloat32(%q) accepted it", s)
		}
	}
}

func FuzzParseFloat32(f *testing.F) {
	for _, s := range []string{"0.041234567", "-1e-05", "3.4028235e38", "1.00000005960464477539", "16777217"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkParse(t, s)
	})
}
