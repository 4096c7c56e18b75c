package stepinput

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// Format identifies the document's encoding and its version.
const Format = "pipe.step-input/v1"

// MediaType is the media type the document is stored with.
const MediaType = "application/vnd.pipe.step-input.v1+json"

// Document is a step-input document; see the package documentation.
type Document struct {
	Format      string `json:"format"`
	PipeVersion string `json:"pipe_version"`
	Kind        string `json:"kind"`
	KindVersion string `json:"kind_version"`
	// Pipeline and Step name the step in messages and in the cache entry
	// the worker writes; they are not part of the key.
	Pipeline string `json:"pipeline"`
	Step     string `json:"step"`
	Key      string `json:"key"`
	// Config holds every attribute of the kind's schema.
	Config map[string]cachekey.Value `json:"config"`
	// Inputs are the digests of the artifacts the configuration refers
	// to, sorted.
	Inputs []string `json:"inputs"`
	// Files are the input files (steps.FileReader), as the key records
	// them, with their sizes.
	Files        []File            `json:"files"`
	Explanations map[string]string `json:"explanations,omitempty"`
	// Shards is how many shards a steps.Sharder kind runs as; 0 or 1 for
	// none.
	Shards int `json:"shards,omitempty"`
}

// File is an input file of the step.
type File struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// Step is what Build needs to know of a step.
type Step struct {
	Kind steps.Kind
	// Config is the evaluated configuration, wholly known; it may carry
	// lang.Sensitive marks, and then Build refuses it.
	Config       cty.Value
	Files        []steps.File
	Explanations map[string]string
	Key          string
	Pipeline     string
	Addr         string
	Shards       int
}

// Build makes the document of s for a worker of pipe version pipeVersion.
// It refuses a step holding a sensitive value: such a value is never
// written to the store.
func Build(s *Step, pipeVersion string) (*Document, error) {
	d := &Document{
		Format: Format, PipeVersion: pipeVersion, Kind: s.Kind.Name(), KindVersion: s.Kind.Version(),
		Pipeline: s.Pipeline, Step: s.Addr, Key: s.Key, Config: map[string]cachekey.Value{},
		Inputs: []string{}, Files: []File{}, Explanations: s.Explanations, Shards: s.Shards,
	}
	for _, a := range s.Kind.Schema().Attributes {
		attr := s.Config.GetAttr(a.Name)
		if lang.IsSensitive(attr) {
			return nil, fmt.Errorf("stepinput: %s holds a sensitive value in %s, which is never written to the store for a worker to read: the step runs on the coordinator", s.Addr, a.Name)
		}
		v, err := cachekey.Encode(attr, nil)
		if err != nil {
			return nil, fmt.Errorf("stepinput: %s: attribute %s: %w", s.Addr, a.Name, err)
		}
		d.Config[a.Name] = v
	}
	unmarked, _ := s.Config.UnmarkDeep()
	d.Inputs = artifactDigests(unmarked)
	for _, f := range s.Files {
		d.Files = append(d.Files, File{Path: f.Path, Digest: f.Digest, Size: f.Size})
	}
	return d, nil
}

// artifactDigests returns the digests of the artifacts in v, sorted and
// without repeats.
func artifactDigests(v cty.Value) []string {
	out := []string{}
	cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		if steps.IsArtifact(v) {
			if a, err := steps.ArtifactFromValue(v); err == nil && !slices.Contains(out, a.Digest) {
				out = append(out, a.Digest)
			}
			return false, nil
		}
		return true, nil
	})
	slices.Sort(out)
	return out
}

// Encode returns the document's bytes: the same document, the same bytes.
func (d *Document) Encode() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		// Strings, numbers and JSON produced by cty only.
		panic("stepinput: encoding a document: " + err.Error())
	}
	return append(b, '\n')
}

// Put stores the document and returns its digest.
func Put(ctx context.Context, s *store.Store, d *Document) (string, error) {
	a, err := s.PutBytes(ctx, MediaType, d.Encode())
	if err != nil {
		return "", fmt.Errorf("stepinput: storing the step-input document of %s: %w", d.Step, err)
	}
	return a.Digest, nil
}

