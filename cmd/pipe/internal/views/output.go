package views

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipe-ml/pipe/cmd/pipe/internal/arguments"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/steps"
)

// OutputStep is a step's last successful execution: its cache key and
// its outputs by name.
type OutputStep struct {
	Addr   string
	Key    string
	Values map[string]cty.Value
}

// Output prints the outputs of steps (pipe output), or one output value
// alone, for scripts.
type Output interface {
	// Steps prints the steps' outputs, in the order given; none means
	// no step has run yet.
	Steps(steps []OutputStep) error
	// Value prints one output value: a string bare.
	Value(v cty.Value) error
}

// NewOutput returns the output view for vt: text or JSON. uri says where
// the store keeps an artifact of the given digest.
func NewOutput(vt arguments.ViewType, v *View, uri func(digest string) string) Output {
	if vt == arguments.ViewJSON {
		return outputJSON{v, uri}
	}
	return outputHuman{v, uri}
}

type outputHuman struct {
	*View
	uri func(string) string
}

func (v outputHuman) Steps(list []OutputStep) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(v.Stdout, "No step of this pipeline has run yet. Run pipe apply.")
		return err
	}
	tw := tabwriter.NewWriter(v.Stdout, 0, 4, 2, ' ', 0)
	for i, s := range list {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s\n", s.Addr)
		for _, n := range slices.Sorted(maps.Keys(s.Values)) {
			fmt.Fprintf(tw, "  %s\t= %s\n", n, v.display(s.Values[n]))
		}
	}
	return tw.Flush()
}

// Value prints one output; a sensitive one (an output of a step whose
// configuration held a sensitive value) as (sensitive value).
func (v outputHuman) Value(x cty.Value) error {
	if x.Type() == cty.String && !x.IsNull() && !lang.IsSensitive(x) {
		_, err := fmt.Fprintln(v.Stdout, x.AsString())
		return err
	}
	_, err := fmt.Fprintln(v.Stdout, v.display(x))
	return err
}

// display renders an output value; artifacts with their size and
// location.
func (v outputHuman) display(x cty.Value) string {
	if steps.IsArtifact(x) {
		a, _ := steps.ArtifactFromValue(x)
		return fmt.Sprintf("%s (%s, %s) %s", a.Digest, a.MediaType, humanBytes(a.Size), v.uri(a.Digest))
	}
	return lang.Display(x)
}

// outputJSON prints {"STEP": {"key": ..., "outputs": {...}}}, artifacts
// as {"digest", "media_type", "size", "uri"}; one value on one line.
type outputJSON struct {
	*View
	uri func(string) string
}

// OutputDocument is a step's entry in what pipe output -json prints.
type OutputDocument struct {
	Key     string                     `json:"key"`
	Outputs map[string]json.RawMessage `json:"outputs"`
}

func (v outputJSON) Steps(list []OutputStep) error {
	all := map[string]OutputDocument{}
	for _, s := range list {
		d := OutputDocument{Key: s.Key, Outputs: map[string]json.RawMessage{}}
		for n, x := range s.Values {
			d.Outputs[n] = v.value(x)
		}
		all[s.Addr] = d
	}
	return writeJSON(v.Stdout, all)
}

func (v outputJSON) Value(x cty.Value) error {
	return json.NewEncoder(v.Stdout).Encode(v.value(x))
}

func (v outputJSON) value(x cty.Value) json.RawMessage {
	if lang.IsSensitive(x) {
		b, _ := json.Marshal(lang.Redacted)
		return b
	}
	if steps.IsArtifact(x) {
		a, _ := steps.ArtifactFromValue(x)
		b, _ := json.Marshal(map[string]any{"digest": a.Digest, "media_type": a.MediaType, "size": a.Size, "uri": v.uri(a.Digest)})
		return b
	}
	b, err := ctyjson.Marshal(x, x.Type())
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// humanBytes renders a size in decimal units: 812 B, 1.4 MB.
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
