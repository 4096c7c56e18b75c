package search

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/steps"
	"github.com/pipe-ml/pipe/steps/shared/logreg"
	"github.com/pipe-ml/pipe/steps/shared/lrconfig"
)

// Strategies.
const (
	Grid   = "grid"
	Random = "random"
)

// maxTrials bounds the trials of one search, a grid's size included: each
// costs one fit per fold.
const maxTrials = 100_000

// space is a parsed search space: the union of one or more sub-grids.
type space struct {
	grids []grid
}

// grid is one object of the space: for each parameter, its candidate
// values or a distribution.
type grid struct {
	path cty.Path // space, or space[i] in a union
	axes []axis   // sorted by key
}

// axis is one parameter of a grid.
type axis struct {
	key  string
	path cty.Path // e.g. space.C
	// values are the candidates, and paths their paths (path[i] for the
	// elements of a list, path for a single value). Empty for a
	// distribution.
	values []cty.Value
	paths  []cty.Path
	dist   *distribution
}

// size is the number of values of a list or scalar axis.
func (a *axis) size() int { return len(a.values) }

// parseSpace checks the space attribute's value v for strategy ("" when
// not known yet). With partial set (plan time) it skips what is not known
// and returns a nil space when anything is unknown; otherwise v is wholly
// known and the space is returned when there are no errors.
func parseSpace(v cty.Value, strategy string, partial bool) (*space, []*steps.AttrError) {
	root := steps.AttrPath("space")
	if !v.IsKnown() {
		return nil, nil
	}
	var errs []*steps.AttrError
	bad := func(path cty.Path, summary, format string, args ...any) {
		errs = append(errs, steps.Errorf(path, summary, format, args...))
	}
	if v.IsNull() {
		bad(root, "Missing search space", `Set space to the parameters to search over, e.g. space = { C = [0.01, 0.1, 1, 10] }.`)
		return nil, errs
	}

	// One object, or a list of them for a union of sub-grids.
	var objects []cty.Value
	var paths []cty.Path
	ty := v.Type()
	switch {
	case ty.IsObjectType() || ty.IsMapType():
		objects, paths = []cty.Value{v}, []cty.Path{root}
	case ty.IsTupleType() || ty.IsListType() || ty.IsSetType():
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			objects = append(objects, e)
			paths = append(paths, root.IndexInt(i))
		}
		if i == 0 {
			bad(root, "Empty search space", `The search space has nothing in it: space is an empty list. Give an object of parameters and their values, e.g. space = { C = [0.01, 0.1, 1, 10] }, or a list of such objects.`)
			return nil, errs
		}
	default:
		bad(root, "Invalid search space", `space must be an object of parameters and their values, e.g. { C = [0.1, 1, 10], penalty = ["l2", "l1"] }, or a list of such objects for a union of grids; not %s.`, ty.FriendlyName())
		return nil, errs
	}

	s := &space{}
	complete := true
	for i, obj := range objects {
		g, ok, gerrs := parseGrid(obj, paths[i], strategy, partial)
		errs = append(errs, gerrs...)
		complete = complete && ok
		s.grids = append(s.grids, g)
	}
	if len(errs) > 0 || !complete {
		return nil, errs
	}
	if strategy == Grid {
		if n := s.gridSize(); n > maxTrials {
			bad(root, "Search space too large", "The grid has %s points; a search runs at most %d trials (each one fit per fold). Search fewer values, or use strategy = \"random\" with trials.", bigCount(n), maxTrials)
			return nil, errs
		}
	}
	return s, nil
}

// parseGrid checks one object of the space. ok is false when something in
// it is not known yet.
func parseGrid(v cty.Value, path cty.Path, strategy string, partial bool) (g grid, ok bool, errs []*steps.AttrError) {
	g.path = path
	bad := func(path cty.Path, summary, format string, args ...any) {
		errs = append(errs, steps.Errorf(path, summary, format, args...))
	}
	if !v.IsKnown() {
		return g, false, nil
	}
	ty := v.Type()
	if v.IsNull() || !(ty.IsObjectType() || ty.IsMapType()) {
		what := "null"
		if !v.IsNull() {
			what = ty.FriendlyName()
		}
		bad(path, "Invalid search space", `%s must be an object of parameters and their values, e.g. { C = [0.1, 1, 10] }, not %s.`, steps.FormatPath(path), what)
		return g, true, errs
	}
	if isDistribution(v) {
		bad(path, "Distribution without a parameter", `%s is a distribution; name the parameter it is for, e.g. { C = loguniform(0.001, 100) }.`, steps.FormatPath(path))
		return g, true, errs
	}
	var keys []string
	for it := v.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		keys = append(keys, k.AsString())
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		bad(path, "Empty search space", `The search space has nothing in it: %s is an empty object. Give at least one parameter and its values, e.g. { C = [0.01, 0.1, 1, 10] }.`, steps.FormatPath(path))
		return g, true, errs
	}

	ok = true
	for _, key := range keys {
		var kv cty.Value
		kp := slices.Clip(path)
		if ty.IsObjectType() {
			kv, kp = v.GetAttr(key), kp.GetAttr(key)
		} else {
			kv, kp = v.Index(cty.StringVal(key)), kp.Index(cty.StringVal(key))
		}
		a, aok, aerrs := parseAxis(key, kv, kp, strategy)
		errs = append(errs, aerrs...)
		if !aok {
			ok = false
			if !partial {
				bad(kp, "Value not known", "%s is not known yet; it must be known when the step runs.", steps.FormatPath(kp))
			}
			continue
		}
		g.axes = append(g.axes, a)
	}
	if len(errs) == 0 && ok {
		errs = append(errs, g.checkL1Ratio()...)
	}
	return g, ok, errs
}

