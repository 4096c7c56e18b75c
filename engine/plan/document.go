package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/lang"
)

// DocumentFormat is the version of Document. It changes only when a field
// changes meaning or goes away; new fields may appear without a change.
// Format 2: a saved sensitive variable is a keyed hash (sensitive_hmac),
// no longer format 1's unkeyed sensitive_sha256.
const DocumentFormat = "2"

// Document is a plan for programs: what `pipe plan -json` prints and what
// `pipe plan -out=FILE` saves.
//
//	{
//	  "format_version": "2",
//	  "pipe_version": "v0.1.0",
//	  "pipeline": "privacy-intent",
//	  "steps": [
//	    {
//	      "address": "train.model", "kind": "train", "kind_version": "1",
//	      "action": "run",               // or "cached"
//	      "known_after_apply": false,    // true when the key waits on a step that runs
//	      "key": "3f2a…",                // the cache key, when known
//	      "reasons": [{"code": "changed", "message": "params: … → …", "changes": [...]}],
//	      "files": [{"path": "data/a.csv", "digest": "sha256:…", "size": 123}],
//	      "outputs": {"f1": "0.91", ...} // cached steps: outputs as displayed
//	      "runs_on": {"executor": "kubernetes", "resources": "cpu=2, memory=4Gi"}
//	                                     // steps that run: where (and why the
//	                                     // coordinator keeps one: "reason")
//	    }
//	  ],
//	  "summary": {"run": 3, "cached": 2},
//	  "targets": ["train.model"], "replace": [],
//	  "saved": {...},                    // only in a saved plan file
//	  "digest": "sha256:…"               // of a saved plan file's bytes, when
//	                                     // read from one; never in the file
//	}
//
// Reason codes: new, changed, replace, upstream, no_entry, miss.
type Document struct {
	FormatVersion string         `json:"format_version"`
	PipeVersion   string         `json:"pipe_version"`
	Pipeline      string         `json:"pipeline"`
	Steps         []DocumentStep `json:"steps"`
	Summary       Summary        `json:"summary"`
	Targets       []string       `json:"targets,omitempty"`
	Replace       []string       `json:"replace,omitempty"`
	Saved         *Saved         `json:"saved,omitempty"`
	// Digest is the SHA-256 of the saved plan file's bytes ("sha256:"
	// and 64 hex digits): set by Read and Save, never written into the
	// file. It names exactly the plan that was reviewed: apply
	// -plan-digest refuses any other.
	Digest string `json:"digest,omitempty"`
}

// DocumentStep is one step of a Document.
type DocumentStep struct {
	Address         string            `json:"address"`
	Kind            string            `json:"kind"`
	KindVersion     string            `json:"kind_version"`
	Action          Action            `json:"action"`
	KnownAfterApply bool              `json:"known_after_apply"`
	Key             string            `json:"key,omitempty"`
	Reasons         []Reason          `json:"reasons,omitempty"`
	Files           []DocumentFile    `json:"files,omitempty"`
	Outputs         map[string]string `json:"outputs,omitempty"`
	Warnings        []string          `json:"warnings,omitempty"`
	// RunsOn says where a step that runs will run.
	RunsOn *RunsOn `json:"runs_on,omitempty"`
}

// DocumentFile is an input file of a step.
type DocumentFile struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// Summary counts the steps by action.
type Summary struct {
	Run    int `json:"run"`
	Cached int `json:"cached"`
}

// Saved is what a saved plan records so that applying it can refuse a
// pipeline that changed since.
type Saved struct {
	Created time.Time `json:"created"`
	// Path is the pipeline folder or file, as given to plan.
	Path string `json:"path"`
	// AbsPath is Path made absolute where plan ran.
	AbsPath string `json:"abs_path,omitempty"`
	// Store is the store URL the plan looked in.
	Store string `json:"store"`
	// Sources are the digests of the pipeline's files, by name.
	Sources map[string]string `json:"sources"`
	// Variables are the values the plan was made with; a sensitive one
	// is only its hash, and must be given again when applying.
	Variables map[string]cachekey.Value `json:"variables"`
}

