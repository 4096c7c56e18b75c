package registry

import (
	"strings"

	"github.com/pipe-ml/pipe/engine/signing"
)

// SensitivePrefix begins the name the registry records for a model (or
// an alias) whose name a pipeline gave as a sensitive value.
const SensitivePrefix = "sensitive-"

// sensitiveNameDomain is the engine/signing domain of such names.
const sensitiveNameDomain = "registry/name"

// SensitiveName is the name the registry records for the sensitive name
// name: "sensitive-" and 32 hex digits of its keyed hash under key. It
// stands for the name everywhere the registry's names go (pipe models,
// serve's API and page, /metrics labels, lineage.json) without saying
// it, and cannot be found by hashing likely names without the key; the
// same name under the same key is the same model on every machine.
// Commands given the clear name find the model by computing it.
func SensitiveName(key *signing.Key, name string) string {
	return SensitivePrefix + key.Hash(sensitiveNameDomain, []byte(name))[:32]
}

// IsSensitiveName reports whether name is one SensitiveName made.
func IsSensitiveName(name string) bool {
	rest, ok := strings.CutPrefix(name, SensitivePrefix)
	if !ok || len(rest) != 32 {
		return false
	}
	for _, c := range rest {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
