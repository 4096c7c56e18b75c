package snapshot

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipe-ml/pipe/engine/diagfmt"
	"github.com/pipe-ml/pipe/engine/redact"
	"github.com/pipe-ml/pipe/engine/serve/redaction"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// Snapshot is one load of the pipeline from disk.
type Snapshot struct {
	// Workspace is what loaded; nil or partial when the load had errors.
	Workspace *workspace.Workspace
	Diags     hcl.Diagnostics
	Valid     bool
	// Name is the pipeline's name: the last good load's when this one has
	// errors, or the folder's when nothing ever decoded.
	Name string
	At   time.Time
	// Generation is the ConfigMap version read (the ..data link's
	// target), "" outside a ConfigMap.
	Generation string
	// Digest is the workspace's ConfigDigest, when valid.
	Digest string
	// Redactor hides the values of the sensitive variables of this load,
	// or of the last load that decoded a configuration when this one
	// decoded none.
	Redactor *redact.Redactor
}

// Sources are the pipeline files' bytes for diagnostics' snippets;
// variable files are left out, so a snippet never shows a value from one.
func (s *Snapshot) Sources() diagfmt.Sources {
	if s.Workspace == nil || s.Workspace.Pipeline == nil || s.Workspace.Pipeline.Config == nil {
		return nil
	}
	return diagfmt.Sources(s.Workspace.Pipeline.Config.Sources)
}

// Redact returns copies of diags without the values of sensitive
// variables, which a diagnostic about a malformed value may quote.
func (s *Snapshot) Redact(diags hcl.Diagnostics) hcl.Diagnostics {
	return s.Redactor.Diagnostics(diags)
}

// NotLoading says that the pipeline does not load and how many errors
// it has, for a check's message and /readyz.
func (s *Snapshot) NotLoading() string {
	return fmt.Sprintf("the pipeline does not load (%s); nothing runs until it is fixed", CountErrors(s.Diags))
}

// configMapData is the symlink kubelet swaps to publish a new version of
// a ConfigMap volume.
const configMapData = "..data"

// generation returns the target of dir/..data, or "".
func generation(dir string) string {
	target, err := os.Readlink(filepath.Join(dir, configMapData))
	if err != nil {
		return ""
	}
	return target
}

// Loader reads the pipeline from its folder.
type Loader struct {
	// Dir is the pipeline folder, absolute.
	Dir     string
	Options workspace.Options
	// Resolve is workspace.Resolve; tests wrap it.
	Resolve func(workspace.Options) (*workspace.Workspace, hcl.Diagnostics)
	Now     func() time.Time
	Log     *slog.Logger
	// Secrets is the redactor in force, kept for a load that decodes no
	// configuration.
	Secrets *redaction.Current

	mu       sync.Mutex
	goodName string // the pipeline's name in the last load without errors
}

// Load reads the pipeline once, consistently: when the ..data link moved
// while the files were read, it reads them again.
func (ld *Loader) Load() *Snapshot {
	var s *Snapshot
	for range 5 {
		before := generation(ld.Dir)
		ws, diags := ld.Resolve(ld.Options)
		s = &Snapshot{Workspace: ws, Diags: diags, Valid: !diags.HasErrors(), At: ld.Now(), Generation: before}
		if generation(ld.Dir) == before {
			break
		}
		ld.Log.Info("the ConfigMap changed while it was read; reading it again")
	}
	s.Name = ld.name(s)
	if s.Valid {
		s.Digest = s.Workspace.ConfigDigest()
	}
	s.Redactor = ld.Secrets.Load()
	if ws := s.Workspace; ws != nil && ws.Pipeline != nil && ws.Pipeline.Config != nil {
		s.Redactor = redaction.Of(ws.Pipeline.Config, ws.Pipeline.Vars, ld.Options)
	}
	return s
}

// name names a load. A broken load keeps the name of the last good one,
// so that its metrics stay one series: the name a broken file decodes to
// may be the folder's.
func (ld *Loader) name(s *Snapshot) string {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	switch {
	case s.Valid:
		ld.goodName = s.Workspace.Pipeline.Config.Name()
		return ld.goodName
	case ld.goodName != "":
		return ld.goodName
	case s.Workspace != nil && s.Workspace.Pipeline != nil && s.Workspace.Pipeline.Config != nil:
		return s.Workspace.Pipeline.Config.Name()
	default:
		return filepath.Base(ld.Dir)
	}
}

// FirstError is the first error of diags as one line, with its place.
func FirstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("%s:%d,%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
		}
		return msg
	}
	return ""
}

// CountErrors counts the errors of diags in words: "1 error", "3 errors".
func CountErrors(diags hcl.Diagnostics) string {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	if n == 1 {
		return "1 error"
	}
	return fmt.Sprintf("%d errors", n)
}
