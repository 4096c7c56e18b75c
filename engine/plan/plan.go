package plan

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/confine"
	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/graph"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/pipeline"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// Action is what apply will do with a step.
type Action string

const (
	// Cached steps are served from the store.
	Cached Action = "cached"
	// Run steps execute.
	Run Action = "run"
)

// Reason codes.
const (
	ReasonNew      = "new"      // no execution of this step is recorded
	ReasonChanged  = "changed"  // inputs differ from the last execution
	ReasonReplace  = "replace"  // -replace asked
	ReasonUpstream = "upstream" // an upstream step runs first
	ReasonNoEntry  = "no_entry" // same inputs as last time, but the entry is gone
	ReasonMiss     = "miss"     // the entry is unusable (corrupt, artifacts gone)
)

// Reason is one reason a step runs.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Changes list what differs from the last execution (code changed).
	Changes []cachekey.Change `json:"changes,omitempty"`
	// Upstream lists the steps that run first (code upstream).
	Upstream []string `json:"upstream,omitempty"`
}

// Step is one step's plan.
type Step struct {
	Addr    config.StepAddr
	Kind    steps.Kind
	Action  Action
	Reasons []Reason
	// KnownAfterApply is true when the key depends on a step that runs.
	KnownAfterApply bool
	// Key, Preimage and Files are set when the key is known.
	Key      string
	Preimage *cachekey.Preimage
	Files    []steps.File
	// Entry is the cache entry of a cached step.
	Entry *cache.Entry
	// Outputs of a cached step, as KIND.NAME evaluates to.
	Outputs cty.Value
	// Config is the evaluated configuration (with sensitive marks);
	// unknown parts when KnownAfterApply.
	Config cty.Value
	// Resources are what the step's resources block asks for, and
	// Placement where it runs (engine/executor); apply decides again
	// once every input is known.
	Resources executor.Resources
	Placement executor.Placement
}

// Plan is the plan of a pipeline.
type Plan struct {
	Pipeline *pipeline.Pipeline
	// Steps in the order apply may run them (dependencies first), only
	// those in scope of -target.
	Steps []*Step
	// Targets and Replace as given.
	Targets []config.StepAddr
	Replace []config.StepAddr
	// Executor runs the steps whose resources block names none.
	Executor string
	// Keys hashes sensitive values (Options.Keys).
	Keys cachekey.Keys
}

// Step returns the plan of one step, or nil.
func (p *Plan) Step(addr config.StepAddr) *Step {
	for _, s := range p.Steps {
		if s.Addr == addr {
			return s
		}
	}
	return nil
}

// Counts returns how many steps run and how many are cached.
func (p *Plan) Counts() (run, cached int) {
	for _, s := range p.Steps {
		if s.Action == Run {
			run++
		} else {
			cached++
		}
	}
	return run, cached
}

// FileHasher returns the digest of a file, "sha256:" and 64 hex digits.
// engine/filehash provides one with a stat cache.
type FileHasher interface {
	Digest(path string) (digest string, size int64, err error)
}

// Options say how to plan.
type Options struct {
	Pipeline *pipeline.Pipeline
	Store    *store.Store
	Files    FileHasher
	// Targets limit the plan to these steps and what they need.
	Targets []config.StepAddr
	// Replace forces these steps to run.
	Replace []config.StepAddr
	// Executor is where steps whose resources block names no executor
	// run (-executor, PIPE_EXECUTOR); "" for the pipeline's
	// settings.executor, else local.
	Executor string
	// Keys returns the key that hashes sensitive values in cache keys and
	// saved plans (a workspace's HashKey); nil when the pipeline has none.
	Keys cachekey.Keys
}

