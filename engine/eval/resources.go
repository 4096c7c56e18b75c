package eval

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/executor"
	"github.com/pipe-ml/pipe/engine/lang"
)

// Resources evaluates a step's resources block in scope (variables and
// locals; a resources block cannot use steps' outputs) and checks every
// value: a known executor, Kubernetes quantities, a duration, whole
// numbers in range. A value not known yet (a variable without a value at
// validate time) is left unset. A step without a resources block asks for
// nothing.
func Resources(step *config.Step, scope *lang.Scope) (executor.Resources, hcl.Diagnostics) {
	var res executor.Resources
	if step.Resources == nil {
		return res, nil
	}
	var diags hcl.Diagnostics
	ctx := scope.EvalContext()
	for _, a := range config.ResourceAttributes {
		written, ok := step.Resources.Attributes[a.Name]
		if !ok {
			continue
		}
		val, d := written.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		val, _ = val.UnmarkDeep()
		if !val.IsWhollyKnown() {
			continue
		}
		summary := "Invalid resources." + a.Name
		if a.Name == "executor" {
			summary = "Unknown executor"
		}
		bad := func(format string, args ...any) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  summary,
				Detail:   fmt.Sprintf("%s: ", step.Addr) + fmt.Sprintf(format, args...),
				Subject:  written.Expr.Range().Ptr(),
			})
		}
		conv, err := convert.Convert(val, a.Type)
		if err != nil || conv.IsNull() {
			bad("%s takes a %s, not %s. %s", a.Name, a.Type.FriendlyName(), lang.Display(val), a.Description)
			continue
		}
		if msg := setResource(&res, a.Name, conv); msg != "" {
			bad("%s", msg)
		}
	}
	return res, diags
}

// setResource checks v, the value of the named resources attribute
// converted to its type, and sets it in res; it returns what is wrong
// with it, or "".
func setResource(res *executor.Resources, name string, v cty.Value) string {
	switch name {
	case "executor":
		return setExecutor(&res.Executor, v.AsString())
	case "cpu":
		return setQuantity(&res.CPU, name, v.AsString(), "2 or \"500m\"", 0)
	case "memory":
		return setQuantity(&res.Memory, name, v.AsString(), `"4Gi"`, 1<<20)
	case "ephemeral_storage":
		return setQuantity(&res.EphemeralStorage, name, v.AsString(), `"10Gi"`, 1<<20)
	case "timeout":
		d, err := time.ParseDuration(v.AsString())
		if err != nil || d <= 0 {
			return fmt.Sprintf("timeout is a positive duration such as \"30m\" or \"2h\", not %q.", v.AsString())
		}
		res.Timeout = d
	case "retries":
		n, ok := wholeIn(v, 0, 100)
		if !ok {
			return fmt.Sprintf("retries is a whole number from 0 to 100, not %s.", lang.Display(v))
		}
		res.Retries = &n
	case "shards":
		n, ok := wholeIn(v, 1, 1024)
		if !ok {
			return fmt.Sprintf("shards is a whole number from 1 to 1024, not %s.", lang.Display(v))
		}
		res.Shards = n
	}
	return ""
}

// setExecutor checks an executor's name.
func setExecutor(into *string, name string) string {
	if !executor.Known(name) {
		msg := fmt.Sprintf("pipe has no executor named %q; it has %s.", name, strings.Join(executor.Names(), ", "))
		if s := lang.Suggest(name, executor.Names()); s != "" {
			msg += fmt.Sprintf(" Did you mean %q?", s)
		}
		return msg
	}
	*into = name
	return ""
}

// setQuantity checks a Kubernetes quantity: well formed, positive, and
// at least least (a memory of 4 is 4 bytes, surely meant as 4Gi).
func setQuantity(into *string, name, s, example string, least int64) string {
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return fmt.Sprintf("%s is a positive Kubernetes quantity such as %s, not %q.", name, example, s)
	}
	if least > 0 && q.Value() < least {
		return fmt.Sprintf("%s = %q is %d bytes, less than a mebibyte: write the unit, e.g. %q.", name, s, q.Value(), s+"Gi")
	}
	*into = q.String()
	return ""
}

// wholeIn returns v as an int when it is a whole number from lo to hi.
func wholeIn(v cty.Value, lo, hi int64) (int, bool) {
	n, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || n < lo || n > hi {
		return 0, false
	}
	return int(n), true
}
