package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/cache"
	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

type outputCmd struct{}

func (*outputCmd) Name() string { return "output" }
func (*outputCmd) Synopsis() string {
	return "Print the outputs of the steps' last successful executions"
}
func (*outputCmd) Usage() string {
	return `Usage: pipe output [options] [PATH] [STEP[.OUTPUT]]

Prints the outputs of the last successful execution of each step of the
pipeline in PATH (default the current folder), as terraform output does:
numbers, strings and objects as written in a pipeline, artifacts with
their digest, media type, size and location in the store. With STEP
(KIND.NAME), only that step's; with STEP.OUTPUT, only that value, bare,
for scripts.

Options:
  -json   Print as JSON: {"STEP": {"key": ..., "outputs": {...}}}, with
          artifacts as {"digest", "media_type", "size", "uri"}.
` + workspaceUsage + `
Examples:
  pipe output
  pipe output evaluate.holdout
  pipe output evaluate.holdout.f1
`
}

type outputJSON struct {
	Key     string                     `json:"key"`
	Outputs map[string]json.RawMessage `json:"outputs"`
}

func (cmd *outputCmd) Run(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("output", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	// The outputs of what ran do not depend on variables: a required
	// one needs no value here (unless the store's location uses it).
	wf := workspaceFlags{allowMissingVars: true}
	wf.register(fs)
	args, err := c.parseFlags(fs, cmd.Usage(), args)
	if err != nil {
		return err
	}
	path, want := ".", ""
	switch len(args) {
	case 0:
	case 1:
		if _, err := os.Stat(args[0]); err != nil && strings.Count(args[0], ".") >= 1 {
			want = args[0]
		} else {
			path = args[0]
		}
	case 2:
		path, want = args[0], args[1]
	default:
		return &exitErr{code: exitError, msg: "too many arguments\n\n" + cmd.Usage()}
	}
	var wantStep config.StepAddr
	wantOutput := ""
	if want != "" {
		parts := strings.SplitN(want, ".", 3)
		if wantStep, err = config.ParseStepAddr(strings.Join(parts[:min(2, len(parts))], ".")); err != nil {
			return withHint(err, "name a step as KIND.NAME or an output as KIND.NAME.OUTPUT")
		}
		if len(parts) == 3 {
			wantOutput = parts[2]
		}
	}
	w, err := c.openWorkspace(ctx, c.view(arguments.View{}), wf.options(c, path))
	if err != nil {
		return err
	}
	defer w.Close()
	name := w.Pipeline.Config.Name()
	addrs := w.Pipeline.Graph.Order()
	if want != "" {
		if _, ok := w.Pipeline.Config.Steps[wantStep]; !ok {
			return withHint(fmt.Errorf("the pipeline has no step %s", wantStep), "pipe graph lists the steps")
		}
		addrs = []config.StepAddr{wantStep}
	}
	all := map[string]outputJSON{}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	printed := 0
	for _, addr := range addrs {
		key, err := cache.LastKey(ctx, w.Store, name, addr.String())
		if err != nil {
			return err
		}
		var entry *cache.Entry
		if key != "" {
			entry, _, err = cache.Lookup(ctx, w.Store, key)
			if err != nil {
				return err
			}
		}
		if entry == nil {
			if want != "" {
				return withHint(fmt.Errorf("%s has no successful execution in %s", addr, w.StoreURL), "pipe apply -target=%s", addr)
			}
			continue
		}
		outs, err := entry.OutputValues()
		if err != nil {
			return err
		}
		m := outs.AsValueMap()
		if wantOutput != "" {
			v, ok := m[wantOutput]
			if !ok {
				return withHint(fmt.Errorf("%s has no output %q", addr, wantOutput), "pipe output %s lists its outputs", addr)
			}
			if *asJSON {
				return json.NewEncoder(c.stdout).Encode(json.RawMessage(c.outputValueJSON(w.Store.URI, v)))
			}
			if v.Type() == cty.String && !v.IsNull() {
				fmt.Fprintln(c.stdout, v.AsString())
			} else {
				fmt.Fprintln(c.stdout, displayOutput(w.Store.URI, v))
			}
			return nil
		}
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		oj := outputJSON{Key: key, Outputs: map[string]json.RawMessage{}}
		if printed > 0 && !*asJSON {
			fmt.Fprintln(tw)
		}
		if !*asJSON {
			fmt.Fprintf(tw, "%s\n", addr)
		}
		for _, n := range names {
			oj.Outputs[n] = c.outputValueJSON(w.Store.URI, m[n])
			if !*asJSON {
				fmt.Fprintf(tw, "  %s\t= %s\n", n, displayOutput(w.Store.URI, m[n]))
			}
		}
		all[addr.String()] = oj
		printed++
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	if printed == 0 {
		fmt.Fprintln(c.stdout, "No step of this pipeline has run yet. Run pipe apply.")
	}
	return tw.Flush()
}

// displayOutput renders an output value; artifacts with their size and
// location.
func displayOutput(uri func(string) string, v cty.Value) string {
	if steps.IsArtifact(v) {
		a, _ := steps.ArtifactFromValue(v)
		return fmt.Sprintf("%s (%s, %s) %s", a.Digest, a.MediaType, humanBytes(a.Size), uri(a.Digest))
	}
	return lang.Display(v)
}

func (c *cli) outputValueJSON(uri func(string) string, v cty.Value) json.RawMessage {
	if steps.IsArtifact(v) {
		a, _ := steps.ArtifactFromValue(v)
		b, _ := json.Marshal(map[string]any{"digest": a.Digest, "media_type": a.MediaType, "size": a.Size, "uri": uri(a.Digest)})
		return b
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// humanBytes renders a size as a person reads it: 812 B, 1.4 MB.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
