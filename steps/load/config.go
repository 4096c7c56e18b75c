package load

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
)

// config is a load block's configuration, checked.
type config struct {
	paths    []string
	format   string // "", "csv" or "parquet"
	label    string
	positive labelValue
	negative *labelValue
	prefix   string // wide layout
	column   string // one vector column
	dim      int
	id       string
	text     string
	weight   string
	split    *splitConfig
	skip     bool
	// maxInvalid is a count when >= 1, a fraction of rows when < 1, and
	// unlimited when negative.
	maxInvalid float64
	delimiter  byte
}

// splitConfig is the split attribute.
type splitConfig struct {
	test     float64
	seed     uint64
	stratify bool
	group    string
}

// featureDesc describes the features for the dataset metadata.
func (c *config) featureDesc() string {
	if c.column != "" {
		return fmt.Sprintf("column %s, dim %d", c.column, c.dim)
	}
	return fmt.Sprintf("prefix %s, dim %d", c.prefix, c.dim)
}

// parseConfig checks cfg and returns it as a config. With partial set
// (validate and plan time) unknown values are skipped; otherwise cfg is
// wholly known.
func parseConfig(cfg cty.Value, partial bool) (*config, []*steps.AttrError) {
	var errs []*steps.AttrError
	bad := func(path cty.Path, summary, format string, args ...any) {
		errs = append(errs, steps.Errorf(path, summary, format, args...))
	}
	c := &config{maxInvalid: -1, delimiter: ','}
	attr := func(name string) (cty.Value, bool) {
		v := cfg.GetAttr(name)
		if !v.IsWhollyKnown() {
			return v, false
		}
		return v, !v.IsNull()
	}
	str := func(name string) string {
		if v, ok := attr(name); ok {
			return v.AsString()
		}
		return ""
	}

	// path: a string or a list of strings.
	if v, ok := attr("path"); ok {
		ty := v.Type()
		switch {
		case ty == cty.String:
			c.paths = []string{v.AsString()}
		case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
			i := 0
			for it := v.ElementIterator(); it.Next(); i++ {
				_, e := it.Element()
				if e.IsNull() || e.Type() != cty.String {
					bad(steps.AttrPath("path").IndexInt(i), "Path is not a string",
						"Each element of path must be a string: a file, glob or folder.")
					continue
				}
				c.paths = append(c.paths, e.AsString())
			}
		default:
			bad(steps.AttrPath("path"), "Invalid path",
				"path must be a string or a list of strings (files, globs or folders), not %s.", ty.FriendlyName())
		}
		if ok && len(c.paths) == 0 && len(errs) == 0 {
			bad(steps.AttrPath("path"), "No path", "path is an empty list; name at least one file, glob or folder.")
		}
		for i, p := range c.paths {
			if strings.TrimSpace(p) == "" {
				path := steps.AttrPath("path")
				if ty != cty.String {
					path = path.IndexInt(i)
				}
				bad(path, "Empty path", "A path must name a file, glob or folder.")
			}
		}
	} else if v.IsKnown() && !partial {
		bad(steps.AttrPath("path"), "Missing path", "Set path to the CSV or Parquet files to read.")
	}

	c.format = str("format")
	if c.format != "" && c.format != "csv" && c.format != "parquet" {
		bad(steps.AttrPath("format"), "Unknown format", `format must be "csv" or "parquet", not %q.`, c.format)
	}
	c.label = str("label")
	if _, ok := attr("label"); ok && c.label == "" {
		bad(steps.AttrPath("label"), "Empty label column", "label names the column holding class labels.")
	}

	if v, ok := attr("positive"); ok {
		lv, err := newLabelValue(v)
		if err != nil {
			bad(steps.AttrPath("positive"), "Invalid positive label", "%s", err)
		}
		c.positive = lv
	}
	if v, ok := attr("negative"); ok {
		lv, err := newLabelValue(v)
		if err != nil {
			bad(steps.AttrPath("negative"), "Invalid negative label", "%s", err)
		} else {
			c.negative = &lv
			if cv, ok := attr("positive"); ok && cv.Type() == v.Type() && cv.RawEquals(v) {
				bad(steps.AttrPath("negative"), "Negative equals positive",
					"negative and positive are both %s; they must name the two different classes.", lv)
			}
		}
	}

	if v, ok := attr("features"); ok {
		prefix, column := v.GetAttr("prefix"), v.GetAttr("column")
		hasPrefix := prefix.IsKnown() && !prefix.IsNull()
		hasColumn := column.IsKnown() && !column.IsNull()
		switch {
		case hasPrefix && hasColumn:
			bad(steps.AttrPath("features"), "Both prefix and column",
				`Set features.prefix for wide columns (emb_0, emb_1, ...) or features.column for one vector column, not both.`)
		case hasPrefix:
			c.prefix = prefix.AsString()
			if c.prefix == "" {
				bad(steps.AttrPath("features", "prefix"), "Empty prefix", `The prefix names the wide columns, e.g. "emb_" for emb_0, emb_1, ...`)
			}
		case hasColumn:
			c.column = column.AsString()
			if c.column == "" {
				bad(steps.AttrPath("features", "column"), "Empty column", "features.column names the column holding the vectors.")
			}
		default:
			bad(steps.AttrPath("features"), "No feature columns",
				`Set features = { prefix = "emb_", dim = 584 } for wide columns, or { column = "embedding", dim = 584 } for one vector column.`)
		}
		if d := v.GetAttr("dim"); d.IsKnown() {
			if d.IsNull() {
				bad(steps.AttrPath("features", "dim"), "Missing dim", "Set features.dim to the embedding width, e.g. 584.")
			} else if n, err := steps.IntValue(d, steps.AttrPath("features", "dim")); err != nil {
				errs = append(errs, err.(*steps.AttrError))
			} else if n < 1 || n > 1<<20 {
				bad(steps.AttrPath("features", "dim"), "Invalid dim", "features.dim must be between 1 and 1048576, not %d.", n)
			} else {
				c.dim = n
			}
		}
	}

	c.id, c.text, c.weight = str("id"), str("text"), str("weight")
	for _, name := range []string{"id", "text", "weight"} {
		if _, ok := attr(name); ok && str(name) == "" {
			bad(steps.AttrPath(name), "Empty column name", "%s names a column; remove it or name the column.", name)
		}
	}

	if v, ok := attr("split"); ok {
		c.split = &splitConfig{stratify: false}
		if t := v.GetAttr("test"); !t.IsNull() {
			f, _ := t.AsBigFloat().Float64()
			if !(f > 0 && f < 1) {
				bad(steps.AttrPath("split", "test"), "Invalid test fraction",
					"split.test is the fraction of rows held out for testing, between 0 and 1 (exclusive), e.g. 0.2; not %s.", t.AsBigFloat().Text('g', -1))
			}
			c.split.test = f
		} else {
			bad(steps.AttrPath("split", "test"), "Missing test fraction", "Set split.test to the fraction of rows held out, e.g. 0.2.")
		}
		if s := v.GetAttr("seed"); !s.IsNull() {
			bf := s.AsBigFloat()
			u, acc := bf.Uint64()
			if acc != big.Exact || !bf.IsInt() || bf.Sign() < 0 {
				bad(steps.AttrPath("split", "seed"), "Invalid seed", "split.seed must be a whole number >= 0, not %s.", bf.Text('g', -1))
			}
			c.split.seed = u
		}
		if s := v.GetAttr("stratify"); !s.IsNull() {
			c.split.stratify = s.True()
		}
		if g := v.GetAttr("group"); !g.IsNull() {
			c.split.group = g.AsString()
			if c.split.group == "" {
				bad(steps.AttrPath("split", "group"), "Empty group column", "split.group names the column whose equal values stay on one side of the split.")
			}
		}
	}

	switch s := str("on_invalid"); s {
	case "", "fail":
	case "skip":
		c.skip = true
	default:
		bad(steps.AttrPath("on_invalid"), "Unknown on_invalid", `on_invalid must be "fail" or "skip", not %q.`, s)
	}
	if v, ok := attr("max_invalid"); ok {
		f, _ := v.AsBigFloat().Float64()
		switch {
		case !c.skip && str("on_invalid") != "":
			bad(steps.AttrPath("max_invalid"), "max_invalid without skip",
				`max_invalid only matters with on_invalid = "skip"; set that, or remove max_invalid.`)
		case f < 0 || math.IsInf(f, 0):
			bad(steps.AttrPath("max_invalid"), "Invalid max_invalid", "max_invalid must be a count (>= 1) or a fraction of rows (< 1), not %g.", f)
		case f >= 1 && f != math.Trunc(f):
			bad(steps.AttrPath("max_invalid"), "Invalid max_invalid", "A max_invalid of 1 or more is a count of rows and must be whole, not %g.", f)
		}
		c.maxInvalid = f
	}

	if v, ok := attr("delimiter"); ok {
		d := v.AsString()
		if len(d) != 1 || d == `"` || d == "\n" || d == "\r" || d[0] >= 0x80 {
			bad(steps.AttrPath("delimiter"), "Invalid delimiter",
				`delimiter must be one ASCII character other than a quote or a line break, e.g. "," or ";" or "\t"; not %q.`, d)
		} else {
			c.delimiter = d[0]
		}
	}

	// Column names that must not clash.
	if len(errs) == 0 {
		used := map[string]string{}
		claim := func(col, attrName string, path cty.Path) {
			if col == "" {
				return
			}
			if prev, dup := used[col]; dup {
				bad(path, "Column used twice", "%s and %s both name column %q.", prev, attrName, col)
				return
			}
			used[col] = attrName
		}
		claim(c.label, "label", steps.AttrPath("label"))
		claim(c.column, "features.column", steps.AttrPath("features", "column"))
		claim(c.id, "id", steps.AttrPath("id"))
		claim(c.text, "text", steps.AttrPath("text"))
		claim(c.weight, "weight", steps.AttrPath("weight"))
		if c.split != nil {
			if g := c.split.group; g != "" && (g == c.label || g == c.weight || g == c.column || c.prefix != "" && isPrefixed(g, c.prefix)) {
				bad(steps.AttrPath("split", "group"), "Invalid group column",
					"split.group %q is the label, weight or a feature column; name a column of ids or texts whose equal values must stay together.", g)
			}
		}
		if c.prefix != "" {
			for col, name := range used {
				if rest, ok := strings.CutPrefix(col, c.prefix); ok {
					if _, err := strconv.Atoi(rest); err == nil {
						bad(steps.AttrPath("features", "prefix"), "Column used twice",
							"%s names column %q, which features.prefix %q also claims.", name, col, c.prefix)
					}
				}
			}
		}
	}
	return c, errs
}

// isPrefixed reports whether col is one of the wide feature columns
// PREFIX0, PREFIX1, ...
func isPrefixed(col, prefix string) bool {
	rest, ok := strings.CutPrefix(col, prefix)
	if !ok {
		return false
	}
	_, err := strconv.Atoi(rest)
	return err == nil
}
