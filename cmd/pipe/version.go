package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
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

type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// currentBuild describes this binary.
func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
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

func (b buildInfo) String() string {
	s := "pipe " + b.Version
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (" + c
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + " " + b.GoVersion + " " + b.Platform
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

func (cmd *versionCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return &exitErr{code: exitError, msg: "version takes no arguments"}
	}
	b := currentBuild()
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	}
	_, err = fmt.Fprintln(c.stdout, b.String())
	return err
}
