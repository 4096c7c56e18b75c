package redaction

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/redact"
)

// TestRedactingHandler: log attributes of every kind serve uses are
// redacted, those given to With included. The forms a value is matched
// in are tested in engine/redact.
func TestRedactingHandler(t *testing.T) {
	const secret = `a<b>&"c'+d\e`
	r := redact.New([]string{secret, "ab"})
	var logs bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&logs, nil), func() *redact.Redactor { return r }))
	log.With("early", "with "+secret).Info("message "+secret,
		"string", secret, "error", errors.New("failed: "+secret), "list", []string{"ok", secret},
		slog.Group("group", "inner", secret), "struct", struct{ Why string }{secret}, "number", 3)
	if got := logs.String(); strings.Contains(got, "<b>") || strings.Contains(got, "u003cb") || strings.Count(got, lang.Redacted) != 7 || !strings.Contains(got, `"number":3`) {
		t.Errorf("log: %s", got)
	}
}
