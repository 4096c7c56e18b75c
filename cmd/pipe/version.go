package main

import (
	"context"
	"runtime"
	"runtime/debug"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
)

// version is stamped at build time:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc123" ./cmd/pipe
//
// Without it, the module's build information is used.
var (
	version = ""
	commit  = ""
)

// currentBuild describes this binary.
func currentBuild() views.Build {
	b := views.Build{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" || b.Version == "(devel)" {
		b.Version = "dev"
	}
	return b
}

type versionCmd struct{}

func (*versionCmd) Name() string     { return "version" }
func (*versionCmd) Synopsis() string { return "Print pipe's version" }
func (*versionCmd) Usage() string {
	return `Usage: pipe version [-json]

Prints the version stamped into the binary at build time, or the Go
module's version when none was stamped.

Options:
  -json   Print as JSON.

Examples:
  pipe version
  pipe version -json
`
}

func (*versionCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseVersion(args)
	if err != nil {
		return err
	}
	return views.NewVersion(a.ViewType, c.view(a.View)).Build(currentBuild())
}
