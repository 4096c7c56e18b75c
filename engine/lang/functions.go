package lang

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/pipe-ml/pipe/engine/confine"
)

// Functions returns the functions a pipeline in folder dir may call, its
// file functions confined to dir.
func Functions(dir string) map[string]function.Function {
	return FunctionsIn(confine.New(dir, nil))
}

// FunctionsIn returns the functions a pipeline may call, its file
// functions confined to roots: a path outside them is an error that names
// it and the setting that would allow it.
func FunctionsIn(roots *confine.Roots) map[string]function.Function {
	fns := map[string]function.Function{
		// Numbers.
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"log": stdlib.LogFunc, "max": stdlib.MaxFunc, "min": stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc, "signum": stdlib.SignumFunc,
		"sum": sumFunc,
		// Strings.
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "replace": stdlib.ReplaceFunc,
		"split": stdlib.SplitFunc, "strlen": stdlib.StrlenFunc, "strrev": stdlib.ReverseFunc,
		"substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc, "trim": stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace": stdlib.TrimSpaceFunc, "upper": stdlib.UpperFunc,
		// Collections.
		"alltrue": allTrueFunc, "anytrue": anyTrueFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "index": stdlib.IndexFunc,
		"keys": stdlib.KeysFunc, "length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc,
		"merge": stdlib.MergeFunc, "range": stdlib.RangeFunc, "reverse": stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc, "setproduct": stdlib.SetProductFunc,
		"setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "values": stdlib.ValuesFunc,
		"zipmap": stdlib.ZipmapFunc,
		// Encoding and hashing.
		"base64encode": base64EncodeFunc, "base64decode": base64DecodeFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc, "sha256": hashFunc(sha256Hex), "md5": hashFunc(md5Hex),
		// Types.
		"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool": stdlib.MakeToFunc(cty.Bool),
		"tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset":  stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tomap":  stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"try":    tryfunc.TryFunc, "can": tryfunc.CanFunc,
		// Search spaces.
		"uniform": uniformFunc, "loguniform": logUniformFunc,
	}
	for name, fn := range fileFunctions(roots) {
		fns[name] = fn
	}
	return fns
}

var sumFunc = function.New(&function.Spec{
	Description: "Adds the numbers in a list.",
	Params:      []function.Parameter{{Name: "list", Type: cty.List(cty.Number)}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		total := cty.Zero
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if v.IsNull() {
				return cty.NilVal, function.NewArgErrorf(0, "sum of a list with a null element")
			}
			total = total.Add(v)
		}
		return total, nil
	},
})

func boolReduce(name string, all bool) function.Function {
	return function.New(&function.Spec{
		Description: fmt.Sprintf("Reports whether %s of the booleans in a list are true.", map[bool]string{true: "all", false: "any"}[all]),
		Params:      []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			for it := args[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				t := !v.IsNull() && v.True()
				if t != all {
					return cty.BoolVal(!all), nil
				}
			}
			return cty.BoolVal(all), nil
		},
	})
}

var (
	allTrueFunc = boolReduce("alltrue", true)
	anyTrueFunc = boolReduce("anytrue", false)
)

var base64EncodeFunc = function.New(&function.Spec{
	Description: "Encodes a string as Base64.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Description: "Decodes a Base64 string holding UTF-8 text.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "not valid Base64: %s", err)
		}
		if !utf8.Valid(b) {
			return cty.NilVal, function.NewArgErrorf(0, "the decoded bytes are not UTF-8 text")
		}
		return cty.StringVal(string(b)), nil
	},
})

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func md5Hex(b []byte) string    { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func hashFunc(h func([]byte) string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the hex digest of a string's UTF-8 bytes.",
		Params:      []function.Parameter{{Name: "str", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(h([]byte(args[0].AsString()))), nil
		},
	})
}

// fileFunctions are the functions that read the file system. Relative
// paths are relative to the pipeline's folder, not to the working
// directory, so a pipeline means the same thing wherever it is run from;
// every path a function reads must stay inside roots, links resolved.
func fileFunctions(roots *confine.Roots) map[string]function.Function {
	dir := roots.Dir()
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(dir, p)
	}
	pathFn := func(desc string, impl func(string) string) function.Function {
		return function.New(&function.Spec{
			Description: desc,
			Params:      []function.Parameter{{Name: "path", Type: cty.String}},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.StringVal(impl(args[0].AsString())), nil
			},
		})
	}
	fns := readingFunctions(roots, resolve)
	fns["abspath"] = pathFn("Returns an absolute path, resolving a relative one against the pipeline folder. An absolute path in a step's configuration differs from machine to machine, and so does the step's cache key.", resolve)
	fns["basename"] = pathFn("Returns the last element of a path.", filepath.Base)
	fns["dirname"] = pathFn("Returns all but the last element of a path.", filepath.Dir)
	return fns
}

// readingFunctions are file, filesha256 and fileexists: each refuses a
// path outside roots, naming it and how to allow it.
func readingFunctions(roots *confine.Roots, resolve func(string) string) map[string]function.Function {
	confined := func(p string) (string, error) {
		if err := roots.Check(p); err != nil {
			return "", function.NewArgErrorf(0, "%s", err)
		}
		return resolve(p), nil
	}
	readFile := func(p string) ([]byte, error) {
		abs, err := confined(p)
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(abs)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, function.NewArgErrorf(0, "no file exists at %s (relative paths are relative to the pipeline folder)", p)
			}
			return nil, function.NewArgErrorf(0, "cannot read %s: %s", p, err)
		}
		return b, nil
	}
	return map[string]function.Function{
		"file": function.New(&function.Spec{
			Description: "Reads a UTF-8 text file, relative to the pipeline folder.",
			Params:      []function.Parameter{{Name: "path", Type: cty.String}},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				b, err := readFile(args[0].AsString())
				if err != nil {
					return cty.NilVal, err
				}
				if !utf8.Valid(b) {
					return cty.NilVal, function.NewArgErrorf(0, "%s is not UTF-8 text; use filesha256 to refer to a binary file", args[0].AsString())
				}
				return cty.StringVal(string(b)), nil
			},
		}),
		"filesha256": function.New(&function.Spec{
			Description: "Returns the hex SHA-256 of a file, relative to the pipeline folder.",
			Params:      []function.Parameter{{Name: "path", Type: cty.String}},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				b, err := readFile(args[0].AsString())
				if err != nil {
					return cty.NilVal, err
				}
				return cty.StringVal(sha256Hex(b)), nil
			},
		}),
		"fileexists": function.New(&function.Spec{
			Description: "Reports whether a regular file exists, relative to the pipeline folder.",
			Params:      []function.Parameter{{Name: "path", Type: cty.String}},
			Type:        function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				abs, err := confined(args[0].AsString())
				if err != nil {
					return cty.NilVal, err
				}
				info, err := os.Stat(abs)
				return cty.BoolVal(err == nil && info.Mode().IsRegular()), nil
			},
		}),
	}
}
