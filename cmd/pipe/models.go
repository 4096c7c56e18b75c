package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

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
` + registryUsage + `
Examples:
  pipe models
  pipe models show privacy-intent
  pipe models promote -note="rescored by hand" privacy-intent@7 champion
  pipe models rollback privacy-intent champion
  pipe models history -alias=champion privacy-intent
`
}

func (cmd *modelsCmd) Run(ctx context.Context, c *cli, args []string) error {
	sub := ""
	if len(args) > 0 {
		switch args[0] {
		case "show", "history", "promote", "rollback":
			sub, args = args[0], args[1:]
		}
	}
	fs := flag.NewFlagSet("models", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	alias := fs.String("alias", "", "")
	note := fs.String("note", "", "")
	var rf registryFlags
	rf.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	need := map[string]int{"": 0, "show": 1, "history": 1, "promote": 2, "rollback": 2}[sub]
	path, rest, err := pathAndArgs(args, need, cmd.Usage())
	if err != nil {
		return err
	}
	readOnly := sub != "promote" && sub != "rollback"
	reg, err := c.openRegistry(ctx, path, rf.args(), readOnly)
	if err != nil {
		return err
	}
	defer reg.Close()
	switch sub {
	case "":
		return listModels(ctx, c, reg, *asJSON)
	case "show":
		return showModel(ctx, c, reg, rest[0], *asJSON)
	case "history":
		return modelHistory(ctx, c, reg, rest[0], *alias, *asJSON)
	case "promote":
		return promoteModel(ctx, c, reg, rest[0], rest[1], *note, *asJSON)
	default:
		return rollbackModel(ctx, c, reg, rest[0], rest[1], *note, *asJSON)
	}
}

type modelsJSON struct {
	Models []registry.ModelSummary `json:"models"`
}

func listModels(ctx context.Context, c *cli, reg *openedRegistry, asJSON bool) error {
	models, err := reg.Models(ctx)
	if err != nil {
		return err
	}
	if models == nil {
		models = []registry.ModelSummary{}
	}
	if asJSON {
		return writeJSON(c.stdout, modelsJSON{Models: models})
	}
	if len(models) == 0 {
		fmt.Fprintln(c.stdout, "No models published yet. A publish step records them when pipe apply runs it.")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tVERSIONS\tLATEST\tPUBLISHED (UTC)\tALIASES")
	for _, m := range models {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", m.Name, m.Versions, versionLabel(m.Latest), formatWhen(m.LatestCreated), aliasList(m.Aliases))
	}
	return tw.Flush()
}

func versionLabel(v int) string {
	if v == 0 {
		return "-"
	}
	return "v" + strconv.Itoa(v)
}

// aliasList renders aliases by name: "champion=v3 staging=v4".
func aliasList(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = n + "=" + versionLabel(m[n])
	}
	return strings.Join(names, " ")
}

func showModel(ctx context.Context, c *cli, reg *openedRegistry, name string, asJSON bool) error {
	d, err := reg.Model(ctx, name)
	if err != nil {
		return withHint(registryError(err), "pipe models lists them")
	}
	if asJSON {
		return writeJSON(c.stdout, d)
	}
	writeModel(c.stdout, d)
	return nil
}

// writeModel prints a model's versions with their metrics side by side.
func writeModel(w io.Writer, d *registry.ModelDetail) {
	fmt.Fprintf(w, "Model %s: %s, first published %s UTC\n", d.Name, count(len(d.Versions), "version"), formatWhen(d.Created))
	if len(d.Aliases) > 0 {
		var parts []string
		for _, a := range d.Aliases {
			parts = append(parts, fmt.Sprintf("%s=%s", a.Name, versionLabel(a.Version)))
		}
		fmt.Fprintf(w, "Aliases: %s\n", strings.Join(parts, " "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := []string{"VERSION", "PUBLISHED (UTC)", "RUN"}
	header = append(header, d.MetricNames...)
	header = append(header, "EVAL DATA", "ALIASES")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, v := range d.Versions {
		row := []string{versionLabel(v.Version), formatWhen(v.Created), runLabel(v.RunID)}
		for _, m := range d.MetricNames {
			if x, ok := v.Metrics[m]; ok {
				row = append(row, strconv.FormatFloat(x, 'f', 4, 64))
			} else {
				row = append(row, "-")
			}
		}
		eval := "-"
		if v.EvalDataDigest != "" {
			eval = shortDigest(v.EvalDataDigest)
		}
		aliases := "-"
		if len(v.Aliases) > 0 {
			aliases = strings.Join(v.Aliases, ",")
		}
		row = append(row, eval, aliases)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, v := range d.Versions {
		if v.URI != "" {
			fmt.Fprintf(w, "%s  %s\n", versionLabel(v.Version), v.URI)
		}
	}
}

func runLabel(id int64) string {
	if id == 0 {
		return "-"
	}
	return strconv.FormatInt(id, 10)
}

type historyJSON struct {
	Model   string               `json:"model"`
	History []registry.AliasMove `json:"history"`
}

func modelHistory(ctx context.Context, c *cli, reg *openedRegistry, name, alias string, asJSON bool) error {
	moves, err := reg.AliasHistory(ctx, name, alias)
	if err != nil {
		return withHint(registryError(err), "pipe models lists them")
	}
	if asJSON {
		return writeJSON(c.stdout, historyJSON{Model: name, History: moves})
	}
	if len(moves) == 0 {
		what := "aliases"
		if alias != "" {
			what = "alias " + alias
		}
		fmt.Fprintf(c.stdout, "No moves of %s's %s yet.\n", name, what)
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MOVE\tMOVED (UTC)\tALIAS\tFROM\tTO\tBY\tRUN\tWHY")
	for _, m := range moves {
		why := m.Note
		if len(m.Compared) > 0 {
			var parts []string
			names := make([]string, 0, len(m.Compared))
			for n := range m.Compared {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				cmp := m.Compared[n]
				parts = append(parts, fmt.Sprintf("%s %s vs %s", n, strconv.FormatFloat(cmp.Candidate, 'g', 6, 64), strconv.FormatFloat(cmp.Incumbent, 'g', 6, 64)))
			}
			if why != "" {
				why += ": "
			}
			why += strings.Join(parts, ", ")
		}
		if m.Undoes != 0 {
			why = strings.TrimSpace(fmt.Sprintf("undoes move %d %s", m.Undoes, why))
		}
		if why == "" {
			why = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, formatWhen(m.At), m.Alias, versionLabel(m.From), versionLabel(m.To), m.Trigger, runLabel(m.RunID), why)
	}
	return tw.Flush()
}

// aliasMoveJSON is what promote and rollback print with -json.
type aliasMoveJSON struct {
	Model string `json:"model"`
	Alias string `json:"alias"`
	// From is 0 when the alias was new.
	From  int  `json:"from"`
	To    int  `json:"to"`
	Moved bool `json:"moved"`
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

func promoteModel(ctx context.Context, c *cli, reg *openedRegistry, ref, alias, note string, asJSON bool) error {
	v, err := reg.ResolveModel(ctx, ref)
	if err != nil {
		return withHint(registryError(err), "pipe models show NAME lists the versions")
	}
	from, err := currentAlias(ctx, reg, v.Model, alias)
	if err != nil {
		return registryError(err)
	}
	moved, err := reg.SetAlias(ctx, v.Model, alias, v.Version, registry.Reason{Trigger: registry.MoveByPromote, Note: byHand(note)})
	if err != nil {
		return registryError(err)
	}
	if asJSON {
		return writeJSON(c.stdout, aliasMoveJSON{Model: v.Model, Alias: alias, From: from, To: v.Version, Moved: moved})
	}
	switch {
	case !moved:
		fmt.Fprintf(c.stdout, "%s@%s already points at version %d.\n", v.Model, alias, v.Version)
	case from == 0:
		fmt.Fprintf(c.stdout, "%s@%s now points at version %d.\n", v.Model, alias, v.Version)
	default:
		fmt.Fprintf(c.stdout, "Moved %s@%s from version %d to version %d.\n", v.Model, alias, from, v.Version)
	}
	return nil
}

func rollbackModel(ctx context.Context, c *cli, reg *openedRegistry, model, alias, note string, asJSON bool) error {
	from, err := currentAlias(ctx, reg, model, alias)
	if err != nil {
		return withHint(registryError(err), "pipe models lists them")
	}
	to, err := reg.Rollback(ctx, model, alias, registry.Reason{Note: byHand(note)})
	if err != nil {
		return withHint(registryError(err), "pipe models history %s shows the moves", model)
	}
	if asJSON {
		return writeJSON(c.stdout, aliasMoveJSON{Model: model, Alias: alias, From: from, To: to, Moved: true})
	}
	fmt.Fprintf(c.stdout, "Rolled back %s@%s from version %d to version %d.\n", model, alias, from, to)
	return nil
}
