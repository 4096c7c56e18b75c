package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

// A step whose configuration holds a sensitive value (its preimage holds a
// keyed hash) has sensitive outputs, as Terraform marks values derived
// from sensitive ones: every output but those holding artifacts, whose
// bytes the store holds in clear anyway and whose digests say nothing
// about the configuration. Such an entry is sealed before it is saved:
// those outputs and the files the step wrote outside the store (their
// folders may be sensitive paths) are encrypted with AES-256-GCM under a
// key derived from the team key (engine/signing), bound to the entry's
// key; the entry keeps each sealed output's type and keyed hash. Only a
// machine holding the key finds the entry at all (its key is a hash of a
// keyed hash), so whoever finds it can open it.

// sealScheme prefixes a sealed part: the algorithm and this format's
// version.
const sealScheme = "pipe-aes256gcm-v1:"

// sealDomain is the engine/signing domain of the key that seals.
const sealDomain = "cache/seal"

// sealedPart is what Entry.Sealed holds, encrypted.
type sealedPart struct {
	Outputs  map[string]cachekey.Value `json:"outputs"`
	External []External                `json:"external,omitempty"`
}

// Sensitive reports whether the entry's step had a sensitive value in its
// configuration, and so sensitive outputs.
func (e *Entry) Sensitive() bool {
	if e.Preimage == nil {
		return false
	}
	for _, v := range e.Preimage.Config {
		if v.Sensitive() {
			return true
		}
	}
	return false
}

// sensitiveOutput reports whether output name is sensitive in an entry
// whose step is: its type holds no artifact.
func (e *Entry) sensitiveOutput(name string) bool {
	ty, err := ctyjson.UnmarshalType(e.Outputs[name].Type)
	return err == nil && !holdsArtifact(ty)
}

// holdsArtifact reports whether values of ty hold artifacts.
func holdsArtifact(ty cty.Type) bool {
	switch {
	case ty.Equals(steps.ArtifactType):
		return true
	case ty.IsObjectType():
		for _, at := range ty.AttributeTypes() {
			if holdsArtifact(at) {
				return true
			}
		}
	case ty.IsTupleType():
		for _, et := range ty.TupleElementTypes() {
			if holdsArtifact(et) {
				return true
			}
		}
	case ty.IsCollectionType():
		return holdsArtifact(ty.ElementType())
	}
	return false
}

// SealedCopy returns the entry as it is saved: for a sensitive entry, a
// copy with its sensitive outputs and its external files encrypted into
// Sealed under the key keys returns; any other entry itself.
func (e *Entry) SealedCopy(keys cachekey.Keys) (*Entry, error) {
	if !e.Sensitive() || e.Sealed != "" {
		return e, nil
	}
	c := *e
	c.Outputs = maps.Clone(e.Outputs)
	if err := c.seal(keys); err != nil {
		return nil, fmt.Errorf("cache: sealing the outputs of %s: %w", e.Step, err)
	}
	return &c, nil
}

func (e *Entry) seal(keys cachekey.Keys) error {
	aead, err := sealer(keys)
	if err != nil {
		return err
	}
	part := sealedPart{Outputs: map[string]cachekey.Value{}, External: e.External}
	for name, v := range e.Outputs {
		if !e.sensitiveOutput(name) {
			continue
		}
		part.Outputs[name] = v
		e.Outputs[name] = cachekey.Value{Type: v.Type, SensitiveHMAC: sealHash(keys, v)}
	}
	plain, err := json.Marshal(part)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	e.Sealed = sealScheme + base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(e.Key)))
	e.External = nil
	return nil
}

// Unseal decrypts what SealedCopy sealed back into the entry, for this
// process; an entry with nothing sealed is left as it is. An error says
// the entry cannot be opened with this key (it was changed, or sealed
// under another key): a miss.
func (e *Entry) Unseal(keys cachekey.Keys) error {
	if e.Sealed == "" {
		return nil
	}
	aead, err := sealer(keys)
	if err != nil {
		return err
	}
	raw, ok := strings.CutPrefix(e.Sealed, sealScheme)
	b, err := base64.StdEncoding.DecodeString(raw)
	if !ok || err != nil || len(b) < aead.NonceSize() {
		return errors.New("its sealed outputs are not a " + strings.TrimSuffix(sealScheme, ":") + " text")
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(e.Key))
	if err != nil {
		return errors.New("its sealed outputs do not open with this key (sealed under another key, or changed)")
	}
	var part sealedPart
	if err := json.Unmarshal(plain, &part); err != nil {
		return errors.New("its sealed outputs do not decode")
	}
	for name, v := range part.Outputs {
		if _, ok := e.Outputs[name]; !ok {
			return fmt.Errorf("its sealed output %q is not one of its outputs", name)
		}
		e.Outputs[name] = v
	}
	e.External, e.Sealed = part.External, ""
	return nil
}

// markSensitive marks the outputs of a sensitive entry that are.
func (e *Entry) markSensitive(vals map[string]cty.Value) {
	if !e.Sensitive() {
		return
	}
	for name, v := range vals {
		if e.sensitiveOutput(name) {
			vals[name] = v.Mark(lang.Sensitive)
		}
	}
}

// sealer returns the AEAD that seals entries under the key keys returns.
func sealer(keys cachekey.Keys) (cipher.AEAD, error) {
	if keys == nil {
		return nil, cachekey.ErrNoKey
	}
	key, err := keys()
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(key.Hash(sealDomain, nil))
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealHash is the keyed hash that stands for a sealed output in clear.
func sealHash(keys cachekey.Keys, v cachekey.Value) string {
	key, err := keys()
	if err != nil {
		return ""
	}
	return key.Hash(cachekey.HashDomain, v.Value)
}
