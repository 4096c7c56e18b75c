package arguments

import (
	"reflect"
	"testing"
)

func TestParseKinds(t *testing.T) {
	for _, c := range []struct {
		args []string
		want Kinds
	}{
		{nil, Kinds{ViewType: ViewHuman}},
		{[]string{"load"}, Kinds{Kind: "load", ViewType: ViewHuman}},
		{[]string{"load", "-json"}, Kinds{Kind: "load", ViewType: ViewJSON}},
		{[]string{"-markdown", "-no-color"}, Kinds{View: View{NoColor: true}, ViewType: ViewMarkdown}},
	} {
		got, err := ParseKinds(c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.args, *got, c.want)
		}
	}
}

func TestParseKindsErrors(t *testing.T) {
	checkErrors(t, func(args []string) error { _, err := ParseKinds(args); return err }, []errorCase{
		{[]string{"load", "train"}, "kinds takes at most one KIND, not 2 arguments", "", true},
		{[]string{"-json", "-markdown"}, "-json and -markdown do not go together", "-json or -markdown", false},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus", "", true},
	})
}
