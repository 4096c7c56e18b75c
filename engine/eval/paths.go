package eval

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

// AllowedPaths evaluates settings.allowed_paths with the pipeline's
// variables (and nothing else: the folders must be known before any
// file function runs) and returns the roots of a pipeline in dir: its
// folder, those folders, and extra (from -allow-path and
// PIPE_ALLOWED_PATHS). Relative folders in the settings are relative to
// the pipeline folder. A value not known yet (a variable pipe validate
// leaves without one) gives roots that refuse nothing.
func AllowedPaths(cfg *config.Config, vars map[string]cty.Value, extra []confine.Root) (*confine.Roots, hcl.Diagnostics) {
	if cfg.Settings == nil || cfg.Settings.AllowedPaths == nil {
		return confine.New(cfg.Dir, extra), nil
	}
	expr := cfg.Settings.AllowedPaths
	scope := &lang.Scope{Dir: cfg.Dir, Vars: vars}
	v, diags := expr.Value(scope.EvalContext())
	if diags.HasErrors() {
		return confine.New(cfg.Dir, extra), diags
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return confine.Unknown(cfg.Dir), nil
	}
	bad := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid setting",
		Detail:   fmt.Sprintf("settings.allowed_paths must be a list of folders, e.g. [\"/data\", \"../shared\"], not %s.", lang.Display(v)),
		Subject:  expr.Range().Ptr(),
	}
	if v.IsNull() || !(v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType()) {
		return confine.New(cfg.Dir, extra), hcl.Diagnostics{bad}
	}
	roots := append([]confine.Root{}, extra...)
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String || e.AsString() == "" || strings.Contains(e.AsString(), "://") {
			return confine.New(cfg.Dir, extra), hcl.Diagnostics{bad}
		}
		roots = append(roots, confine.Root{Path: e.AsString(), From: "settings.allowed_paths"})
	}
	return confine.New(cfg.Dir, roots), nil
}

// Paths checks the attributes a schema declares as paths
// (steps.Attribute.Path) in cfg, an evaluated configuration that may hold
// lang.Sensitive marks: every known local path must lead inside roots.
// It returns a problem for each that does not, at its place in the
// attribute; a sensitive path is not quoted.
func Paths(schema *steps.Schema, cfg cty.Value, roots *confine.Roots) []*steps.AttrError {
	var bad []*steps.AttrError
	for _, a := range schema.Attributes {
		if a.Path == steps.NotAPath {
			continue
		}
		v := cfg.GetAttr(a.Name)
		check := func(path cty.Path, s cty.Value) {
			sensitive := s.HasMark(lang.Sensitive)
			s, _ = s.Unmark()
			if !s.IsKnown() || s.IsNull() || s.Type() != cty.String {
				return
			}
			err := confine.Written(roots.CheckLocation(globPrefix(s.AsString())), s.AsString())
			if err == nil {
				return
			}
			detail := err.Error()
			var esc *confine.EscapeError
			if sensitive && errors.As(err, &esc) {
				detail = esc.Hiding(lang.Redacted)
			}
			bad = append(bad, &steps.AttrError{Path: path, Summary: "Path outside the pipeline folder",
				Detail: steps.FormatPath(path) + ": " + detail + "."})
		}
		path := cty.GetAttrPath(a.Name)
		sensitive := v.HasMark(lang.Sensitive)
		v, _ = v.Unmark()
		switch {
		case !v.IsKnown() || v.IsNull():
		case v.Type() == cty.String:
			if sensitive {
				v = v.Mark(lang.Sensitive)
			}
			check(path, v)
		case v.Type().IsListType() || v.Type().IsTupleType():
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				if sensitive {
					e = e.Mark(lang.Sensitive)
				}
				check(path.Index(k), e)
			}
		}
	}
	return bad
}

// globPrefix is the part of a path before its first wildcard, up to the
// last separator before it: "data/*.parquet" is checked as "data/".
func globPrefix(p string) string {
	i := strings.IndexAny(p, "*?[")
	if i < 0 {
		return p
	}
	j := strings.LastIndexAny(p[:i], `/\`)
	if j < 0 {
		return "."
	}
	return p[:j+1]
}
