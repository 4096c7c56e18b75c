package steptest

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/filehash"
	"github.com/pipe-ml/pipe/steps"
)

// Config returns the configuration object the engine would give kind for a
// block that sets attrs: one attribute per schema attribute, a given value
// converted to the declared type (cty.DynamicPseudoType keeps it as is), an
// omitted or null one replaced by its default, or null when it has none.
// Values may be unknown, as at plan time. A name the schema does not
// declare, a required attribute left out or null, or a value that does not
// convert fails the test: that is a mistake in the test, which the engine
// would have reported as a diagnostic before the step ran.
func Config(t testing.TB, kind steps.Kind, attrs map[string]cty.Value) cty.Value {
	t.Helper()
	v, err := configValue(kind.Schema(), attrs)
	if err != nil {
		t.Fatalf("steptest: %s block: %v", kind.Name(), err)
	}
	return v
}

func configValue(s *steps.Schema, attrs map[string]cty.Value) (cty.Value, error) {
	for name := range attrs {
		if _, ok := s.Attribute(name); !ok {
			var names []string
			for _, a := range s.Attributes {
				names = append(names, a.Name)
			}
			return cty.NilVal, fmt.Errorf("no attribute %q; the schema declares %s", name, strings.Join(names, ", "))
		}
	}
	obj := make(map[string]cty.Value, len(s.Attributes))
	for _, a := range s.Attributes {
		v, ok := attrs[a.Name]
		if !ok || v.IsNull() {
			switch {
			case a.Required:
				return cty.NilVal, fmt.Errorf("attribute %q is required", a.Name)
			case a.Default != cty.NilVal:
				v = a.Default
			default:
				v = cty.NullVal(a.Type)
			}
		}
		if a.Type != cty.DynamicPseudoType {
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				return cty.NilVal, fmt.Errorf("attribute %q: %v", a.Name, err)
			}
			v = cv
		}
		obj[a.Name] = v
	}
	return cty.ObjectVal(obj), nil
}

// Validate returns the problems the engine finds in the configuration
// built from attrs: first those with the constraints the kind's schema
// declares (checked by engine/eval), then those the kind's Validate finds,
// if it has one, with the values at fault made unknown as the engine does.
// The messages about artifacts know the kinds of artifact of kind alone.
func Validate(t testing.TB, kind steps.Kind, attrs map[string]cty.Value) []*steps.AttrError {
	t.Helper()
	cfg := Config(t, kind, attrs)
	cfg, errs := eval.Constraints(kind.Schema(), cfg, steps.NewCatalog(kind))
	if v, ok := kind.(steps.Validator); ok {
		errs = append(errs, v.Validate(cfg)...)
	}
	return errs
}

// Inputs builds what kind's Run receives for a block that sets attrs: the
// configuration (see Config), which must be wholly known, the pipeline
// folder, and for a steps.FileReader its input files, hashed. An error
// from InputFiles or from hashing is returned, as the engine would report
// it at plan time.
func (e *Env) Inputs(kind steps.Kind, attrs map[string]cty.Value) (*steps.Inputs, error) {
	e.t.Helper()
	cfg := Config(e.t, kind, attrs)
	if !cfg.IsWhollyKnown() {
		e.t.Fatalf("steptest: %s block: the configuration holds unknown values; Run needs known ones", kind.Name())
	}
	in := &steps.Inputs{Config: cfg, Dir: e.Dir()}
	fr, ok := kind.(steps.FileReader)
	if !ok {
		return in, nil
	}
	paths, err := fr.InputFiles(cfg, e.Dir())
	if err != nil {
		return nil, err
	}
	hashes := filehash.New(e.t.TempDir(), nil)
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(p) {
			abs = filepath.Join(e.Dir(), filepath.FromSlash(p))
		}
		digest, size, err := hashes.Digest(abs)
		if err != nil {
			return nil, err
		}
		in.Files = append(in.Files, steps.File{Path: p, Abs: abs, Digest: digest, Size: size})
	}
	return in, nil
}

// Run runs kind for a block that sets attrs, as the engine would: it
// builds the configuration, runs Validate (a problem that is not a warning
// is returned as the error, joined with the others; warnings are recorded
// as the Env's warnings), hashes the input files, runs the step with the
// test's context, and checks the outputs against the schema, failing the
// test when one is missing, undeclared, of the wrong type, not wholly
// known, an artifact missing from the store or of a media type the output
// does not declare.
func (e *Env) Run(kind steps.Kind, attrs map[string]cty.Value) (steps.Outputs, error) {
	e.t.Helper()
	var problems []error
	for _, p := range Validate(e.t, kind, attrs) {
		if p.Warning {
			e.Warn(p.Summary, p.Detail)
			continue
		}
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	in, err := e.Inputs(kind, attrs)
	if err != nil {
		return nil, err
	}
	out, err := kind.Run(e.t.Context(), e, in)
	// As the engine does: what the step read in place is checked before
	// its outputs count, and released after.
	if verr := e.Verify(e.t.Context()); verr != nil {
		err = verr
	}
	e.Release()
	if err != nil {
		return out, err
	}
	e.checkOutputs(kind, out)
	return out, nil
}

func (e *Env) checkOutputs(kind steps.Kind, out steps.Outputs) {
	e.t.Helper()
	s := kind.Schema()
	var extra []string
	for name := range out {
		if _, ok := s.Output(name); !ok {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		e.t.Errorf("steptest: %s returned output %q, which its schema does not declare", kind.Name(), name)
	}
	for _, o := range s.Outputs {
		v, ok := out[o.Name]
		switch {
		case !ok || v == cty.NilVal:
			e.t.Errorf("steptest: %s did not return output %q (return a null value of its type for none)", kind.Name(), o.Name)
			continue
		case !v.IsWhollyKnown():
			e.t.Errorf("steptest: %s output %q is not wholly known", kind.Name(), o.Name)
			continue
		}
		if errs := v.Type().TestConformance(o.Type); len(errs) > 0 {
			e.t.Errorf("steptest: %s output %q is %s, not %s as declared: %v", kind.Name(), o.Name, v.Type().FriendlyName(), o.Type.FriendlyName(), errs[0])
			continue
		}
		if o.Type.Equals(steps.ArtifactType) && !v.IsNull() {
			a, err := steps.ArtifactFromValue(v)
			if err != nil {
				e.t.Errorf("steptest: %s output %q: %v", kind.Name(), o.Name, err)
				continue
			}
			if size, err := e.Store().Stat(e.t.Context(), a.Digest); err != nil || size != a.Size {
				e.t.Errorf("steptest: %s output %q: artifact %s is not in the store as described (size %d, %v)", kind.Name(), o.Name, a, size, err)
			}
			if len(o.Media) > 0 && !slices.ContainsFunc(o.Media, func(m steps.Media) bool { return m.Type == a.MediaType }) {
				e.t.Errorf("steptest: %s output %q is of media type %s, which its schema does not declare", kind.Name(), o.Name, a.MediaType)
			}
		}
	}
}
