package plan

import (
	"fmt"
	"strings"

	"github.com/pipe-ml/pipe/engine/cachekey"
)

// Stale compares a saved plan with a fresh plan of the same pipeline and
// lists every way the pipeline, its variables or its inputs changed since
// the saved plan was made. An empty list means the saved plan still holds
// and applying it runs exactly what it says.
func Stale(saved *Document, fresh *Plan) []string {
	var problems []string
	now := SourceDigests(fresh.Pipeline.Config)
	for _, name := range sortedKeys(saved.Saved.Sources) {
		switch d, ok := now[name]; {
		case !ok:
			problems = append(problems, fmt.Sprintf("pipeline file %s is gone", name))
		case d != saved.Saved.Sources[name]:
			problems = append(problems, fmt.Sprintf("pipeline file %s changed", name))
		}
	}
	for _, name := range sortedKeys(now) {
		if _, ok := saved.Saved.Sources[name]; !ok {
			problems = append(problems, fmt.Sprintf("pipeline file %s is new", name))
		}
	}
	for _, name := range sortedKeys(saved.Saved.Variables) {
		v, ok := fresh.Pipeline.Vars[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("variable %s is no longer declared", name))
			continue
		}
		enc, err := cachekey.Encode(v, fresh.Keys)
		old := saved.Saved.Variables[name]
		if err != nil || string(enc.Type) != string(old.Type) || string(enc.Value) != string(old.Value) || enc.SensitiveHMAC != old.SensitiveHMAC {
			if old.Sensitive() {
				problems = append(problems, fmt.Sprintf("sensitive variable %s has another value than when planned (give it again with -var or PIPE_VAR_%s)", name, name))
			} else {
				problems = append(problems, fmt.Sprintf("variable %s is %s, not %s as planned", name, enc.Display(), old.Display()))
			}
		}
	}
	planned := map[string]DocumentStep{}
	for _, s := range saved.Steps {
		planned[s.Address] = s
	}
	seen := map[string]bool{}
	for _, s := range fresh.Steps {
		addr := s.Addr.String()
		seen[addr] = true
		old, ok := planned[addr]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("step %s was not in the plan", addr))
		case old.Action == Run && s.Action == Cached && (old.Key == s.Key || old.KnownAfterApply):
			// Someone ran it since, with the same inputs: the result is the
			// one the plan would have produced.
		case old.Action != s.Action:
			problems = append(problems, fmt.Sprintf("step %s was planned as %s and would now be %s%s", addr, old.Action, s.Action, because(s)))
		case old.Key != s.Key:
			problems = append(problems, fmt.Sprintf("step %s has other inputs than planned%s", addr, because(s)))
		}
	}
	for _, s := range saved.Steps {
		if !seen[s.Address] {
			problems = append(problems, fmt.Sprintf("step %s is no longer in the pipeline", s.Address))
		}
	}
	return problems
}

func because(s *Step) string {
	var msgs []string
	for _, r := range s.Reasons {
		msgs = append(msgs, r.Message)
	}
	if len(msgs) == 0 {
		return ""
	}
	return " (" + strings.Join(msgs, "; ") + ")"
}
