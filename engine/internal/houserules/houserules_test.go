package houserules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// MaxFuncLines is the longest a function may be, from its func line to
// its closing brace, in non-test code.
const MaxFuncLines = 80

const module = "github.com/pipe-ml/pipe"

// root is the module's folder.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the module root %s: %v", dir, err)
	}
	return dir
}

// goPackages returns each folder holding Go files, relative to the root,
// with its files.
func goPackages(t *testing.T, dir string) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != dir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") {
			rel, _ := filepath.Rel(dir, filepath.Dir(path))
			pkgs[filepath.ToSlash(rel)] = append(pkgs[filepath.ToSlash(rel)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestEveryPackageHasDocGo(t *testing.T) {
	dir := root(t)
	for pkg, files := range goPackages(t, dir) {
		onlyTests := true
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				onlyTests = false
			}
		}
		if onlyTests {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, pkg, "doc.go")); err != nil {
			t.Errorf("%s has no doc.go: say what the package owns and which sibling owns the rest", pkg)
		}
	}
}

func TestEngineImportsNoKind(t *testing.T) {
	dir := root(t)
	fset := token.NewFileSet()
	for pkg, files := range goPackages(t, dir) {
		if pkg != "engine" && !strings.HasPrefix(pkg, "engine/") {
			continue
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				rel, ok := strings.CutPrefix(path, module+"/")
				if !ok {
					continue
				}
				if strings.HasPrefix(rel, "steps/") {
					t.Errorf("%s imports %s: the engine knows step kinds only through package steps", f, path)
				}
				if pkg == "engine/dag" {
					t.Errorf("%s imports %s: the graph package imports nothing of pipe", f, path)
				}
			}
		}
	}
}

// tooLong lists the functions longer than MaxFuncLines that are not yet
// split, as "path:Func". It only ever shrinks; it is empty when the house
// is in order.
var tooLong = []string{}

func TestNoLongFunctions(t *testing.T) {
	dir := root(t)
	fset := token.NewFileSet()
	var found []string
	for _, files := range goPackages(t, dir) {
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, f)
			for _, decl := range file.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
				if lines <= MaxFuncLines || isKernel(fd) {
					continue
				}
				name := filepath.ToSlash(rel) + ":" + fd.Name.Name
				found = append(found, name)
				if !slices.Contains(tooLong, name) {
					t.Errorf("%s is %d lines (at most %d): split it where it does more than one thing, or, for a numeric kernel, say why in a doc comment line starting \"Numeric kernel:\"", name, lines, MaxFuncLines)
				}
			}
		}
	}
	for _, name := range tooLong {
		if !slices.Contains(found, name) {
			t.Errorf("%s is listed in tooLong but is no longer too long (or no longer exists): remove it from the list", name)
		}
	}
}

func isKernel(fd *ast.FuncDecl) bool {
	if fd.Doc == nil {
		return false
	}
	for _, c := range fd.Doc.List {
		if strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(c.Text, "//")), "Numeric kernel:") {
			return true
		}
	}
	return false
}
