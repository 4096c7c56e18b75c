package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/registry"
)

// This file holds how the registry's records read in the tables of pipe
// runs and pipe models.

// Times in tables are UTC, to the second.
const tableTime = "2006-01-02 15:04:05"

func formatWhen(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(tableTime)
}

// formatDuration is how long something took, for a person: 850ms, 12.3s,
// 4m05s, 2h03m.
func formatDuration(started, ended time.Time) string {
	if started.IsZero() || ended.IsZero() {
		return "-"
	}
	d := ended.Sub(started)
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// commitCell is a run's Git commit as a column: 12 digits, * when dirty.
func commitCell(r *registry.Run) string {
	if r.GitCommit == "" {
		return "-"
	}
	c := shortCommit(r.GitCommit)
	if r.GitDirty != nil && *r.GitDirty {
		c += "*"
	}
	return c
}

// runCell is a run ID as a column.
func runCell(id int64) string {
	if id == 0 {
		return "-"
	}
	return strconv.FormatInt(id, 10)
}

// versionLabel is a model version as a column: "v3".
func versionLabel(v int) string {
	if v == 0 {
		return "-"
	}
	return "v" + strconv.Itoa(v)
}

// count says how many of a thing there are: "1 version", "3 versions".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// refNames lists artifacts by name, files by path: "data/a.txt, model".
func refNames(refs []registry.ArtifactRef) string {
	if len(refs) == 0 {
		return "-"
	}
	var names, files []string
	for _, r := range refs {
		switch {
		case r.Path != "":
			files = append(files, r.Path)
		case r.Name != "":
			names = append(names, r.Name+" "+shortDigest(r.Digest))
		default:
			names = append(names, shortDigest(r.Digest))
		}
	}
	if len(files) > 2 {
		files = []string{fmt.Sprintf("%d files", len(files))}
	}
	return strings.Join(append(files, names...), ", ")
}

// Registry prints what pipe registry status and rebuild say.
type Registry struct {
	*View
	json bool
}

// NewRegistry returns pipe registry's view.
func NewRegistry(t arguments.ViewType, v *View) *Registry {
	return &Registry{View: v, json: t == arguments.ViewJSON}
}

// registryStatus is pipe registry status -json.
type registryStatus struct {
	File    string    `json:"file"`
	Store   string    `json:"store"`
	Entry   int64     `json:"entry"`
	Synced  time.Time `json:"synced,omitzero"`
	Applied int       `json:"applied"`
	Stale   bool      `json:"stale"`
	Error   string    `json:"error,omitempty"`
}

// Status says which log the index at file holds, how far, and whether it
// is up to date.
func (v *Registry) Status(file string, st registry.SyncStatus) error {
	if v.json {
		s := registryStatus{File: file, Store: st.Store, Entry: st.Entry, Synced: st.Synced, Applied: st.Applied, Stale: st.Stale()}
		if st.Err != nil {
			s.Error = st.Err.Error()
		}
		return writeJSON(v.Stdout, s)
	}
	store := st.Store
	if store == "" {
		store = "(none: a registry of its own)"
	}
	fmt.Fprintf(v.Stdout, "Registry %s\n  log:    %s\n  entry:  %d\n  synced: %s\n", file, store, st.Entry, formatWhen(st.Synced))
	if st.Stale() {
		fmt.Fprintf(v.Stdout, "  stale:  %s\n", strings.TrimPrefix(st.Err.Error(), "registry: "))
	} else {
		fmt.Fprintf(v.Stdout, "  up to date (%d new entries applied)\n", st.Applied)
	}
	return nil
}

// Rebuilt says that the index at file was made again from the log.
func (v *Registry) Rebuilt(file string, st registry.SyncStatus) error {
	fmt.Fprintf(v.Stdout, "Rebuilt %s from the log in %s: %d entries.\n", file, st.Store, st.Entry)
	return nil
}
