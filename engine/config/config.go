package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/pipe-ml/pipe/engine/nesting"
	"github.com/pipe-ml/pipe/steps"
)

// FileSuffixes are the suffixes of pipeline files in a folder.
var FileSuffixes = []string{".pipe.hcl", ".pipe.json"}

// Config is a pipeline's decoded files.
type Config struct {
	// Dir is the absolute path of the pipeline's folder. Relative paths in
	// the pipeline are relative to it.
	Dir string
	// Files are the names of the files read, as diagnostics show them, in
	// the order read.
	Files []string
	// Sources holds every file's bytes by name, for diagnostic snippets.
	Sources map[string][]byte

	Pipeline  *Pipeline
	Settings  *Settings
	Variables map[string]*Variable
	Locals    map[string]*Local
	// Steps by address ("train.model").
	Steps map[StepAddr]*Step
}

// Name is the pipeline's name: the label of its pipeline block, or the
// name of its folder when there is none.
func (c *Config) Name() string {
	if c.Pipeline != nil {
		return c.Pipeline.Name
	}
	return filepath.Base(c.Dir)
}

// StepAddrs returns the step addresses, sorted.
func (c *Config) StepAddrs() []StepAddr {
	addrs := make([]StepAddr, 0, len(c.Steps))
	for a := range c.Steps {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b StepAddr) int { return strings.Compare(a.String(), b.String()) })
	return addrs
}

// FindFiles returns the pipeline files at path: the file itself, or the
// pipeline files directly inside the folder, sorted. Names keep path as a
// prefix, so that they read well relative to where the user is.
func FindFiles(path string) (dir string, files []string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", nil, err
	}
	if !info.IsDir() {
		abs, err := filepath.Abs(filepath.Dir(path))
		return abs, []string{path}, err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		for _, suf := range FileSuffixes {
			if strings.HasSuffix(e.Name(), suf) {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	slices.Sort(files)
	abs, err := filepath.Abs(path)
	return abs, files, err
}

// ReadFiles reads and decodes the pipeline at path (a folder or one file). It
// returns every problem found, not only the first; the Config is usable
// for whatever decoded cleanly even when there are errors.
func ReadFiles(path string, kinds *steps.Catalog) (*Config, hcl.Diagnostics) {
	dir, files, err := FindFiles(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read pipeline",
			Detail:   fmt.Sprintf("%s. Give the folder that holds the *.pipe.hcl files, or one such file.", strings.TrimPrefix(err.Error(), "stat ")),
		}}
	}
	if len(files) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No pipeline files",
			Detail:   fmt.Sprintf("The folder %s holds no files ending in %s. Give the folder that holds the pipeline, or use -chdir.", path, strings.Join(FileSuffixes, " or ")),
		}}
	}
	var diags hcl.Diagnostics
	var sources []Source
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read pipeline file",
				Detail:   err.Error(),
			})
			continue
		}
		sources = append(sources, Source{Name: name, Bytes: src})
	}
	cfg, pd := Parse(dir, sources, kinds)
	return cfg, append(diags, pd...)
}

// Source is one pipeline file's name and bytes.
type Source struct {
	Name  string
	Bytes []byte
}

// Parse parses and decodes files that make up one pipeline in folder dir.
// It never returns a nil Config.
func Parse(dir string, files []Source, kinds *steps.Catalog) (*Config, hcl.Diagnostics) {
	parser := hclparse.NewParser()
	var parsed []*hcl.File
	var diags hcl.Diagnostics
	for _, f := range files {
		pf, fd := ParseSource(parser, f.Name, f.Bytes)
		diags = append(diags, fd...)
		if pf != nil && pf.Body != nil {
			parsed = append(parsed, pf)
		}
	}
	cfg, dd := Decode(dir, parsed, kinds)
	diags = append(diags, dd...)
	cfg.Sources = map[string][]byte{}
	for _, f := range files {
		cfg.Files = append(cfg.Files, f.Name)
		cfg.Sources[f.Name] = f.Bytes
	}
	if len(cfg.Steps) == 0 && len(files) > 0 && !diags.HasErrors() {
		diags = append(diags, noSteps(dir, files))
	}
	return cfg, diags
}

