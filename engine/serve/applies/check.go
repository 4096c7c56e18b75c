package applies

import "time"

// Outcomes of a check.
const (
	// OutcomeInvalid: the pipeline did not load; nothing ran.
	OutcomeInvalid = "invalid"
	// OutcomeError: the pipeline loaded but could not be planned or
	// applied (an input file missing, the store unreachable).
	OutcomeError = "error"
	// OutcomeUpToDate: a watch check whose plan had nothing to run.
	OutcomeUpToDate = "up_to_date"
	// OutcomeUnchanged: a watch check whose pipeline and input files are
	// those last applied (a run that failed is not retried for a touched
	// file).
	OutcomeUnchanged = "unchanged"
	// OutcomeLockHeld: another apply held the state lock; serve checks
	// again after LockRetry.
	OutcomeLockHeld = "lock_held"
	// OutcomeApplied: an apply ran and was recorded as RunID.
	OutcomeApplied = "applied"
)

// Check is how serve handled one request.
type Check struct {
	// Trigger is watch or schedule; Reason what caused it ("start", "poll",
	// "change in /data", "schedule 0 2 * * *").
	Trigger string    `json:"trigger"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
	// Outcome is one of the Outcome constants; Message says more (the
	// first error, why nothing ran).
	Outcome string `json:"outcome"`
	Message string `json:"message,omitempty"`
	// ToRun and Cached count the steps of the plan, when one was made.
	ToRun  int `json:"to_run"`
	Cached int `json:"cached"`
	// RunID and Status are the run's, when one was recorded.
	RunID    int64   `json:"run_id,omitempty"`
	Status   string  `json:"status,omitempty"`
	Duration float64 `json:"duration_seconds"`
}

// Progress is the apply in progress, as /api/status shows it.
type Progress struct {
	RunID   int64           `json:"run_id,omitempty"`
	Trigger string          `json:"trigger"`
	Started time.Time       `json:"started"`
	Steps   []*StepProgress `json:"steps"`
}

// StepProgress is one step of the apply in progress.
type StepProgress struct {
	Step string `json:"step"`
	Kind string `json:"kind"`
	// Status is planned, cached (by the plan), running, or how it
	// finished: ran, cached, failed, skipped or cancelled.
	Status   string  `json:"status"`
	Done     int64   `json:"done,omitempty"`
	Total    int64   `json:"total,omitempty"`
	Note     string  `json:"note,omitempty"`
	Duration float64 `json:"duration_seconds,omitempty"`
}

// clone returns a deep copy of p, or nil.
func (p *Progress) clone() *Progress {
	if p == nil {
		return nil
	}
	c := *p
	c.Steps = nil
	for _, st := range p.Steps {
		cp := *st
		c.Steps = append(c.Steps, &cp)
	}
	return &c
}
