package index

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

// Refusal is a fact the index did not apply because it contradicts what
// came before it in the log: a run that does not exist, a version number
// already taken, an alias that had moved. Every index refuses the same
// facts, since each applies the same entries in the same order.
type Refusal struct {
	// Fact is the fact's position in its entry, from 1.
	Fact   int
	Type   string
	Reason string
}

func (r Refusal) Error() string {
	return fmt.Sprintf("index: %s fact %d refused: %s", r.Type, r.Fact, r.Reason)
}

// refuse is what a fact's apply function returns for a fact it refuses.
type refuse string

// Apply applies the facts of entry n, in order: a refused fact leaves no
// trace and is returned as a Refusal. An error is a failure of the index
// itself, and the transaction should be rolled back. Applying a fact whose
// key the index already holds changes nothing, so that an entry applied
// twice (by two processes sharing the file) is harmless.
//
// The facts are applied together first, in one savepoint; only when one
// is refused are they applied again one by one, each in its own, so that
// the others stay.
func (t *Tx) Apply(ctx context.Context, n int64, facts []txlog.Fact) ([]Refusal, error) {
	if err := t.Savepoint(ctx, "entry"); err != nil {
		return nil, err
	}
	all := true
	for _, f := range facts {
		why, err := t.applyFact(ctx, n, f)
		if err != nil && !isConstraint(err) {
			return nil, err
		}
		if why != "" || err != nil {
			all = false
			break
		}
	}
	if all {
		return nil, t.Release(ctx, "entry")
	}
	if err := t.RollbackTo(ctx, "entry"); err != nil {
		return nil, err
	}
	refused, err := t.applyEach(ctx, n, facts)
	if err != nil {
		return nil, err
	}
	return refused, t.Release(ctx, "entry")
}

// applyEach applies the facts one by one, each in a savepoint.
func (t *Tx) applyEach(ctx context.Context, n int64, facts []txlog.Fact) ([]Refusal, error) {
	var refused []Refusal
	for i, f := range facts {
		sp := "fact" + strconv.Itoa(i)
		if err := t.Savepoint(ctx, sp); err != nil {
			return nil, err
		}
		why, err := t.applyFact(ctx, n, f)
		if err != nil && isConstraint(err) {
			why, err = refuse(err.Error()), nil
		}
		if err != nil {
			return nil, err
		}
		if why != "" {
			if err := t.RollbackTo(ctx, sp); err != nil {
				return nil, err
			}
			refused = append(refused, Refusal{Fact: i + 1, Type: f.Name(), Reason: string(why)})
		}
		if err := t.Release(ctx, sp); err != nil {
			return nil, err
		}
	}
	return refused, nil
}

// RecordRefusals keeps the refusals of entry n in refused_facts.
func (t *Tx) RecordRefusals(ctx context.Context, n int64, refused []Refusal) error {
	for _, r := range refused {
		if _, err := t.exec(ctx, `INSERT OR REPLACE INTO refused_facts (entry, fact, type, reason) VALUES (?, ?, ?, ?)`,
			n, r.Fact, r.Type, r.Reason); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) applyFact(ctx context.Context, n int64, f txlog.Fact) (refuse, error) {
	switch {
	case f.RunBegun != nil:
		return t.runBegun(ctx, n, f.RunBegun)
	case f.RunEnded != nil:
		return t.runEnded(ctx, f.RunEnded)
	case f.ExecutionStarted != nil:
		return t.executionStarted(ctx, f.ExecutionStarted)
	case f.ExecutionEnded != nil:
		return t.executionEnded(ctx, f.ExecutionEnded)
	case f.ArtifactSeen != nil:
		_, why, err := t.upsertArtifact(ctx, f.ArtifactSeen.Artifact, FormatTime(f.ArtifactSeen.At))
		return why, err
	case f.VersionReserved != nil:
		return t.versionReserved(ctx, f.VersionReserved)
	case f.VersionCreated != nil:
		return t.versionCreated(ctx, f.VersionCreated)
	case f.AliasMoved != nil:
		return t.aliasMoved(ctx, f.AliasMoved)
	}
	return "unknown fact", nil
}

// compactJSON returns raw compacted, or nil when empty.
func compactJSON(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.String(), nil
}

func warningsJSON(ws []string) any {
	if len(ws) == 0 {
		return nil
	}
	b, _ := json.Marshal(ws)
	return string(b)
}
