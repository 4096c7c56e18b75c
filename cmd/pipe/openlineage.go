package main

import (
	"context"
	"time"

	"github.com/pipe-ml/pipe/engine/apply"
	"github.com/pipe-ml/pipe/engine/openlineage"
	"github.com/pipe-ml/pipe/engine/registry"
	"github.com/pipe-ml/pipe/engine/runner"
	"github.com/pipe-ml/pipe/engine/workspace"
)

// Environment variables for OpenLineage.
const (
	envOpenLineageURL       = "PIPE_OPENLINEAGE_URL"
	envOpenLineageNamespace = "PIPE_OPENLINEAGE_NAMESPACE"
	envOpenLineageAPIKey    = "PIPE_OPENLINEAGE_API_KEY"
)

const openLineageUsage = `  -openlineage=URL|FILE
                     Send an OpenLineage START and COMPLETE, FAIL or ABORT
                     event for every step execution to URL (a URL without
                     a path posts to /api/v1/lineage), or append them to
                     FILE as NDJSON. Default: PIPE_OPENLINEAGE_URL. Never
                     fails the apply. PIPE_OPENLINEAGE_NAMESPACE sets the
                     job namespace (default pipe), PIPE_OPENLINEAGE_API_KEY
                     a bearer token.
`

// lineageReport reports one apply to OpenLineage. A nil *lineageReport
// reports nothing.
type lineageReport struct {
	client  *openlineage.Client
	tracker *openlineage.Tracker
	begun   bool
}

// openLineage starts reporting the apply of w to target (the flag's
// value, else PIPE_OPENLINEAGE_URL); nil when neither is set.
func (c *cli) openLineage(target string, w *workspace.Workspace) (*lineageReport, error) {
	if target == "" {
		target = c.getenv(envOpenLineageURL)
	}
	if target == "" {
		return nil, nil
	}
	client, err := openlineage.NewClient(target, &openlineage.Settings{APIKey: c.getenv(envOpenLineageAPIKey)})
	if err != nil {
		return nil, withHint(err, "-openlineage=http://marquez:5000 or -openlineage=lineage.ndjson")
	}
	producer := openlineage.DefaultProducer
	if v := currentBuild().Version; v != "dev" {
		producer += "/tree/" + v
	}
	return &lineageReport{client: client, tracker: openlineage.NewTracker(client, openlineage.TrackerOptions{
		Pipeline:  w.Pipeline.Config.Name(),
		Namespace: c.getenv(envOpenLineageNamespace),
		Dir:       w.Pipeline.Config.Dir,
		Producer:  producer,
		Logger:    c.logger(),
	})}, nil
}

func (l *lineageReport) begin(run registry.Run) {
	if l != nil {
		l.begun = true
		l.tracker.Begin(run)
	}
}

func (l *lineageReport) event(e apply.Event) {
	if l != nil {
		l.tracker.Event(e)
	}
}

// end reports how the apply ended and waits, at most 10 seconds, for the
// events to be sent.
func (l *lineageReport) end(out *runner.Outcome, err error) {
	if l == nil {
		return
	}
	if l.begun {
		status, msg := registry.RunFailed, ""
		if err != nil {
			msg = err.Error()
		} else if out != nil {
			status = out.Status
			if out.Result != nil {
				for _, s := range out.Result.Steps {
					if s.Err != nil && s.Status == apply.Failed {
						msg = s.Addr.String() + ": " + s.Err.Error()
						break
					}
				}
			}
		}
		l.tracker.End(status, msg, time.Now())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.tracker.Close(ctx)
	l.client.Close()
}
