package steps

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Artifact is a content-addressed object in the store: a dataset, a model,
// a report. Its digest names it; two artifacts with the same digest are the
// same bytes.
type Artifact struct {
	// Digest is "sha256:" followed by 64 lowercase hex digits.
	Digest string
	// MediaType says how to read the bytes, e.g.
	// "application/vnd.apache.arrow.file" for a dataset (see [Media]).
	MediaType string
	// Size is the length in bytes.
	Size int64
}

// ArtifactType is the cty type of an artifact value. In a pipeline,
// `train.model.model.digest` is the model's digest.
var ArtifactType = cty.Object(map[string]cty.Type{
	"digest":     cty.String,
	"media_type": cty.String,
	"size":       cty.Number,
})

// Value returns the artifact as a value of ArtifactType.
func (a Artifact) Value() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"digest":     cty.StringVal(a.Digest),
		"media_type": cty.StringVal(a.MediaType),
		"size":       cty.NumberIntVal(a.Size),
	})
}

// String returns the digest and media type, for messages.
func (a Artifact) String() string {
	return fmt.Sprintf("%s (%s, %d bytes)", a.Digest, a.MediaType, a.Size)
}

// IsArtifact reports whether v is a known, non-null artifact value.
func IsArtifact(v cty.Value) bool {
	return v.IsKnown() && !v.IsNull() && v.Type().Equals(ArtifactType)
}

// ArtifactFromValue converts a value of ArtifactType back into an
// Artifact, checking the digest's form.
func ArtifactFromValue(v cty.Value) (Artifact, error) {
	if v.IsNull() {
		return Artifact{}, fmt.Errorf("steps: artifact is null")
	}
	if !v.IsWhollyKnown() {
		return Artifact{}, fmt.Errorf("steps: artifact is not known yet")
	}
	if !v.Type().Equals(ArtifactType) {
		return Artifact{}, fmt.Errorf("steps: %s is not an artifact (want an object with digest, media_type and size)", v.Type().FriendlyName())
	}
	a := Artifact{
		Digest:    v.GetAttr("digest").AsString(),
		MediaType: v.GetAttr("media_type").AsString(),
	}
	size, acc := v.GetAttr("size").AsBigFloat().Int64()
	if acc != big.Exact || size < 0 {
		return Artifact{}, fmt.Errorf("steps: artifact size %s is not a byte count", v.GetAttr("size").AsBigFloat().String())
	}
	a.Size = size
	if !ValidDigest(a.Digest) {
		return Artifact{}, fmt.Errorf("steps: artifact digest %q is not of the form sha256:<64 hex digits>", a.Digest)
	}
	return a, nil
}

// ValidDigest reports whether d is "sha256:" followed by 64 lowercase hex
// digits.
func ValidDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