// Make plans a pipeline that loaded without errors.
func Make(ctx context.Context, opts Options) (*Plan, hcl.Diagnostics) {
	p := opts.Pipeline
	plan := &Plan{Pipeline: p, Targets: opts.Targets, Replace: opts.Replace, Executor: defaultExecutor(opts), Keys: opts.Keys}
	var diags hcl.Diagnostics
	all := addrStrings(p.Config.StepAddrs())
	for _, a := range append(slices.Clone(opts.Targets), opts.Replace...) {
		if _, ok := p.Config.Steps[a]; !ok {
			detail := fmt.Sprintf("%s is not a step of this pipeline.", a)
			if s := lang.Suggest(a.String(), all); s != "" {
				detail += fmt.Sprintf(" Did you mean %s?", s)
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No such step",
				Detail:   detail + fmt.Sprintf(" Steps: %s.", strings.Join(all, ", ")),
			})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	scope := InScope(p, opts.Targets)
	for _, a := range opts.Replace {
		if !scope[a] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Step to replace is not targeted",
				Detail:   fmt.Sprintf("-replace=%s has no effect: %s is neither a -target nor needed by one. Add -target=%s to run it.", a, a, a),
			})
		}
	}
	known := map[config.StepAddr]cty.Value{}
	for _, addr := range p.Graph.Order() {
		if !scope[addr] {
			continue
		}
		ps, d := planStep(ctx, opts, p.Config.Steps[addr], known, plan)
		diags = append(diags, d...)
		if ps == nil && storeFailed(d) {
			// The store is down or unreachable for every step alike:
			// one report, not one per step after its retries.
			return nil, diags
		}
		if ps == nil {
			// Go on with the other steps, so that every problem is
			// reported at once; the steps after this one see its
			// outputs as unknown and report nothing about them.
			ps = &Step{Addr: addr, Kind: p.Config.Steps[addr].Kind, Action: Run}
		}
		plan.Steps = append(plan.Steps, ps)
		if ps.Action == Cached {
			known[addr] = ps.Outputs
		}
	}
	diags = CapUntrusted(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return plan, diags
}

// InScope returns the steps a plan covers: all of them, or the targets and
// everything they depend on.
func InScope(p *pipeline.Pipeline, targets []config.StepAddr) map[config.StepAddr]bool {
	scope := map[config.StepAddr]bool{}
	if len(targets) == 0 {
		for a := range p.Config.Steps {
			scope[a] = true
		}
		return scope
	}
	for _, t := range targets {
		scope[t] = true
		for _, a := range p.Graph.Ancestors(t.String()) {
			addr, _ := config.ParseStepAddr(a)
			scope[addr] = true
		}
	}
	return scope
}

func planStep(ctx context.Context, opts Options, step *config.Step, known map[config.StepAddr]cty.Value, plan *Plan) (*Step, hcl.Diagnostics) {
	p := opts.Pipeline
	ps := &Step{Addr: step.Addr, Kind: step.Kind, Action: Run}
	cfg, diags := eval.Step(step, p.Scope(known))
	if diags.HasErrors() {
		return nil, diags
	}
	ps.Config = cfg
	var pd hcl.Diagnostics
	if ps.Resources, ps.Placement, pd = Place(p, step, cfg, plan.Executor); pd.HasErrors() {
		return nil, append(diags, pd...)
	}
	h, err := lastExecution(ctx, opts, step)
	if err != nil {
		return nil, append(diags, StoreDiagnostic(step, err))
	}
	h.replaced = slices.Contains(opts.Replace, step.Addr)
	if !cfg.IsWhollyKnown() {
		planKnownAfterApply(ps, step, p.Graph, plan, h)
		return ps, diags
	}
	kd := planKnown(ctx, opts, step, ps, h)
	diags = append(diags, kd...)
	if kd.HasErrors() {
		return nil, diags
	}
	return ps, diags
}

// history is what the store recalls of a step's last execution.
type history struct {
	// last is its cache key, "" when none is recorded.
	last string
	// pre is its preimage, nil when its record is gone.
	pre *cachekey.Preimage
	// replaced is true when -replace names the step.
	replaced bool
}

// lastExecution reads the history of step from the store.
func lastExecution(ctx context.Context, opts Options, step *config.Step) (history, error) {
	last, err := cache.LastKey(ctx, opts.Store, opts.Pipeline.Config.Name(), step.Addr.String())
	if err != nil {
		return history{}, err
	}
	h := history{last: last}
	if last != "" {
		if e, _, err := cache.Lookup(ctx, opts.Store, last); err == nil && e != nil {
			h.pre = e.Preimage
		}
	}
	return h, nil
}

