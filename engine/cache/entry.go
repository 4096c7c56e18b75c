package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/store"
	"github.com/pipe-ml/pipe/steps"
)

// EntryFormat is the version of the entry encoding.
const EntryFormat = 1

// Entry is one step execution's result, stored at cache/KEY.json.
type Entry struct {
	Format int    `json:"format"`
	Key    string `json:"key"`
	// Step and Pipeline say which step produced the entry first. They are
	// information only: any step with the same key uses the entry.
	Step     string `json:"step"`
	Pipeline string `json:"pipeline"`
	// Preimage is what Key is the hash of.
	Preimage *cachekey.Preimage `json:"preimage"`
	// Outputs hold every output with its type.
	Outputs map[string]cachekey.Value `json:"outputs"`
	// Artifacts are the digests of every artifact among the outputs,
	// sorted.
	Artifacts []string `json:"artifacts"`
	// Warnings the step raised (a model that did not converge).
	Warnings []string `json:"warnings,omitempty"`
	// External are the files the step wrote outside the store
	// (steps.ExternalFile): on a cache hit the engine restores those that
	// are missing or different. Their artifacts are in Artifacts too.
	External []External `json:"external,omitempty"`
	// Sealed holds, encrypted, the sensitive outputs and the external
	// files of a step whose configuration held a sensitive value
	// (sealed.go); Unseal opens it.
	Sealed      string    `json:"sealed,omitempty"`
	Started     time.Time `json:"started"`
	Duration    float64   `json:"duration_seconds"`
	PipeVersion string    `json:"pipe_version,omitempty"`
}

// External is a file a step wrote outside the store, with the artifact
// that holds its bytes.
type External struct {
	// Folder is where the step opened it, as the pipeline names it (a
	// path relative to the pipeline's folder, or a URL); Name is its key
	// in the folder.
	Folder    string `json:"folder"`
	Name      string `json:"name"`
	Digest    string `json:"digest"`
	MediaType string `json:"media_type,omitempty"`
	Size      int64  `json:"size"`
}

// AddExternal records files the step wrote outside the store, and their
// artifacts among the entry's, so that a hit needs them in the store.
func (e *Entry) AddExternal(files []steps.ExternalFile) {
	seen := map[string]bool{}
	for _, d := range e.Artifacts {
		seen[d] = true
	}
	for _, f := range files {
		e.External = append(e.External, External{Folder: f.Folder, Name: f.Name,
			Digest: f.Artifact.Digest, MediaType: f.Artifact.MediaType, Size: f.Artifact.Size})
		if !seen[f.Artifact.Digest] {
			seen[f.Artifact.Digest] = true
			e.Artifacts = append(e.Artifacts, f.Artifact.Digest)
		}
	}
	slices.Sort(e.Artifacts)
}

// NewEntry builds an entry for outputs, checking them against the kind's
// schema: every declared output present, of its type, and nothing else.
func NewEntry(kind steps.Kind, pre *cachekey.Preimage, outputs steps.Outputs) (*Entry, error) {
	e := &Entry{Format: EntryFormat, Key: pre.Key(), Preimage: pre, Outputs: map[string]cachekey.Value{}}
	schema := kind.Schema()
	for name := range outputs {
		if _, ok := schema.Output(name); !ok {
			return nil, fmt.Errorf("the %s step returned an output %q its schema does not declare (a bug in the kind)", kind.Name(), name)
		}
	}
	seen := map[string]bool{}
	for _, o := range schema.Outputs {
		v, ok := outputs[o.Name]
		if !ok {
			return nil, fmt.Errorf("the %s step did not return its output %q (a bug in the kind)", kind.Name(), o.Name)
		}
		if !v.IsWhollyKnown() {
			return nil, fmt.Errorf("the %s step returned an unknown value for %q (a bug in the kind)", kind.Name(), o.Name)
		}
		if !o.Type.Equals(cty.DynamicPseudoType) && !v.Type().Equals(o.Type) && !v.IsNull() {
			return nil, fmt.Errorf("the %s step returned %s for %q, whose type is %s (a bug in the kind)", kind.Name(), v.Type().FriendlyName(), o.Name, o.Type.FriendlyName())
		}
		enc, err := cachekey.Encode(v, nil)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		e.Outputs[o.Name] = enc
		collectArtifacts(v, seen)
	}
	for d := range seen {
		e.Artifacts = append(e.Artifacts, d)
	}
	slices.Sort(e.Artifacts)
	return e, nil
}

// collectArtifacts finds every artifact value inside v.
func collectArtifacts(v cty.Value, into map[string]bool) {
	if !v.IsKnown() || v.IsNull() {
		return
	}
	if steps.IsArtifact(v) {
		if a, err := steps.ArtifactFromValue(v); err == nil {
			into[a.Digest] = true
		}
		return
	}
	ty := v.Type()
	if ty.IsObjectType() || ty.IsMapType() || ty.IsListType() || ty.IsTupleType() || ty.IsSetType() {
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			collectArtifacts(e, into)
		}
	}
}

