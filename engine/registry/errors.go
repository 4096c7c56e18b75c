package registry

import "strings"

// prefixed is an error of a sub-package (index, models, lineage, txlog)
// shown with the registry's prefix, as the commands print the registry's
// errors; it unwraps to the original.
type prefixed struct {
	msg string
	err error
}

func (e *prefixed) Error() string { return e.msg }
func (e *prefixed) Unwrap() error { return e.err }

// unprefix gives an error of a sub-package the registry's prefix.
func unprefix(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	for _, p := range []string{"index: ", "models: ", "lineage: ", "txlog: "} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return &prefixed{msg: "registry: " + rest, err: err}
		}
	}
	return err
}
