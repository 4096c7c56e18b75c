package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/cmd/pipe/internal/views"
	"github.com/pipe-ml/pipe/engine/nesting"
)

type fmtCmd struct{}

func (*fmtCmd) Name() string     { return "fmt" }
func (*fmtCmd) Synopsis() string { return "Rewrite pipeline files into canonical form" }
func (*fmtCmd) Usage() string {
	return `Usage: pipe fmt [options] [PATH...]

Rewrites *.pipe.hcl files into the canonical layout (indentation, aligned
equals signs, spacing), as terraform fmt does. PATH is a file or a folder
(default the current folder); "-" formats standard input to standard
output. Files named explicitly are formatted whatever their name. Files
with syntax errors are reported and left alone. Formatting twice changes
nothing.

Options:
  -check       Write nothing; exit 3 when a file is not formatted.
  -diff        Print the changes as a unified diff.
  -list=false  Do not list the files that change.
  -write=false Do not rewrite the files (implied by -check).
  -recursive   Also format files in subfolders.
  -no-color    Never colour the output.

Exit status: 0 when all is well, 1 on errors, 3 with -check when a file
needs formatting.

Examples:
  pipe fmt
  pipe fmt -check -diff -recursive .
`
}

func (*fmtCmd) Run(ctx context.Context, c *cli, args []string) error {
	a, err := arguments.ParseFmt(args)
	if err != nil {
		return err
	}
	f := &formatter{Fmt: a, view: views.NewFmt(c.view(a.View)), stdin: c.stdin, sources: map[string][]byte{}}
	for _, path := range a.Paths {
		if path == "-" {
			err = f.stdinSource()
		} else {
			err = f.files(path)
		}
		if err != nil {
			return err
		}
	}
	f.view.Diagnostics(f.diags, f.sources)
	if f.diags.HasErrors() {
		return errReported
	}
	if a.Check && f.unformatted > 0 {
		return &exitErr{code: exitFormat}
	}
	return nil
}

// formatter is one pipe fmt: what it was asked, and what it found.
type formatter struct {
	*arguments.Fmt
	view        *views.Fmt
	stdin       io.Reader
	diags       hcl.Diagnostics
	sources     map[string][]byte
	unformatted int
}

// stdinSource formats standard input to standard output.
func (f *formatter) stdinSource() error {
	src, err := io.ReadAll(f.stdin)
	if err != nil {
		return err
	}
	const name = "<stdin>"
	out, d := formatSource(name, src)
	f.sources[name] = src
	f.diags = append(f.diags, d...)
	if d.HasErrors() {
		return nil
	}
	if !bytes.Equal(src, out) {
		f.unformatted++
	}
	if f.Diff {
		f.view.Diff(name, src, out)
	}
	if !f.Check && !f.Diff {
		f.view.Formatted(out)
	}
	return nil
}

// files formats the pipeline files at path.
func (f *formatter) files(path string) error {
	files, err := fmtFiles(path, f.Recursive)
	if err != nil {
		return withHint(err, "give *.pipe.hcl files or folders that exist")
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		f.sources[name] = src
		out, d := formatSource(name, src)
		f.diags = append(f.diags, d...)
		if d.HasErrors() || bytes.Equal(src, out) {
			continue
		}
		f.unformatted++
		if f.List {
			f.view.Changed(name)
		}
		if f.Diff {
			f.view.Diff(name, src, out)
		}
		if f.Write {
			if err := writeFileAtomic(name, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// formatSource returns src in canonical form, refusing (with the syntax
// errors) what does not parse.
func formatSource(name string, src []byte) ([]byte, hcl.Diagnostics) {
	if diags := nesting.Check(name, src); diags.HasErrors() {
		return nil, diags
	}
	if _, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// fmtFiles lists the files to format under path.
func fmtFiles(path string, recursive bool) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		if strings.HasSuffix(path, ".json") {
			return nil, fmt.Errorf("%s is JSON: pipe fmt formats the native syntax of *.pipe.hcl files and variable files", path)
		}
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".pipe.hcl") {
			files = append(files, p)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// writeFileAtomic replaces a file's content without a moment where it is
// half written, keeping its permissions.
func writeFileAtomic(name string, data []byte) error {
	info, err := os.Stat(name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
