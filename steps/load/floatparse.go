package load

import (
	"encoding/binary"
	"math"
)

// pow10 holds the powers of ten that are exact in float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat32 parses the decimal number that starts at b[i]
// ([+-]digits[.digits][e[+-]digits]) and stops at the first byte that
// cannot continue it, returning the value and that byte's index. ok is
// false when the text is not such a number or when the fast method cannot
// guarantee the correctly rounded result; the caller then falls back to
// strconv.ParseFloat(s, 32). When ok, the value equals
// strconv.ParseFloat(s, 32) exactly (FuzzParseFloat32 checks it).
//
// Method: Clinger's fast path. With at most 19 significant digits the
// digits fit a uint64 m; when m <= 2^53 and |e| <= 22, m·10^e computed in
// float64 is one correctly rounded operation on exact operands, so it is
// RN64(x). Rounding that again to float32 gives RN32(x) unless RN64(x)
// landed exactly on a midpoint between two float32 values (double
// rounding); those, and results outside float32's normal range, fall back.
func parseFloat32(b []byte, i int) (v float32, end int, ok bool) {
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	// Digits, counted with any leading zeros: more than 19 might not fit
	// a uint64, and are rare enough to leave to strconv.
	var mant uint64
	nd := 0
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		mant = mant*10 + uint64(b[i]-'0')
		nd++
	}
	exp := 0
	if i < len(b) && b[i] == '.' {
		i++
		frac := i
		for nd+8 <= 19 && i+8 <= len(b) {
			chunk := binary.LittleEndian.Uint64(b[i:])
			if !eightDigits(chunk) {
				break
			}
			mant = mant*100000000 + parseEightDigits(chunk)
			nd += 8
			i += 8
		}
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			mant = mant*10 + uint64(b[i]-'0')
			nd++
		}
		exp = frac - i
	}
	if nd == 0 || nd > 19 {
		return 0, i, false
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		e, end, ok := parseExponent(b, i+1)
		if !ok {
			return 0, end, false
		}
		exp += e
		i = end
	}
	if mant == 0 {
		if neg {
			return float32(math.Copysign(0, -1)), i, true
		}
		return 0, i, true
	}
	if mant > 1<<53 {
		return 0, i, false
	}
	f := float64(mant)
	switch {
	case exp == 0:
	case exp > 0 && exp <= 22:
		f *= pow10[exp]
	case exp < 0 && exp >= -22:
		f /= pow10[-exp]
	default:
		return 0, i, false
	}
	bits := math.Float64bits(f)
	if e2 := int(bits>>52&0x7ff) - 1023; e2 < -126 || e2 > 127 {
		return 0, i, false
	}
	const low = 1<<29 - 1 // the bits float32 drops from float64's mantissa
	if bits&low == 1<<28 {
		return 0, i, false
	}
	v = float32(f)
	if neg {
		v = -v
	}
	return v, i, true
}

// parseExponent parses the exponent's [+-]digits that start at b[i],
// after the 'e', returning it (clamped to 100000 in size, which is out of
// range anyway) and the index of the first byte after it.
func parseExponent(b []byte, i int) (e, end int, ok bool) {
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	if i >= len(b) || b[i]-'0' > 9 {
		return 0, i, false
	}
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		if e < 100000 {
			e = e*10 + int(b[i]-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, i, true
}

// eightDigits reports whether the 8 bytes of x (little-endian) are all
// ASCII digits.
func eightDigits(x uint64) bool {
	return (x&0xF0F0F0F0F0F0F0F0)|(((x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) == 0x3333333333333333
}

// parseEightDigits returns the value of 8 ASCII digits, the first in the
// lowest byte (the SWAR method of Lemire's fast_float).
func parseEightDigits(x uint64) uint64 {
	const mask = 0x000000FF000000FF
	const mul1 = 0x000F424000000064 // 100 + (1000000 << 32)
	const mul2 = 0x0000271000000001 // 1 + (10000 << 32)
	x -= 0x3030303030303030
	x = x*10 + x>>8
	x = ((x&mask)*mul1 + ((x>>16)&mask)*mul2) >> 32
	return uint64(uint32(x))
}