// parseAxis checks the values of one parameter: a distribution, a list of
// values, or one value. ok is false when something is not known yet.
func parseAxis(key string, v cty.Value, path cty.Path, strategy string) (a axis, ok bool, errs []*steps.AttrError) {
	a = axis{key: key, path: path}
	if !slices.Contains(lrconfig.Names(), key) {
		// lrconfig names the parameters and suggests the closest.
		return a, true, []*steps.AttrError{lrconfig.ValidateValue(key, v, path)}
	}
	if !v.IsWhollyKnown() {
		return a, false, nil
	}
	name := steps.FormatPath(path)
	ty := v.Type()
	switch {
	case isDistribution(v):
		d, err := decodeDistribution(v)
		if err != nil {
			return a, true, []*steps.AttrError{steps.Errorf(path, "Invalid distribution", "%s: %v.", name, err)}
		}
		if strategy == Grid {
			return a, true, []*steps.AttrError{steps.Errorf(path, "Distribution in a grid search",
				`%s is %s, which a grid cannot enumerate: set strategy = "random" (with trials) to sample it, or give a list of values.`, name, d)}
		}
		if err := checkDistribution(key, d, path); err != nil {
			return a, true, []*steps.AttrError{err}
		}
		a.dist = &d
	case ty.IsTupleType() || ty.IsListType() || ty.IsSetType():
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			ep := path.IndexInt(i)
			if isDistribution(e) {
				errs = append(errs, steps.Errorf(ep, "Distribution in a list",
					`%s is a distribution inside a list: give it on its own (%s = loguniform(…)) or list plain values.`, steps.FormatPath(ep), key))
				continue
			}
			if err := lrconfig.ValidateValue(key, e, ep); err != nil {
				errs = append(errs, err)
				continue
			}
			a.values = append(a.values, e)
			a.paths = append(a.paths, ep)
		}
		if i == 0 {
			errs = append(errs, steps.Errorf(path, "No values",
				"The search space has nothing in it for %s: the list is empty. Give at least one value, or leave %s out to use its default.", key, key))
		}
	default:
		if err := lrconfig.ValidateValue(key, v, path); err != nil {
			return a, true, []*steps.AttrError{err}
		}
		a.values, a.paths = []cty.Value{v}, []cty.Path{path}
	}
	return a, true, errs
}

// checkDistribution checks that every value d can draw is valid for key.
func checkDistribution(key string, d distribution, path cty.Path) *steps.AttrError {
	name := steps.FormatPath(path)
	if math.IsNaN(d.low) || math.IsNaN(d.high) || math.IsInf(d.low, 0) || math.IsInf(d.high, 0) || !(d.low < d.high) {
		return steps.Errorf(path, "Invalid distribution", "%s is %s: the bounds must be finite, the low one below the high one.", name, d)
	}
	if d.name == "loguniform" && !(d.low > 0) {
		return steps.Errorf(path, "Invalid distribution", "%s is %s: a loguniform distribution needs a low bound above zero.", name, d)
	}
	switch key {
	case lrconfig.KeyC:
		if !(d.low > 0) {
			return steps.Errorf(path, "Invalid C", "%s is %s, which can draw C ≤ 0 or near it; C must be > 0. Use loguniform(%g, %g), or a low bound above zero.", name, d, max(d.high*1e-4, 1e-6), d.high)
		}
	case lrconfig.KeyL1Ratio:
		if d.low < 0 || d.high > 1 {
			return steps.Errorf(path, "Invalid l1_ratio", "%s is %s; l1_ratio is a share between 0 and 1, so the bounds must lie in [0, 1].", name, d)
		}
	case lrconfig.KeyTol:
		if d.low < 0 {
			return steps.Errorf(path, "Invalid tol", "%s is %s; tol must be >= 0.", name, d)
		}
	default:
		return steps.Errorf(path, "Distribution not allowed",
			"%s cannot be drawn from a distribution: only C, l1_ratio and tol can. Give a list of values instead.", key)
	}
	return nil
}

