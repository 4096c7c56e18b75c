package registry

import (
	"context"
	"fmt"

	"github.com/pipe-ml/pipe/engine/registry/index"
	"github.com/pipe-ml/pipe/engine/registry/models"
	"github.com/pipe-ml/pipe/engine/registry/txlog"
)

// CreateModelVersion records a new version of the model (creating the model
// on its first version) and returns its number with created=true: the
// number reserved for its model digest (ReserveVersion), else the next
// one in the log. When the model already has a version with the same
// model digest, it returns that version with created=false and changes
// nothing: publishing the same model twice makes no new version. Two
// publishes at once, on any machines, never get one number twice: the
// log gives each entry to one writer, and the other decides again.
func (db *DB) CreateModelVersion(ctx context.Context, mv ModelVersion) (version int, created bool, err error) {
	err = db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		fact, v, err := models.NewVersion(ctx, tx, mv, db.now())
		version, created = v, fact != nil
		if fact == nil {
			return nil, err
		}
		return []txlog.Fact{{VersionCreated: fact}}, err
	}, nil)
	return version, created, err
}

// ReserveVersion returns the number the version of model made from
// modelDigest has, or will have: its existing number (existing true),
// the number reserved for it before, or the next number, which it
// reserves in the log for this digest so that no other publish, on any
// machine, gets it. A publish writes the version's files under that
// number, then records it with CreateModelVersion.
func (db *DB) ReserveVersion(ctx context.Context, model, modelDigest string, runID, executionID int64) (version int, existing bool, err error) {
	err = db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		fact, v, err := models.Reserve(ctx, tx, model, modelDigest, runID, executionID, db.now())
		if err != nil || fact != nil {
			version, existing = v, false
			return []txlog.Fact{{VersionReserved: fact}}, err
		}
		_, reserved, err := index.VersionOfDigest(ctx, tx, model, modelDigest)
		version, existing = v, !reserved
		return nil, err
	}, nil)
	return version, existing, err
}

// SetAlias points the model's alias at version and records the move in the
// alias history with its reason. It returns moved=false, and records
// nothing, when the alias already points there. A move by hand (any
// trigger but MoveByPublish) expects the alias where it was when the call
// began: when it moves meanwhile (another machine promotes or publishes),
// the call fails with an error that says what happened, and moves
// nothing. A publish's move is made on top of whatever came first.
func (db *DB) SetAlias(ctx context.Context, model, alias string, version int, why Reason) (moved bool, err error) {
	expected := -1
	err = db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		if why.Trigger != MoveByPublish {
			if err := holderUnchanged(ctx, tx, model, alias, &expected); err != nil {
				return nil, err
			}
		}
		fact, err := models.SetAlias(ctx, tx, model, alias, version, why, db.now())
		moved = fact != nil
		if fact == nil {
			return nil, err
		}
		fact.Move = newKey()
		return []txlog.Fact{{AliasMoved: fact}}, nil
	}, nil)
	return moved, err
}

// holderUnchanged checks that the alias points where it did at the first
// attempt of a change (*expected, -1 before it), and remembers that.
func holderUnchanged(ctx context.Context, q index.Querier, model, alias string, expected *int) error {
	cur, err := models.Holder(ctx, q, model, alias)
	if err != nil {
		return err
	}
	if *expected == -1 {
		*expected = cur
		return nil
	}
	if cur != *expected {
		return fmt.Errorf("registry: %s@%s was %s while this change was being recorded (it pointed at version %d before), so nothing was changed; look at `pipe models history %s` and try again if you still mean it",
			model, alias, models.LastMove(ctx, q, model, alias), *expected, model)
	}
	return nil
}

// PromoteIf moves the model's alias to version when the rule says the
// candidate beats the version the alias points at now, and records the
// comparison with the move. The decision is made on the log as it is when
// the move is recorded: when another publish moved the alias meanwhile,
// the decision is made again against the new incumbent.
func (db *DB) PromoteIf(ctx context.Context, model, alias string, version int, rule PromoteRule, why Reason) (*Decision, error) {
	var d *Decision
	err := db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		fact, dec, err := models.PromoteIf(ctx, tx, model, alias, version, rule, why, db.now())
		d = dec
		if fact == nil {
			return nil, err
		}
		fact.Move = newKey()
		return []txlog.Fact{{AliasMoved: fact}}, err
	}, nil)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Rollback undoes the latest move of the alias that has not been undone
// yet, pointing the alias back at the version it had before that move, and
// records the rollback as a move of its own. Rolling back again undoes the
// move before that, like an editor's undo. It returns the version the alias
// now points at. why.Trigger is set to MoveByRollback. Like SetAlias, it
// fails when the alias moves while it is being recorded.
func (db *DB) Rollback(ctx context.Context, model, alias string, why Reason) (int, error) {
	var to int
	expected := -1
	err := db.change(ctx, func(ctx context.Context, tx *index.Tx) ([]txlog.Fact, error) {
		if err := holderUnchanged(ctx, tx, model, alias, &expected); err != nil {
			return nil, err
		}
		fact, v, err := models.Rollback(ctx, tx, model, alias, why, db.now())
		if err != nil {
			return nil, err
		}
		to, fact.Move = v, newKey()
		return []txlog.Fact{{AliasMoved: fact}}, nil
	}, nil)
	return to, err
}

// Models lists every model, by name.
func (db *DB) Models(ctx context.Context) ([]ModelSummary, error) {
	var out []ModelSummary
	err := db.read(ctx, func(q index.Querier) (err error) {
		out, err = models.List(ctx, q)
		return err
	})
	return out, err
}

// Model returns one model with all its versions and aliases.
func (db *DB) Model(ctx context.Context, name string) (*ModelDetail, error) {
	var d *ModelDetail
	err := db.read(ctx, func(q index.Querier) (err error) {
		d, err = models.Detail(ctx, q, name)
		return err
	})
	return d, err
}

// Aliases returns where each alias of the model points, by name.
func (db *DB) Aliases(ctx context.Context, model string) ([]Alias, error) {
	var out []Alias
	err := db.read(ctx, func(q index.Querier) (err error) {
		out, err = models.Aliases(ctx, q, model)
		return err
	})
	return out, err
}

// AliasHistory returns every move of the model's aliases (of one alias
// when alias is not empty), oldest first.
func (db *DB) AliasHistory(ctx context.Context, model, alias string) ([]AliasMove, error) {
	var out []AliasMove
	err := db.read(ctx, func(q index.Querier) (err error) {
		out, err = models.History(ctx, q, model, alias)
		return err
	})
	return out, err
}

// ResolveModel returns the model version that ref names: "NAME@3",
// "NAME@v3", "NAME@latest" or "NAME@ALIAS".
func (db *DB) ResolveModel(ctx context.Context, ref string) (*ModelVersion, error) {
	var out *ModelVersion
	err := db.read(ctx, func(q index.Querier) (err error) {
		out, err = models.Resolve(ctx, q, ref)
		return err
	})
	return out, err
}
