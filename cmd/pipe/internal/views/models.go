package views

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/registry"
)

// AliasMoved is an alias moved by hand: pipe models promote or rollback,
// and what they print with -json.
type AliasMoved struct {
	Model string `json:"model"`
	Alias string `json:"alias"`
	// From is 0 when the alias was new.
	From int `json:"from"`
	To   int `json:"to"`
	// Moved is false when the alias already pointed at To.
	Moved bool `json:"moved"`
}

// Models prints published models: pipe models and its subcommands.
type Models interface {
	List(models []registry.ModelSummary) error
	Show(d *registry.ModelDetail) error
	// History prints the moves of model's aliases (of alias only, when
	// not "").
	History(model, alias string, moves []registry.AliasMove) error
	Promoted(m AliasMoved) error
	RolledBack(m AliasMoved) error
}

// NewModels returns the models view for vt: tables and sentences, or
// JSON.
func NewModels(vt arguments.ViewType, v *View) Models {
	if vt == arguments.ViewJSON {
		return modelsJSON{v}
	}
	return modelsHuman{v}
}

type modelsJSON struct{ *View }

// ModelsDocument is what pipe models -json prints.
type ModelsDocument struct {
	Models []registry.ModelSummary `json:"models"`
}

// HistoryDocument is what pipe models history -json prints.
type HistoryDocument struct {
	Model   string               `json:"model"`
	History []registry.AliasMove `json:"history"`
}

func (v modelsJSON) List(models []registry.ModelSummary) error {
	if models == nil {
		models = []registry.ModelSummary{}
	}
	return writeJSON(v.Stdout, ModelsDocument{Models: models})
}

func (v modelsJSON) Show(d *registry.ModelDetail) error { return writeJSON(v.Stdout, d) }

func (v modelsJSON) History(model, _ string, moves []registry.AliasMove) error {
	return writeJSON(v.Stdout, HistoryDocument{Model: model, History: moves})
}

func (v modelsJSON) Promoted(m AliasMoved) error   { return writeJSON(v.Stdout, m) }
func (v modelsJSON) RolledBack(m AliasMoved) error { return writeJSON(v.Stdout, m) }

type modelsHuman struct{ *View }

func (v modelsHuman) List(models []registry.ModelSummary) error {
	if len(models) == 0 {
		_, err := fmt.Fprintln(v.Stdout, "No models published yet. A publish step records them when pipe apply runs it.")
		return err
	}
	tw := tabwriter.NewWriter(v.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tVERSIONS\tLATEST\tPUBLISHED (UTC)\tALIASES")
	for _, m := range models {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", m.Name, m.Versions, versionLabel(m.Latest), formatWhen(m.LatestCreated), aliasList(m.Aliases))
	}
	return tw.Flush()
}

// aliasList renders aliases by name: "champion=v3 staging=v4".
func aliasList(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, n+"="+versionLabel(m[n]))
	}
	return strings.Join(parts, " ")
}

// Show prints a model's versions with their metrics side by side.
func (v modelsHuman) Show(d *registry.ModelDetail) error {
	w := v.Stdout
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
	for _, mv := range d.Versions {
		fmt.Fprintln(tw, strings.Join(versionRow(mv, d.MetricNames), "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, mv := range d.Versions {
		if mv.URI != "" {
			fmt.Fprintf(w, "%s  %s\n", versionLabel(mv.Version), mv.URI)
		}
	}
	return nil
}

// versionRow is a model version's row: its metrics in the order of names.
func versionRow(v registry.ModelVersion, names []string) []string {
	row := []string{versionLabel(v.Version), formatWhen(v.Created), runCell(v.RunID)}
	for _, m := range names {
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
	return append(row, eval, aliases)
}

func (v modelsHuman) History(model, alias string, moves []registry.AliasMove) error {
	if len(moves) == 0 {
		what := "aliases"
		if alias != "" {
			what = "alias " + alias
		}
		_, err := fmt.Fprintf(v.Stdout, "No moves of %s's %s yet.\n", model, what)
		return err
	}
	tw := tabwriter.NewWriter(v.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MOVE\tMOVED (UTC)\tALIAS\tFROM\tTO\tBY\tRUN\tWHY")
	for _, m := range moves {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, formatWhen(m.At), m.Alias, versionLabel(m.From), versionLabel(m.To), m.Trigger, runCell(m.RunID), moveWhy(m))
	}
	return tw.Flush()
}

// moveWhy says why an alias moved: the note, the metrics compared, the
// move it undid.
func moveWhy(m registry.AliasMove) string {
	why := m.Note
	if len(m.Compared) > 0 {
		var parts []string
		for _, n := range slices.Sorted(maps.Keys(m.Compared)) {
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
	return why
}

func (v modelsHuman) Promoted(m AliasMoved) error {
	var err error
	switch {
	case !m.Moved:
		_, err = fmt.Fprintf(v.Stdout, "%s@%s already points at version %d.\n", m.Model, m.Alias, m.To)
	case m.From == 0:
		_, err = fmt.Fprintf(v.Stdout, "%s@%s now points at version %d.\n", m.Model, m.Alias, m.To)
	default:
		_, err = fmt.Fprintf(v.Stdout, "Moved %s@%s from version %d to version %d.\n", m.Model, m.Alias, m.From, m.To)
	}
	return err
}

func (v modelsHuman) RolledBack(m AliasMoved) error {
	_, err := fmt.Fprintf(v.Stdout, "Rolled back %s@%s from version %d to version %d.\n", m.Model, m.Alias, m.From, m.To)
	return err
}