// checkL1Ratio applies the rule that involves two parameters: l1_ratio is
// only for penalty = "elasticnet", which needs it.
func (g *grid) checkL1Ratio() []*steps.AttrError {
	pen, l1 := g.axis(lrconfig.KeyPenalty), g.axis(lrconfig.KeyL1Ratio)
	// The elasticnet values of penalty (null means "l2").
	var en []cty.Path
	var penalties []string
	if pen != nil {
		for i, v := range pen.values {
			s := string(logreg.L2)
			if !v.IsNull() {
				s = v.AsString()
			}
			penalties = append(penalties, fmt.Sprintf("%q", s))
			if s == string(logreg.ElasticNet) {
				en = append(en, pen.paths[i])
			}
		}
	} else {
		penalties = []string{`"l2" (the default)`}
	}
	given := l1 != nil && (l1.dist != nil || slices.ContainsFunc(l1.values, func(v cty.Value) bool { return !v.IsNull() }))
	switch {
	case given && len(en) == 0:
		return []*steps.AttrError{steps.Errorf(l1.path, "l1_ratio without elasticnet",
			`l1_ratio is only used with penalty = "elasticnet", which this space does not try (penalty: %s). Remove l1_ratio, or add "elasticnet" to penalty.`,
			strings.Join(penalties, ", "))}
	case len(en) > 0 && !given:
		return []*steps.AttrError{steps.Errorf(en[0], "Missing l1_ratio",
			`penalty = "elasticnet" mixes l1 and l2: add l1_ratio to the space (the share of l1, between 0 and 1), e.g. l1_ratio = [0.2, 0.5, 0.8].`)}
	case len(en) > 0 && l1.dist == nil:
		for i, v := range l1.values {
			if v.IsNull() {
				return []*steps.AttrError{steps.Errorf(l1.paths[i], "Missing l1_ratio",
					`A null l1_ratio would give elasticnet trials without one: remove it from the list.`)}
			}
		}
	}
	return nil
}

// axis returns the grid's axis for key, or nil.
func (g *grid) axis(key string) *axis {
	for i := range g.axes {
		if g.axes[i].key == key {
			return &g.axes[i]
		}
	}
	return nil
}

// hasDistribution reports whether any grid of s has a distribution.
func (s *space) hasDistribution() bool {
	for _, g := range s.grids {
		for _, a := range g.axes {
			if a.dist != nil {
				return true
			}
		}
	}
	return false
}

// gridSize returns the number of points of the union of the grids, as
// a float64 so that it cannot overflow.
func (s *space) gridSize() float64 {
	n := 0.0
	for _, g := range s.grids {
		n += g.size()
	}
	return n
}

// size returns the number of points of g: the product of its axes'
// sizes, where l1_ratio counts only for elasticnet.
func (g *grid) size() float64 {
	n := 1.0
	for _, a := range g.axes {
		if a.key != lrconfig.KeyL1Ratio {
			n *= float64(a.size())
		}
	}
	if l1 := g.axis(lrconfig.KeyL1Ratio); l1 != nil && l1.size() > 1 {
		en := g.elasticnetShare()
		n = n*(1-en) + n*en*float64(l1.size())
	}
	return n
}

// elasticnetShare is the fraction of g's penalty values that are
// elasticnet.
func (g *grid) elasticnetShare() float64 {
	pen := g.axis(lrconfig.KeyPenalty)
	if pen == nil {
		return 0
	}
	k := 0
	for _, v := range pen.values {
		if !v.IsNull() && v.AsString() == string(logreg.ElasticNet) {
			k++
		}
	}
	return float64(k) / float64(len(pen.values))
}

func bigCount(n float64) string {
	if n < 1e15 {
		return fmt.Sprintf("%.0f", n)
	}
	return fmt.Sprintf("%.3g", n)
}

