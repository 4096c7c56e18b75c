package npz

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Array is one array: Shape is (n) or (n, d); exactly one of F32 and F64
// holds the values, row-major.
type Array struct {
	Shape []int
	F32   []float32
	F64   []float64
}

// Write writes the arrays, in the order of names, to path.
func Write(path string, names []string, arrays map[string]Array) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	z := zip.NewWriter(f)
	for _, name := range names {
		a := arrays[name]
		w, err := z.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		if err := writeNPY(w, a); err != nil {
			return fmt.Errorf("npz: %s: %w", name, err)
		}
	}
	return z.Close()
}

func writeNPY(w io.Writer, a Array) error {
	descr, n := "<f8", len(a.F64)
	if a.F32 != nil {
		descr, n = "<f4", len(a.F32)
	}
	size := 1
	dims := make([]string, len(a.Shape))
	for i, s := range a.Shape {
		size *= s
		dims[i] = strconv.Itoa(s)
	}
	if size != n {
		return fmt.Errorf("shape %v does not match %d values", a.Shape, n)
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	// Magic (6) + version (2) + header length (2) + header + '\n' must be
	// a multiple of 64.
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	var pre [10]byte
	copy(pre[:], "\x93NUMPY\x01\x00")
	binary.LittleEndian.PutUint16(pre[8:], uint16(len(header)))
	if _, err := w.Write(pre[:]); err != nil {
		return err
	}
	if _, err := io.WriteString(w, header); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	flush := func() error {
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, v := range a.F32 {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, v := range a.F64 {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		if len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// Read reads every array in the .npz file at path.
func Read(path string) (map[string]Array, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	out := map[string]Array{}
	for _, f := range z.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, err
		}
		a, err := readNPY(b)
		if err != nil {
			return nil, fmt.Errorf("npz: %s in %s: %w", f.Name, path, err)
		}
		out[name] = a
	}
	return out, nil
}

var (
	descrRE = regexp.MustCompile(`'descr':\s*'([<>|]?[a-z]\d)'`)
	orderRE = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	shapeRE = regexp.MustCompile(`'shape':\s*\(([\d,\s]*)\)`)
)

func readNPY(b []byte) (Array, error) {
	if len(b) < 10 || !bytes.HasPrefix(b, []byte("\x93NUMPY")) {
		return Array{}, errors.New("not a .npy array")
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		if len(b) < 12 {
			return Array{}, errors.New("truncated header")
		}
		hlen, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return Array{}, fmt.Errorf("unsupported .npy version %d", b[6])
	}
	if off+hlen > len(b) {
		return Array{}, errors.New("truncated header")
	}
	header, data := string(b[off:off+hlen]), b[off+hlen:]
	m := descrRE.FindStringSubmatch(header)
	if m == nil {
		return Array{}, fmt.Errorf("no descr in header %q", header)
	}
	if o := orderRE.FindStringSubmatch(header); o == nil || o[1] != "False" {
		return Array{}, errors.New("only C-order arrays are supported")
	}
	s := shapeRE.FindStringSubmatch(header)
	if s == nil {
		return Array{}, fmt.Errorf("no shape in header %q", header)
	}
	var a Array
	size := 1
	for _, f := range strings.Split(s[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return Array{}, err
		}
		a.Shape = append(a.Shape, v)
		size *= v
	}
	switch m[1] {
	case "<f4":
		if len(data) != 4*size {
			return Array{}, fmt.Errorf("%d bytes of data, want %d", len(data), 4*size)
		}
		a.F32 = make([]float32, size)
		for i := range a.F32 {
			a.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case "<f8":
		if len(data) != 8*size {
			return Array{}, fmt.Errorf("%d bytes of data, want %d", len(data), 8*size)
		}
		a.F64 = make([]float64, size)
		for i := range a.F64 {
			a.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
	default:
		return Array{}, fmt.Errorf("dtype %s: only <f4 and <f8 are supported", m[1])
	}
	return a, nil
}
