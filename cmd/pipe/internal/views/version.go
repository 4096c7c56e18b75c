package views

import (
	"fmt"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
)

// Build describes a pipe binary: what pipe version prints.
type Build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// String is the build on one line: "pipe v1.2.0 (4f1c2a9be07d) go1.26 linux/amd64".
func (b Build) String() string {
	s := "pipe " + b.Version
	if b.Commit != "" {
		s += " (" + shortCommit(b.Commit)
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + " " + b.GoVersion + " " + b.Platform
}

// Version prints pipe's version.
type Version interface {
	Build(b Build) error
}

// NewVersion returns the version view for vt: one line, or JSON.
func NewVersion(vt arguments.ViewType, v *View) Version {
	if vt == arguments.ViewJSON {
		return versionJSON{v}
	}
	return versionHuman{v}
}

type versionHuman struct{ *View }

func (v versionHuman) Build(b Build) error {
	_, err := fmt.Fprintln(v.Stdout, b.String())
	return err
}

type versionJSON struct{ *View }

func (v versionJSON) Build(b Build) error { return writeJSON(v.Stdout, b) }
