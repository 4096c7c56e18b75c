package main

import (
	"context"
	"os/user"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/registry"
)

type modelsCmd struct{}

func (*modelsCmd) Name() string { return "models" }
func (*modelsCmd) Synopsis() string {
	return "List published models; show, promote, roll back and trace their aliases"
}
func (*modelsCmd) Usage() string {
	return `Usage: pipe models [options] [PATH]
       pipe models show [options] [PATH] NAME
       pipe models history [options] [PATH] NAME
       pipe models promote [options] [PATH] NAME@VERSION ALIAS
       pipe models rollback [options] [PATH] NAME ALIAS

Models are published by the publish step into the lineage registry of
the pipeline in PATH (default the current folder): one version per
distinct model, with its metrics, the data they were measured on, and
aliases (champion, staging) that point at versions.

  (none)     List the models: versions, newest version, aliases.
  show       Every version of NAME with its metrics side by side, where
             it was published, and the aliases.
  history    Every move of NAME's aliases, oldest first: when, from which
             version to which, by what (publish, promote, rollback), in
             which run, and the metrics compared.
  promote    Point ALIAS at a version by hand. NAME@VERSION may also be
             NAME@latest or NAME@OTHER-ALIAS.
  rollback   Undo the latest move of ALIAS that was not undone yet,
             pointing it back where it was; again to undo the one
             before.

Every move is recorded in the history. promote and rollback change the
registry and so need to write it.

Options:
  -json              Print JSON.
  -alias=ALIAS       history: only this alias's moves.
  -note=TEXT         promote, rollback: why, recorded with the move.
` + arguments.RegistryHelp + `
Examples:
  pipe models
  pipe models show privacy-intent
  pipe models promote -note="rescored by hand" privacy-intent@7 champion
  pipe models rollback privacy-intent champion
  pipe models history -alias=champion privacy-intent
`
}

func (*modelsCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseModels(args)
	if err != nil {
		return err
	}
	v := c.view(a.View)
	reg, err := c.openRegistry(ctx, v, a.Path, a.Registry, a.ReadOnly())
	if err != nil {
		return err
	}
	defer reg.Close()
	view := views.NewModels(a.ViewType, v)
	if a.Sub == "promote" {
		a.Model = reg.modelRef(ctx, a.Model)
	} else {
		a.Model = reg.modelName(ctx, a.Model)
	}
	switch a.Sub {
	case "":
		models, err := reg.Models(ctx)
		if err != nil {
			return err
		}
		return view.List(models)
	case "show":
		d, err := reg.Model(ctx, a.Model)
		if err != nil {
			return withHint(registryError(err), "pipe models lists them")
		}
		return view.Show(d)
	case "history":
		moves, err := reg.AliasHistory(ctx, a.Model, a.Alias)
		if err != nil {
			return withHint(registryError(err), "pipe models lists them")
		}
		return view.History(a.Model, a.Alias, moves)
	case "promote":
		m, err := promote(ctx, reg, a.Model, a.Alias, a.Note)
		if err != nil {
			return err
		}
		return view.Promoted(m)
	default:
		m, err := rollback(ctx, reg, a.Model, a.Alias, a.Note)
		if err != nil {
			return err
		}
		return view.RolledBack(m)
	}
}

// byHand is the note of a move made from the command line.
func byHand(note string) string {
	if note != "" {
		return note
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "by " + u.Username
	}
	return ""
}

func currentAlias(ctx context.Context, reg *openedRegistry, model, alias string) (int, error) {
	aliases, err := reg.Aliases(ctx, model)
	if err != nil {
		return 0, err
	}
	for _, a := range aliases {
		if a.Name == alias {
			return a.Version, nil
		}
	}
	return 0, nil
}

// promote points alias at the version ref names (NAME@VERSION,
// NAME@latest, NAME@OTHER-ALIAS).
func promote(ctx context.Context, reg *openedRegistry, ref, alias, note string) (views.AliasMoved, error) {
	v, err := reg.ResolveModel(ctx, ref)
	if err != nil {
		return views.AliasMoved{}, withHint(registryError(err), "pipe models show NAME lists the versions")
	}
	from, err := currentAlias(ctx, reg, v.Model, alias)
	if err != nil {
		return views.AliasMoved{}, registryError(err)
	}
	moved, err := reg.SetAlias(ctx, v.Model, alias, v.Version, registry.Reason{Trigger: registry.MoveByPromote, Note: byHand(note)})
	if err != nil {
		return views.AliasMoved{}, registryError(err)
	}
	return views.AliasMoved{Model: v.Model, Alias: alias, From: from, To: v.Version, Moved: moved}, nil
}

// rollback undoes the latest move of model's alias not undone yet.
func rollback(ctx context.Context, reg *openedRegistry, model, alias, note string) (views.AliasMoved, error) {
	from, err := currentAlias(ctx, reg, model, alias)
	if err != nil {
		return views.AliasMoved{}, withHint(registryError(err), "pipe models lists them")
	}
	to, err := reg.Rollback(ctx, model, alias, registry.Reason{Note: byHand(note)})
	if err != nil {
		return views.AliasMoved{}, withHint(registryError(err), "pipe models history %s shows the moves", model)
	}
	return views.AliasMoved{Model: model, Alias: alias, From: from, To: to, Moved: true}, nil
}
