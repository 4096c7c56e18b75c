package load

import (
	"fmt"
	"math"
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
// wholly known. The engine has checked the schema's constraints (the
// ranges of features.dim, split.test and split.seed).
func parseConfig(cfg cty.Value, partial bool) (*config, []*steps.AttrError) {
	p := &configParser{cfg: cfg, partial: partial}
	c := &config{maxInvalid: -1, delimiter: ','}
	c.paths = p.paths()
	c.format = p.str("format")
	if c.format != "" && c.format != "csv" && c.format != "parquet" {
		p.bad(steps.AttrPath("format"), "Unknown format", `format must be "csv" or "parquet", not %q.`, c.format)
	}
	p.labels(c)
	p.features(c)
	c.id, c.text, c.weight = p.str("id"), p.str("text"), p.str("weight")
	for _, name := range []string{"id", "text", "weight"} {
		if _, ok := p.attr(name); ok && p.str(name) == "" {
			p.bad(steps.AttrPath(name), "Empty column name", "%s names a column; remove it or name the column.", name)
		}
	}
	c.split = p.split()
	p.invalid(c)
	if v, ok := p.attr("delimiter"); ok {
		d := v.AsString()
		if len(d) != 1 || d == `"` || d == "\n" || d == "\r" || d[0] >= 0x80 {
			p.bad(steps.AttrPath("delimiter"), "Invalid delimiter",
				`delimiter must be one ASCII character other than a quote or a line break, e.g. "," or ";" or "\t"; not %q.`, d)
		} else {
			c.delimiter = d[0]
		}
	}
	if len(p.errs) == 0 {
		p.clashes(c)
	}
	return c, p.errs
}

// configParser collects the problems of a load block's configuration.
type configParser struct {
	cfg     cty.Value
	partial bool
	errs    []*steps.AttrError
}

func (p *configParser) bad(path cty.Path, summary, format string, args ...any) {
	p.errs = append(p.errs, steps.Errorf(path, summary, format, args...))
}

// attr returns the named attribute and whether it is wholly known and not
// null.
func (p *configParser) attr(name string) (cty.Value, bool) {
	v := p.cfg.GetAttr(name)
	if !v.IsWhollyKnown() {
		return v, false
	}
	return v, !v.IsNull()
}

// str returns a string attribute, "" when it is null or not known.
func (p *configParser) str(name string) string {
	if v, ok := p.attr(name); ok {
		return v.AsString()
	}
	return ""
}

// paths reads path: a string or a list of strings.
func (p *configParser) paths() []string {
	v, ok := p.attr("path")
	if !ok {
		if v.IsKnown() && !p.partial {
			p.bad(steps.AttrPath("path"), "Missing path", "Set path to the CSV or Parquet files to read.")
		}
		return nil
	}
	var paths []string
	ty := v.Type()
	switch {
	case ty == cty.String:
		paths = []string{v.AsString()}
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			if e.IsNull() || e.Type() != cty.String {
				p.bad(steps.AttrPath("path").IndexInt(i), "Path is not a string",
					"Each element of path must be a string: a file, glob or folder.")
				continue
			}
			paths = append(paths, e.AsString())
		}
	default:
		p.bad(steps.AttrPath("path"), "Invalid path",
			"path must be a string or a list of strings (files, globs or folders), not %s.", ty.FriendlyName())
	}
	if len(paths) == 0 && len(p.errs) == 0 {
		p.bad(steps.AttrPath("path"), "No path", "path is an empty list; name at least one file, glob or folder.")
	}
	for i, s := range paths {
		if strings.TrimSpace(s) == "" {
			path := steps.AttrPath("path")
			if ty != cty.String {
				path = path.IndexInt(i)
			}
			p.bad(path, "Empty path", "A path must name a file, glob or folder.")
		}
	}
	return paths
}

// labels reads label, positive and negative.
func (p *configParser) labels(c *config) {
	c.label = p.str("label")
	if _, ok := p.attr("label"); ok && c.label == "" {
		p.bad(steps.AttrPath("label"), "Empty label column", "label names the column holding class labels.")
	}
	if v, ok := p.attr("positive"); ok {
		lv, err := newLabelValue(v)
		if err != nil {
			p.bad(steps.AttrPath("positive"), "Invalid positive label", "%s", err)
		}
		c.positive = lv
	}
	v, ok := p.attr("negative")
	if !ok {
		return
	}
	lv, err := newLabelValue(v)
	if err != nil {
		p.bad(steps.AttrPath("negative"), "Invalid negative label", "%s", err)
		return
	}
	c.negative = &lv
	if cv, ok := p.attr("positive"); ok && cv.Type() == v.Type() && cv.RawEquals(v) {
		p.bad(steps.AttrPath("negative"), "Negative equals positive",
			"negative and positive are both %s; they must name the two different classes.", lv)
	}
}