// planKnownAfterApply gives ps, a step whose configuration depends on
// steps that run first, its reasons to run.
func planKnownAfterApply(ps *Step, step *config.Step, g *graph.Graph, plan *Plan, h history) {
	ps.KnownAfterApply = true
	// The steps whose outputs it reads and that run (a depends_on alone
	// does not make a key unknown).
	var up []string
	for _, dep := range g.DependsOn(step.Addr.String()) {
		a, _ := config.ParseStepAddr(dep)
		if e := g.Edge(step.Addr, a); e == nil || !e.Data {
			continue
		}
		if s := plan.Step(a); s != nil && s.Action == Run {
			up = append(up, dep)
		}
	}
	if h.replaced {
		ps.Reasons = append(ps.Reasons, Reason{Code: ReasonReplace, Message: "-replace asked for it"})
	}
	if h.last == "" {
		ps.Reasons = append(ps.Reasons, Reason{Code: ReasonNew, Message: "no earlier execution of this step is recorded in the store"})
	}
	ps.Reasons = append(ps.Reasons, Reason{
		Code:     ReasonUpstream,
		Message:  fmt.Sprintf("its inputs are known after %s", runPhrase(up)),
		Upstream: up,
	})
	if h.pre != nil {
		if changes := knownChanges(step.Kind, ps.Config, h.pre, plan.Keys); len(changes) > 0 {
			ps.Reasons = append(ps.Reasons, changedReason(changes))
		}
	}
}

// planKnown computes the cache key of ps, a step whose configuration is
// known, and looks it up: cached when its entry is there (and no
// -replace), else run, with why.
func planKnown(ctx context.Context, opts Options, step *config.Step, ps *Step, h history) hcl.Diagnostics {
	files, diags := InputFiles(step, ps.Config, opts.Pipeline.Confinement(), opts.Files)
	if diags.HasErrors() {
		return diags
	}
	pre, err := cachekey.New(step.Kind, ps.Config, files, opts.Keys)
	if err != nil {
		return append(diags, StepDiagnostic(step, "Cannot compute the cache key", err))
	}
	ps.Files, ps.Preimage, ps.Key = files, pre, pre.Key()

	entry, miss, err := cache.Lookup(ctx, opts.Store, ps.Key)
	if err != nil {
		return append(diags, StoreDiagnostic(step, err))
	}
	if miss != nil {
		diags = append(diags, MissDiagnostic(step, miss, "The step will run again and rewrite it."))
	}
	if entry != nil && !h.replaced {
		err := entry.Unseal(opts.Keys)
		var out cty.Value
		if err == nil {
			out, err = entry.OutputValues()
		}
		if err == nil {
			ps.Action, ps.Entry, ps.Outputs = Cached, entry, out
			return diags
		}
		miss = &cache.MissError{Key: ps.Key, Reason: err.Error()}
	}
	ps.Reasons = append(ps.Reasons, runReason(h, miss, ps.Key, pre))
	return diags
}

// runReason says why a step whose key is known runs.
func runReason(h history, miss *cache.MissError, key string, pre *cachekey.Preimage) Reason {
	switch {
	case h.replaced:
		return Reason{Code: ReasonReplace, Message: "-replace asked for it"}
	case miss != nil && miss.Signature != nil:
		return Reason{Code: ReasonMiss, Message: "its cache entry " + miss.Signature.Cause() + ", so it is not trusted (see the warning)"}
	case miss != nil:
		return Reason{Code: ReasonMiss, Message: miss.Error()}
	case h.last == "":
		return Reason{Code: ReasonNew, Message: "no earlier execution of this step is recorded in the store"}
	case h.last == key:
		return Reason{Code: ReasonNoEntry, Message: "its inputs are those of its last execution, but that execution's cache entry is gone"}
	case h.pre == nil:
		return Reason{Code: ReasonChanged, Message: "its inputs differ from its last execution, whose record is gone"}
	}
	return changedReason(cachekey.Diff(h.pre, pre))
}

// runPhrase says "a runs" or "a, b and c run".
func runPhrase(steps []string) string {
	switch len(steps) {
	case 0:
		return "the steps before it run"
	case 1:
		return steps[0] + " runs"
	}
	return strings.Join(steps[:len(steps)-1], ", ") + " and " + steps[len(steps)-1] + " run"
}

