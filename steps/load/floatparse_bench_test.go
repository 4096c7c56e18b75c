package load

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func BenchmarkParseFloat32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var line []byte
	for i := 0; i < 4096; i++ {
		line = strconv.AppendFloat(line, float64(float32(rng.NormFloat64()*0.04)), 'g', -1, 32)
		line = append(line, ',')
	}
	b.SetBytes(int64(len(line)))
	b.ResetTimer()
	var sink float32
	for n := 0; n < b.N; n++ {
		for i := 0; i < len(line); {
			v, end, _ := parseFloat32(line, i)
			sink += v
			i = end + 1
		}
	}
	_ = sink
}

func BenchmarkStrconvFloat32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var fields []string
	n := 0
	for i := 0; i < 4096; i++ {
		s := strconv.FormatFloat(float64(float32(rng.NormFloat64()*0.04)), 'g', -1, 32)
		fields = append(fields, s)
		n += len(s) + 1
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	var sink float64
	for n := 0; n < b.N; n++ {
		for _, s := range fields {
			v, _ := strconv.ParseFloat(s, 32)
			sink += v
		}
	}
	_ = sink
}