// noSteps is the warning for a pipeline that declares no step: empty
// files, or only variables and settings, apply as nothing at all.
func noSteps(dir string, files []Source) *hcl.Diagnostic {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	what := "The file " + names[0] + " declares"
	if len(names) > 1 {
		what = fmt.Sprintf("The %d files of %s (%s) declare", len(names), dir, strings.Join(names, ", "))
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "No steps",
		Detail: what + " no step, so plan and apply have nothing to do. " +
			"Add a step block (load \"corpus\" { ... }; pipe kinds lists the kinds), or point pipe at the folder that holds the pipeline.",
		Subject: &hcl.Range{Filename: names[0], Start: hcl.InitialPos, End: hcl.InitialPos},
	}
}

// ParseSource parses one file's bytes as native HCL or, for names ending in
// .json, as HCL's JSON form. A file that is not text (see notText) or is
// nested deeper than nesting.Max is not parsed: its one diagnostic is
// returned with a nil file.
func ParseSource(parser *hclparse.Parser, name string, src []byte) (*hcl.File, hcl.Diagnostics) {
	if d := notText(name, src); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	if diags := nesting.Check(name, src); diags.HasErrors() {
		return nil, diags
	}
	if strings.HasSuffix(name, ".json") {
		return parser.ParseJSON(src, name)
	}
	return parser.ParseHCL(src, name)
}

// Decode decodes parsed files that make up one pipeline in folder dir.
func Decode(dir string, files []*hcl.File, kinds *steps.Catalog) (*Config, hcl.Diagnostics) {
	cfg := &Config{
		Dir:       dir,
		Variables: map[string]*Variable{},
		Locals:    map[string]*Local{},
		Steps:     map[StepAddr]*Step{},
	}
	schema := rootSchema(kinds)
	var diags hcl.Diagnostics
	for _, f := range files {
		content, cd := f.Body.Content(schema)
		diags = append(diags, explainRootBlocks(cd, kinds)...)
		for _, block := range content.Blocks {
			switch block.Type {
			case "pipeline":
				diags = append(diags, cfg.decodePipeline(block)...)
			case "settings":
				diags = append(diags, cfg.decodeSettings(block)...)
			case "variable":
				diags = append(diags, cfg.decodeVariable(block)...)
			case "locals":
				diags = append(diags, cfg.decodeLocals(block)...)
			default:
				kind, _ := kinds.Lookup(block.Type)
				diags = append(diags, cfg.decodeStep(block, kind, kinds)...)
			}
		}
	}
	return cfg, diags
}

func rootSchema(kinds *steps.Catalog) *hcl.BodySchema {
	s := &hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "pipeline", LabelNames: []string{"name"}},
			{Type: "settings"},
			{Type: "variable", LabelNames: []string{"name"}},
			{Type: "locals"},
		},
	}
	for _, k := range kinds.Names() {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: k, LabelNames: []string{"name"}})
	}
	return s
}

// explainRootBlocks adds the list of step kinds to HCL's "Unsupported block
// type" diagnostics at the top level, which otherwise only suggest one name.
func explainRootBlocks(diags hcl.Diagnostics, kinds *steps.Catalog) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary == "Unsupported block type" {
			d.Detail += fmt.Sprintf(" The blocks of a pipeline are pipeline, settings, variable, locals and the step kinds: %s.", strings.Join(kinds.Names(), ", "))
		}
	}
	return diags
}

// duplicate returns the diagnostic for a second declaration of something
// that must be unique.
func duplicate(what, name string, first, second hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + what,
		Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Each %s needs a name of its own.", what, name, first.String(), what),
		Subject:  second.Ptr(),
	}
}