// Document returns the plan as a Document, with pipeVersion recorded.
func (p *Plan) Document(pipeVersion string) *Document {
	d := &Document{
		FormatVersion: DocumentFormat,
		PipeVersion:   pipeVersion,
		Pipeline:      p.Pipeline.Config.Name(),
		Steps:         []DocumentStep{},
	}
	for _, s := range p.Steps {
		ds := DocumentStep{
			Address:         s.Addr.String(),
			Kind:            s.Kind.Name(),
			KindVersion:     s.Kind.Version(),
			Action:          s.Action,
			KnownAfterApply: s.KnownAfterApply,
			Key:             s.Key,
			Reasons:         s.Reasons,
		}
		for _, f := range s.Files {
			ds.Files = append(ds.Files, DocumentFile{Path: f.Path, Digest: f.Digest, Size: f.Size})
		}
		if s.Action == Cached {
			ds.Outputs = DisplayOutputs(s.Outputs)
			ds.Warnings = s.Entry.Warnings
			d.Summary.Cached++
		} else {
			d.Summary.Run++
			ds.RunsOn = &RunsOn{Executor: s.Placement.Executor, Reason: s.Placement.Reason, Resources: s.Resources.String()}
			if ds.RunsOn.Executor == "" {
				ds.RunsOn.Executor = executor.LocalName
			}
		}
		d.Steps = append(d.Steps, ds)
	}
	for _, a := range p.Targets {
		d.Targets = append(d.Targets, a.String())
	}
	for _, a := range p.Replace {
		d.Replace = append(d.Replace, a.String())
	}
	return d
}

// DisplayOutputs renders each output of a step for a person.
func DisplayOutputs(outputs cty.Value) map[string]string {
	if !outputs.IsKnown() || outputs.IsNull() || !outputs.Type().IsObjectType() {
		return nil
	}
	m := map[string]string{}
	for name, v := range outputs.AsValueMap() {
		m[name] = lang.Display(v)
	}
	return m
}

// Save writes a plan file: the Document with what it was made from. It
// returns the document saved, with its Digest.
func (p *Plan) Save(path, pipeVersion, pipelinePath, storeURL string, now time.Time) (*Document, error) {
	d := p.Document(pipeVersion)
	saved := &Saved{
		Created:   now.UTC(),
		Path:      pipelinePath,
		AbsPath:   absOrEmpty(pipelinePath),
		Store:     storeURL,
		Sources:   SourceDigests(p.Pipeline.Config),
		Variables: map[string]cachekey.Value{},
	}
	for name, v := range p.Pipeline.Vars {
		enc, err := cachekey.Encode(v, p.Keys)
		if err != nil {
			return nil, fmt.Errorf("plan: variable %s: %w", name, err)
		}
		saved.Variables[name] = enc
	}
	d.Saved = saved
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("plan: encoding: %w", err)
	}
	b = append(b, '\n')
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return nil, fmt.Errorf("plan: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("plan: writing %s: %w", path, err)
	}
	d.Digest = Digest(b)
	return d, nil
}

func absOrEmpty(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	return abs
}

// PipelinePath returns where to load the pipeline a saved plan was made
// for: the folder plan read, when it is still there (the same machine,
// whatever the current folder), else Path relative to the current folder
// (another checkout of the same repository, as in CI). Either way the
// plan is checked against what it finds before anything runs.
func (s *Saved) PipelinePath() (string, error) {
	if s.AbsPath != "" {
		if _, err := os.Stat(s.AbsPath); err == nil {
			return s.AbsPath, nil
		}
	}
	if _, err := os.Stat(s.Path); err != nil {
		where := s.Path
		if s.AbsPath != "" {
			where = s.AbsPath
		}
		return "", fmt.Errorf("plan: the saved plan is for the pipeline at %s, which is not there, and %s is not found from the current folder. Run pipe apply from the folder where pipe plan ran", where, s.Path)
	}
	return s.Path, nil
}

// SourceDigests returns the SHA-256 of each file of a pipeline, by its
// name relative to the pipeline's folder (slash-separated), so that they
// do not depend on where pipe ran from.
func SourceDigests(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for _, name := range cfg.Files {
		sum := sha256.Sum256(cfg.Sources[name])
		out[RelName(cfg.Dir, name)] = "sha256:" + hex.EncodeToString(sum[:])
	}
	return out
}

// RelName names a file relative to the folder dir, with slashes; a name
// that cannot be made relative stays as it is.
func RelName(dir, name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		return filepath.ToSlash(name)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return filepath.ToSlash(name)
	}
	return filepath.ToSlash(rel)
}

// VariableValues returns the saved non-sensitive variable values, to load
// the pipeline with exactly the values the plan was made with.
func (s *Saved) VariableValues() map[string]cty.Value {
	vals := map[string]cty.Value{}
	for name, v := range s.Variables {
		if val, ok := v.Decode(); ok {
			vals[name] = val
		}
	}
	return vals
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
