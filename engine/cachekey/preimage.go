package cachekey

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/steps"
)

// Format is the version of the preimage encoding. Changing the encoding
// changes every key, which is what must happen.
const Format = 1

// Preimage is what a cache key is the hash of.
type Preimage struct {
	Format  int              `json:"format"`
	Kind    string           `json:"kind"`
	Version string           `json:"version"`
	Config  map[string]Value `json:"config"`
	Files   []File           `json:"files"`
}

// Value is one attribute's value with its type.
type Value struct {
	Type json.RawMessage `json:"type"`
	// Value is the value's cty JSON encoding; absent when sensitive.
	Value json.RawMessage `json:"value,omitempty"`
	// SensitiveHMAC stands for a sensitive value: the keyed hash
	// (engine/signing, domain HashDomain) of its encoding, which cannot be
	// computed, and so not guessed, without the key. (Earlier pipes wrote
	// an unkeyed sensitive_sha256 instead; such a value is read as
	// sensitive and equals no value of this pipe.)
	SensitiveHMAC string `json:"sensitive_hmac,omitempty"`
}

// HashDomain is the engine/signing domain of a sensitive value's keyed
// hash.
const HashDomain = "cachekey/sensitive-value"

// Keys returns the key that hashes sensitive values (a workspace's
// HashKey). It is called only when a value is sensitive, so that a
// pipeline without one needs no key.
type Keys func() (*signing.Key, error)

// ErrNoKey is Encode's error for a sensitive value given no Keys.
var ErrNoKey = errors.New("cachekey: a sensitive value and no key to hash it with")

// File is an input file as the key records it.
type File struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
}

// New builds the preimage of a step of kind with evaluated configuration
// cfg (an object holding every schema attribute, wholly known; it may
// carry lang.Sensitive marks, which keys hashes) reading files.
func New(kind steps.Kind, cfg cty.Value, files []steps.File, keys Keys) (*Preimage, error) {
	if !cfg.IsWhollyKnown() {
		return nil, fmt.Errorf("cachekey: configuration of a %s step is not wholly known", kind.Name())
	}
	p := &Preimage{
		Format:  Format,
		Kind:    kind.Name(),
		Version: kind.Version(),
		Config:  map[string]Value{},
		Files:   []File{},
	}
	for _, a := range kind.Schema().Attributes {
		if a.NotKeyed {
			continue
		}
		v, err := Encode(cfg.GetAttr(a.Name), keys)
		if err != nil {
			return nil, fmt.Errorf("cachekey: attribute %s: %w", a.Name, err)
		}
		p.Config[a.Name] = v
	}
	for _, f := range files {
		p.Files = append(p.Files, File{Path: f.Path, Digest: f.Digest})
	}
	return p, nil
}

// Encode encodes a wholly known value with its type. A sensitive value
// (one carrying lang.Sensitive marks anywhere) is replaced by its keyed
// hash, under the key keys returns; without keys it is ErrNoKey.
func Encode(v cty.Value, keys Keys) (Value, error) {
	sensitive := lang.IsSensitive(v)
	v, _ = v.UnmarkDeep()
	ty, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return Value{}, err
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return Value{}, err
	}
	if sensitive {
		if keys == nil {
			return Value{}, ErrNoKey
		}
		key, err := keys()
		if err != nil {
			return Value{}, err
		}
		return Value{Type: ty, SensitiveHMAC: key.Hash(HashDomain, b)}, nil
	}
	return Value{Type: ty, Value: b}, nil
}

// Canonical returns the preimage's canonical bytes: compact JSON with
// struct fields in declaration order and map keys sorted.
func (p *Preimage) Canonical() []byte {
	b, err := json.Marshal(p)
	if err != nil {
		// Every field is a string, an int, or JSON produced by cty.
		panic("cachekey: encoding a preimage: " + err.Error())
	}
	return b
}

// Key returns the cache key: 64 lowercase hex digits of the SHA-256 of the
// canonical preimage.
func (p *Preimage) Key() string {
	sum := sha256.Sum256(p.Canonical())
	return hex.EncodeToString(sum[:])
}

// Sensitive reports whether v stands for a sensitive value: a keyed hash,
// or (from an earlier pipe) no value at all.
func (v Value) Sensitive() bool { return v.SensitiveHMAC != "" || v.Value == nil }

// Decode returns the attribute's value as cty, or ok false when it is
// sensitive or cannot be decoded.
func (v Value) Decode() (val cty.Value, ok bool) {
	if v.Sensitive() {
		return cty.NilVal, false
	}
	ty, err := ctyjson.UnmarshalType(v.Type)
	if err != nil {
		return cty.NilVal, false
	}
	val, err = ctyjson.Unmarshal(v.Value, ty)
	return val, err == nil
}

// Display renders the value for a person: as written in a pipeline, an
// artifact as its digest, a sensitive value as (sensitive value).
func (v Value) Display() string {
	if v.Sensitive() {
		return lang.Redacted
	}
	val, ok := v.Decode()
	if !ok {
		return string(v.Value)
	}
	return lang.Display(val)
}

func (v Value) equal(w Value) bool {
	return string(v.Type) == string(w.Type) && string(v.Value) == string(w.Value) && v.SensitiveHMAC == w.SensitiveHMAC
}

// sortedNames returns the union of two configs' attribute names, sorted.
func sortedNames(a, b map[string]Value) []string {
	var names []string
	for n := range a {
		names = append(names, n)
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