// features reads the features object: a prefix or a column, and dim.
func (p *configParser) features(c *config) {
	v, ok := p.attr("features")
	if !ok {
		return
	}
	prefix, column := v.GetAttr("prefix"), v.GetAttr("column")
	hasPrefix := prefix.IsKnown() && !prefix.IsNull()
	hasColumn := column.IsKnown() && !column.IsNull()
	switch {
	case hasPrefix && hasColumn:
		p.bad(steps.AttrPath("features"), "Both prefix and column",
			`Set features.prefix for wide columns (emb_0, emb_1, ...) or features.column for one vector column, not both.`)
	case hasPrefix:
		c.prefix = prefix.AsString()
		if c.prefix == "" {
			p.bad(steps.AttrPath("features", "prefix"), "Empty prefix", `The prefix names the wide columns, e.g. "emb_" for emb_0, emb_1, ...`)
		}
	case hasColumn:
		c.column = column.AsString()
		if c.column == "" {
			p.bad(steps.AttrPath("features", "column"), "Empty column", "features.column names the column holding the vectors.")
		}
	default:
		p.bad(steps.AttrPath("features"), "No feature columns",
			`Set features = { prefix = "emb_", dim = 584 } for wide columns, or { column = "embedding", dim = 584 } for one vector column.`)
	}
	if d := v.GetAttr("dim"); d.IsKnown() {
		if d.IsNull() {
			p.bad(steps.AttrPath("features", "dim"), "Missing dim", "Set features.dim to the embedding width, e.g. 584.")
		} else {
			n, _ := d.AsBigFloat().Int64()
			c.dim = int(n)
		}
	}
}

// split reads the split object, nil when there is none.
func (p *configParser) split() *splitConfig {
	v, ok := p.attr("split")
	if !ok {
		return nil
	}
	s := &splitConfig{stratify: false}
	if t := v.GetAttr("test"); !t.IsNull() {
		s.test, _ = t.AsBigFloat().Float64()
	} else {
		p.bad(steps.AttrPath("split", "test"), "Missing test fraction", "Set split.test to the fraction of rows held out, e.g. 0.2.")
	}
	if seed := v.GetAttr("seed"); !seed.IsNull() {
		s.seed, _ = seed.AsBigFloat().Uint64()
	}
	if st := v.GetAttr("stratify"); !st.IsNull() {
		s.stratify = st.True()
	}
	if g := v.GetAttr("group"); !g.IsNull() {
		s.group = g.AsString()
		if s.group == "" {
			p.bad(steps.AttrPath("split", "group"), "Empty group column", "split.group names the column whose equal values stay on one side of the split.")
		}
	}
	return s
}

// invalid reads on_invalid and max_invalid.
func (p *configParser) invalid(c *config) {
	switch s := p.str("on_invalid"); s {
	case "", "fail":
	case "skip":
		c.skip = true
	default:
		p.bad(steps.AttrPath("on_invalid"), "Unknown on_invalid", `on_invalid must be "fail" or "skip", not %q.`, s)
	}
	v, ok := p.attr("max_invalid")
	if !ok {
		return
	}
	f, _ := v.AsBigFloat().Float64()
	switch {
	case !c.skip && p.str("on_invalid") != "":
		p.bad(steps.AttrPath("max_invalid"), "max_invalid without skip",
			`max_invalid only matters with on_invalid = "skip"; set that, or remove max_invalid.`)
	case f < 0 || math.IsInf(f, 0):
		p.bad(steps.AttrPath("max_invalid"), "Invalid max_invalid", "max_invalid must be a count (>= 1) or a fraction of rows (< 1), not %g.", f)
	case f >= 1 && f != math.Trunc(f):
		p.bad(steps.AttrPath("max_invalid"), "Invalid max_invalid", "A max_invalid of 1 or more is a count of rows and must be whole, not %g.", f)
	}
	c.maxInvalid = f
}

// clashes reports columns that two attributes name.
func (p *configParser) clashes(c *config) {
	used := map[string]string{}
	claim := func(col, attrName string, path cty.Path) {
		if col == "" {
			return
		}
		if prev, dup := used[col]; dup {
			p.bad(path, "Column used twice", "%s and %s both name column %q.", prev, attrName, col)
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
			p.bad(steps.AttrPath("split", "group"), "Invalid group column",
				"split.group %q is the label, weight or a feature column; name a column of ids or texts whose equal values must stay together.", g)
		}
	}
	if c.prefix == "" {
		return
	}
	for col, name := range used {
		if isPrefixed(col, c.prefix) {
			p.bad(steps.AttrPath("features", "prefix"), "Column used twice",
				"%s names column %q, which features.prefix %q also claims.", name, col, c.prefix)
		}
	}
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
