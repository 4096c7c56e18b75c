package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

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
