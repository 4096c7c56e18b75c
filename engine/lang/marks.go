package lang

import "github.com/zclconf/go-cty/cty"

type mark string

// Sensitive marks values that come from a sensitive variable, and every
// value computed from one. Such values are hashed into cache keys but
// never printed, logged or recorded in clear.
const Sensitive = mark("sensitive")

// Redacted is what is shown in place of a sensitive value.
const Redacted = "(sensitive value)"

// IsSensitive reports whether v or anything inside it is sensitive.
func IsSensitive(v cty.Value) bool {
	if v.HasMark(Sensitive) {
		return true
	}
	return v.ContainsMarked()
}
