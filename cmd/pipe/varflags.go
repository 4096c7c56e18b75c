package main

import (
	"flag"

	"github.com/pipe-ml/pipe/engine/eval"
	"github.com/pipe-ml/pipe/engine/pipeline"
)

// varFlags collects -var and -var-file in the order given: a later one
// overrides an earlier one, as in Terraform.
type varFlags struct {
	args []eval.VarArg
}

type varAssign struct{ v *varFlags }
type varFile struct{ v *varFlags }

func (f varAssign) String() string { return "" }
func (f varAssign) Set(s string) error {
	f.v.args = append(f.v.args, eval.VarArg{Assign: s})
	return nil
}
func (f varFile) String() string { return "" }
func (f varFile) Set(s string) error {
	f.v.args = append(f.v.args, eval.VarArg{File: s})
	return nil
}

func (v *varFlags) register(fs *flag.FlagSet) {
	fs.Var(varAssign{v}, "var", "")
	fs.Var(varFile{v}, "var-file", "")
}

// loadOptions are the options to load the pipeline at path.
func (c *cli) loadOptions(path string, vars *varFlags) pipeline.Options {
	return pipeline.Options{
		Path:  path,
		Kinds: c.kinds,
		Vars:  eval.VarInputs{Env: c.env, Args: vars.args},
	}
}

const varUsage = `  -var 'NAME=VALUE'  Set a variable. Repeatable; later ones win.
  -var-file=FILE     Set variables from an HCL or JSON file. Repeatable.
                     Variables also come from PIPE_VAR_NAME environment
                     variables, which -var and -var-file override.
`