// Get reads the document with the given digest. A document missing from
// the store, or whose bytes are not those of the digest, is a *Refusal;
// a store that cannot be reached is another error.
func Get(ctx context.Context, s *store.Store, digest string) (*Document, error) {
	if !steps.ValidDigest(digest) {
		return nil, refuse("%q is not a digest (sha256: and 64 hex digits): give the digest the coordinator passed", digest)
	}
	b, err := s.ReadAll(ctx, digest)
	switch {
	case errors.Is(err, store.ErrCorrupt):
		return nil, refuse("the step-input document %s in the store is not the one the coordinator wrote (%v): apply again", digest, err)
	case errors.Is(err, store.ErrNotFound):
		return nil, refuse("the step-input document %s is not in the store %s: is the worker using the coordinator's store (-store, PIPE_STORE)?", digest, s.URL())
	case err != nil:
		return nil, err
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		var probe struct {
			Format      string `json:"format"`
			PipeVersion string `json:"pipe_version"`
		}
		if json.Unmarshal(b, &probe) == nil && probe.Format != "" && probe.Format != Format {
			return nil, refuse("the document is of format %q by pipe %s; this worker reads %s: run workers from the coordinator's image", probe.Format, probe.PipeVersion, Format)
		}
		return nil, refuse("the step-input document %s cannot be read: %v", digest, err)
	}
	return &d, nil
}

// Refusal is a document the worker refuses: of another pipe version or
// kind version, tampered, or missing. A retry cannot mend it.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return "stepinput: " + r.Reason }

func refuse(format string, args ...any) *Refusal {
	return &Refusal{Reason: fmt.Sprintf(format, args...)}
}

// Checked is a document the worker accepted: the step ready to run.
type Checked struct {
	Kind   steps.Kind
	Config cty.Value
	Files  []steps.File
	// Preimage is the key's preimage, computed again from the document.
	Preimage *cachekey.Preimage
}

// Check accepts the document for a worker of pipe version pipeVersion
// with kinds, reading input files relative to dir; see the package
// documentation. Every problem is a *Refusal.
func (d *Document) Check(kinds *steps.Catalog, pipeVersion, dir string) (*Checked, error) {
	switch {
	case d.Format != Format:
		return nil, refuse("the document is of format %q; this worker reads %s", d.Format, Format)
	case d.PipeVersion != pipeVersion:
		return nil, refuse("the coordinator is pipe %s and this worker pipe %s: run workers from the image of the coordinator's version", d.PipeVersion, pipeVersion)
	}
	kind, ok := kinds.Lookup(d.Kind)
	if !ok {
		return nil, refuse("this worker has no step kind %q", d.Kind)
	}
	if kind.Version() != d.KindVersion {
		return nil, refuse("the coordinator's %s kind is version %s and this worker's %s: run workers from the image of the coordinator's version", d.Kind, d.KindVersion, kind.Version())
	}
	cfg, err := d.config(kind)
	if err != nil {
		return nil, err
	}
	c := &Checked{Kind: kind, Config: cfg}
	for _, f := range d.Files {
		abs := f.Path
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(dir, filepath.FromSlash(f.Path))
		}
		c.Files = append(c.Files, steps.File{Path: f.Path, Abs: abs, Digest: f.Digest, Size: f.Size})
	}
	if c.Preimage, err = cachekey.New(kind, cfg, c.Files, nil); err != nil {
		return nil, refuse("%v", err)
	}
	if key := c.Preimage.Key(); key != d.Key {
		return nil, refuse("the document's key %s does not match its content, whose key is %s: it was changed after the coordinator wrote it; apply again", d.Key, key)
	}
	if got := artifactDigests(cfg); !slices.Equal(got, d.Inputs) {
		return nil, refuse("the document's inputs %v are not the artifacts its configuration reads %v: it was changed after the coordinator wrote it; apply again", d.Inputs, got)
	}
	return c, nil
}

// config decodes the configuration: every attribute of kind's schema,
// and nothing else.
func (d *Document) config(kind steps.Kind) (cty.Value, error) {
	attrs := map[string]cty.Value{}
	for _, a := range kind.Schema().Attributes {
		enc, ok := d.Config[a.Name]
		if !ok {
			return cty.NilVal, refuse("the document has no value for %s's attribute %s", d.Step, a.Name)
		}
		if enc.Sensitive() {
			return cty.NilVal, refuse("the document holds only the hash of %s's sensitive attribute %s: such a step runs on the coordinator", d.Step, a.Name)
		}
		v, ok := enc.Decode()
		if !ok {
			return cty.NilVal, refuse("%s's attribute %s does not decode", d.Step, a.Name)
		}
		attrs[a.Name] = v
	}
	if len(attrs) != len(d.Config) {
		for name := range d.Config {
			if _, ok := attrs[name]; !ok {
				return cty.NilVal, refuse("the document has an attribute %s that a %s step does not take", name, d.Kind)
			}
		}
	}
	if len(attrs) == 0 {
		return cty.EmptyObjectVal, nil
	}
	return cty.ObjectVal(attrs), nil
}