// Candidates returns the parameters of the trials a search runs for the
// value of its space attribute: every point of the grid for strategy
// "grid", or trials points drawn with seed for "random" (see the package
// documentation). capped is true when a random search over lists only
// has fewer combinations than trials and runs each once. Errors are
// *steps.AttrError values at paths under space, as Validate reports them.
func Candidates(spaceValue cty.Value, strategy string, trials int, seed uint64) (params []logreg.Params, capped bool, err error) {
	if strategy != Grid && strategy != Random {
		return nil, false, steps.Errorf(steps.AttrPath("strategy"), "Unknown strategy", `strategy must be "grid" or "random", not %q.`, strategy)
	}
	if strategy == Random && (trials < 1 || trials > maxTrials) {
		return nil, false, steps.Errorf(steps.AttrPath("trials"), "Invalid trials", "trials must be a whole number from 1 to %d, not %d.", maxTrials, trials)
	}
	s, errs := parseSpace(spaceValue, strategy, false)
	if len(errs) > 0 {
		return nil, false, errs[0]
	}
	return s.candidates(strategy, trials, seed)
}

// candidates decodes the points of the trials s gives.
func (s *space) candidates(strategy string, trials int, seed uint64) (params []logreg.Params, capped bool, err error) {
	var points []point
	if strategy == Random {
		points, capped = s.sample(trials, seed)
	} else {
		points = s.expand()
	}
	params = make([]logreg.Params, len(points))
	for i, pt := range points {
		// Validate checked every value; what is left is a combination
		// lrconfig rejects, reported at the space.
		p, err := lrconfig.Decode(pt.value(), steps.AttrPath("space"))
		if err != nil {
			return nil, false, err
		}
		params[i] = p
	}
	return params, capped, nil
}

// point is one set of parameter values, by key.
type point map[string]cty.Value

// value returns the point as a params object for lrconfig: a parameter
// other than elasticnet's drops l1_ratio (it does not apply).
func (p point) value() cty.Value {
	m := make(map[string]cty.Value, len(p))
	for k, v := range p {
		m[k] = v
	}
	if pen, ok := m[lrconfig.KeyPenalty]; !ok || pen.IsNull() || pen.AsString() != string(logreg.ElasticNet) {
		delete(m, lrconfig.KeyL1Ratio)
	}
	return cty.ObjectVal(m)
}

// appliesL1Ratio reports whether the point's penalty is elasticnet.
func (p point) appliesL1Ratio() bool {
	pen, ok := p[lrconfig.KeyPenalty]
	return ok && !pen.IsNull() && pen.AsString() == string(logreg.ElasticNet)
}

// expand returns every point of the union of the grids: grid by grid,
// keys in sorted order with the last key varying fastest (scikit-learn's
// ParameterGrid order). l1_ratio multiplies only the elasticnet points:
// other penalties ignore it.
func (s *space) expand() []point {
	var out []point
	for _, g := range s.grids {
		idx := make([]int, len(g.axes))
		for {
			p := make(point, len(g.axes))
			skip := false
			for k, a := range g.axes {
				p[a.key] = a.values[idx[k]]
			}
			if !p.appliesL1Ratio() {
				for k, a := range g.axes {
					if a.key == lrconfig.KeyL1Ratio && idx[k] > 0 {
						skip = true
					}
				}
			}
			if !skip {
				out = append(out, p)
			}
			// Advance the odometer, last axis fastest.
			k := len(idx) - 1
			for ; k >= 0; k-- {
				idx[k]++
				if idx[k] < g.axes[k].size() {
					break
				}
				idx[k] = 0
			}
			if k < 0 {
				break
			}
		}
	}
	return out
}

// sample draws n points at random with a PCG source seeded by seed.
//
// When no parameter has a distribution, the points are drawn without
// replacement from the union of the grids (as scikit-learn's
// ParameterSampler does); when n exceeds the number of points, every
// point is drawn once, in random order, and capped is true. Otherwise each
// trial picks one of the grids (uniformly, in a union), then, key by key
// in sorted order, a value from each distribution and a uniformly chosen
// element of each list.
func (s *space) sample(n int, seed uint64) (points []point, capped bool) {
	r := newRNG(seed, streamTrials)
	if !s.hasDistribution() {
		all := s.expand()
		order := make([]int, len(all))
		for i := range order {
			order[i] = i
		}
		if n >= len(all) {
			capped = n > len(all)
			n = len(all)
		}
		// The first n positions of a Fisher–Yates shuffle.
		for i := range n {
			j := i + r.intN(len(order)-i)
			order[i], order[j] = order[j], order[i]
			points = append(points, all[order[i]])
		}
		return points, capped
	}
	for range n {
		g := s.grids[0]
		if len(s.grids) > 1 {
			g = s.grids[r.intN(len(s.grids))]
		}
		p := make(point, len(g.axes))
		for _, a := range g.axes {
			switch {
			case a.dist != nil:
				p[a.key] = cty.NumberFloatVal(a.dist.sample(r))
			case a.size() > 1:
				p[a.key] = a.values[r.intN(a.size())]
			default:
				p[a.key] = a.values[0]
			}
		}
		points = append(points, p)
	}
	return points, false
}
