package steps

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Media types of the artifacts the built-in kinds exchange. A kind that
// reads an artifact checks its media type before decoding it.
const (
	// MediaDataset is an Arrow IPC file holding one dataset (see
	// steps/shared/dataset).
	MediaDataset = "application/vnd.apache.arrow.file"
	// MediaModel is a JSON logistic regression model (see steps/shared/logreg).
	MediaModel = "application/vnd.pipe.model.v1+json"
	// MediaReport is a JSON evaluation report.
	MediaReport = "application/vnd.pipe.report.v1+json"
	// MediaTrials is a JSON table of search trials.
	MediaTrials = "application/vnd.pipe.trials.v1+json"
	// MediaParquet and MediaCSV are predictions written by predict.
	MediaParquet = "application/vnd.apache.parquet"
	MediaCSV     = "text/csv"
	// MediaPNG is an image.
	MediaPNG = "image/png"
)

// Artifact is a content-addressed object in the store: a dataset, a model,
// a report. Its digest names it; two artifacts with the same digest are the
// same bytes.
type Artifact struct {
	// Digest is "sha256:" followed by 64 lowercase hex digits.
	Digest string
	// MediaType says how to read the bytes, e.g. MediaDataset.
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