// OutputValues decodes the outputs into the object a reference to the
// step (KIND.NAME) evaluates to. The sensitive outputs of a step whose
// configuration held a sensitive value are marked so (lang.Sensitive);
// a sealed entry must be unsealed first.
func (e *Entry) OutputValues() (cty.Value, error) {
	vals := map[string]cty.Value{}
	for name, enc := range e.Outputs {
		v, ok := enc.Decode()
		if !ok {
			return cty.NilVal, fmt.Errorf("cache: entry %s: output %q does not decode", e.Key, name)
		}
		vals[name] = v
	}
	e.markSensitive(vals)
	if len(vals) == 0 {
		return cty.EmptyObjectVal, nil
	}
	return cty.ObjectVal(vals), nil
}

// MissError is a cache miss with something worth telling the user: a
// corrupt entry, an entry whose artifacts are gone, or one the team key
// does not vouch for.
type MissError struct {
	Key    string
	Reason string
	// Signature is set when the entry is there but not signed by the
	// store's key (a *store.SignatureError): Reason is then the whole
	// message.
	Signature *store.SignatureError
}

func (e *MissError) Error() string {
	if e.Signature != nil {
		return "cache: " + strings.TrimPrefix(e.Signature.Error(), "store: ")
	}
	return fmt.Sprintf("cache: entry cache/%s.json %s; treating it as a miss", e.Key, e.Reason)
}

// Lookup returns the entry for key, or nil when there is none. A corrupt
// entry, one referring to artifacts the store no longer holds, or, when
// the store has a key, one not signed by it, is a miss reported as a
// *MissError warning (with a nil entry). Other errors (an unreachable
// store) are returned as errors.
func Lookup(ctx context.Context, s *store.Store, key string) (*Entry, *MissError, error) {
	b, err := s.GetEntry(ctx, key)
	var corrupt *store.CorruptError
	var unsigned *store.SignatureError
	switch {
	case errors.As(err, &corrupt):
		return nil, &MissError{Key: key, Reason: "is corrupt (" + corrupt.Reason + ")"}, nil
	case errors.As(err, &unsigned):
		return nil, &MissError{Key: key, Reason: unsigned.Err.Error(), Signature: unsigned}, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, nil
	case err != nil:
		return nil, nil, err
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil || e.Preimage == nil {
		return nil, &MissError{Key: key, Reason: "cannot be decoded"}, nil
	}
	if e.Format != EntryFormat || e.Key != key {
		return nil, &MissError{Key: key, Reason: fmt.Sprintf("has format %d for key %s", e.Format, e.Key)}, nil
	}
	for _, d := range e.Artifacts {
		ok, err := s.Has(ctx, d)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, &MissError{Key: key, Reason: "refers to artifact " + d + ", which is no longer in the store"}, nil
		}
	}
	return &e, nil, nil
}

// Save writes the entry under its key.
func Save(ctx context.Context, s *store.Store, e *Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("cache: encoding entry: %w", err)
	}
	return s.PutEntry(ctx, e.Key, b)
}

// Ref is the last successful execution of a step, by pipeline and
// address.
type Ref struct {
	Key string `json:"key"`
	// Updated is when the ref last changed to another key.
	Updated time.Time `json:"updated"`
}

// refName is the store ref for a step of a pipeline. Pipeline and step
// names are labels a user chose (a pipeline's may be its folder's name);
// anything outside the ref alphabet becomes '_', and a name that needed
// that gets a hash of itself appended, so that two names differing only
// there (données, donnèes) do not share a ref.
func refName(pipeline, step string) string {
	clean := func(s string) string {
		c := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
				return r
			}
			return '_'
		}, s)
		if c != s {
			sum := sha256.Sum256([]byte(s))
			c += "-" + hex.EncodeToString(sum[:6])
		}
		return c
	}
	p := clean(pipeline)
	if p == "" || p == "." || p == ".." {
		p = "_"
	}
	return "steps/" + p + "/" + clean(step)
}

// LastKey returns the key of the step's last successful execution, or ""
// when none is recorded.
func LastKey(ctx context.Context, s *store.Store, pipeline, step string) (string, error) {
	b, err := s.GetRef(ctx, refName(pipeline, step))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var r Ref
	if json.Unmarshal(b, &r) != nil {
		return "", nil
	}
	return r.Key, nil
}

// SetLastKey records key as the step's last successful execution. A ref
// that holds key already is left as it is: every cached step of every
// apply would otherwise write it again, and a write costs more than the
// read (a new file, or an upload).
func SetLastKey(ctx context.Context, s *store.Store, pipeline, step, key string, now time.Time) error {
	if last, err := LastKey(ctx, s, pipeline, step); err == nil && last == key {
		return nil
	}
	b, _ := json.Marshal(Ref{Key: key, Updated: now.UTC()})
	return s.PutRef(ctx, refName(pipeline, step), b)
}