func changedReason(changes []cachekey.Change) Reason {
	var parts []string
	for _, c := range changes {
		parts = append(parts, c.String())
	}
	return Reason{Code: ReasonChanged, Message: strings.Join(parts, "; "), Changes: changes}
}

// knownChanges compares the attributes known now with the last preimage,
// so a plan can say "C: 1 → 10" even when the key waits on an upstream
// step.
func knownChanges(kind steps.Kind, cfg cty.Value, last *cachekey.Preimage, keys cachekey.Keys) []cachekey.Change {
	cur := &cachekey.Preimage{Format: cachekey.Format, Kind: last.Kind, Version: kind.Version(), Config: map[string]cachekey.Value{}, Files: last.Files}
	partial := &cachekey.Preimage{Format: last.Format, Kind: last.Kind, Version: last.Version, Config: map[string]cachekey.Value{}, Files: last.Files}
	for _, a := range kind.Schema().Attributes {
		v := cfg.GetAttr(a.Name)
		old, had := last.Config[a.Name]
		if a.NotKeyed || !v.IsWhollyKnown() || !had {
			continue
		}
		enc, err := cachekey.Encode(v, keys)
		if err != nil {
			continue
		}
		cur.Config[a.Name] = enc
		partial.Config[a.Name] = old
	}
	return cachekey.Diff(partial, cur)
}

// InputFiles asks a FileReader kind which files it reads, checks that
// each is inside roots (a glob or a folder may reach a link that leaves),
// and hashes them.
func InputFiles(step *config.Step, cfg cty.Value, roots *confine.Roots, hasher FileHasher) ([]steps.File, hcl.Diagnostics) {
	fr, ok := step.Kind.(steps.FileReader)
	if !ok {
		return nil, nil
	}
	dir := roots.Dir()
	unmarked, _ := cfg.UnmarkDeep()
	paths, err := fr.InputFiles(unmarked, dir)
	if err != nil {
		return nil, hcl.Diagnostics{StepDiagnostic(step, "Cannot list input files", err)}
	}
	var files []steps.File
	var diags hcl.Diagnostics
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(p) {
			abs = filepath.Join(dir, filepath.FromSlash(p))
		}
		if err := roots.Check(filepath.FromSlash(p)); err != nil {
			diags = append(diags, escapeDiagnostic(step, err))
			continue
		}
		digest, size, err := hasher.Digest(abs)
		if err != nil {
			diags = append(diags, StepDiagnostic(step, "Cannot read input file", fmt.Errorf("%s: %w", p, err)))
			continue
		}
		files = append(files, steps.File{Path: p, Abs: abs, Digest: digest, Size: size})
	}
	return files, diags
}

// escapeDiagnostic reports an input file outside the folders the
// pipeline may read, at the attribute that names the step's files.
func escapeDiagnostic(step *config.Step, err error) *hcl.Diagnostic {
	d := StepDiagnostic(step, "Input file outside the pipeline folder", err)
	for _, a := range step.Kind.Schema().Attributes {
		if w, ok := step.Attributes[a.Name]; ok && a.Path == steps.PathRead {
			d.Subject = w.Expr.Range().Ptr()
			break
		}
	}
	return d
}

// StepDiagnostic reports err about step: an AttrError points at its
// attribute, anything else at the step's block header.
func StepDiagnostic(step *config.Step, summary string, err error) *hcl.Diagnostic {
	if ae, ok := asAttrError(err); ok {
		return eval.AttrDiagnostic(step, ae)
	}
	detail := strings.TrimSpace(err.Error())
	if !strings.Contains(summary, step.Addr.String()) {
		detail = step.Addr.String() + ": " + detail
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  step.DeclRange.Ptr(),
	}
}

// storeUnavailable is the summary of StoreDiagnostic.
const storeUnavailable = "Store unavailable"

func storeFailed(diags hcl.Diagnostics) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Summary == storeUnavailable {
			return true
		}
	}
	return false
}

// StoreDiagnostic reports a store failure while handling step.
func StoreDiagnostic(step *config.Step, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  storeUnavailable,
		Detail:   fmt.Sprintf("%s: %s. Check the store URL (settings.store, -store, PIPE_STORE) and your credentials; a later run resumes from the cache.", step.Addr, err),
		Subject:  step.DeclRange.Ptr(),
	}
}

func addrStrings(addrs []config.StepAddr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
