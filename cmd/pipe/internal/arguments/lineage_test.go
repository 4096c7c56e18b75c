package arguments

import (
	"reflect"
	"testing"
)

func TestParseLineage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want Lineage
	}{
		{[]string{"m@1"}, Lineage{Path: ".", Ref: "m@1", ViewType: ViewHuman}},
		{[]string{"dir", "m@1", "-json"}, Lineage{Path: "dir", Ref: "m@1", ViewType: ViewJSON}},
		{[]string{"-format=dot", "-downstream", "-depth=2", "data/a.csv"}, Lineage{Path: ".", Ref: "data/a.csv", ViewType: ViewDOT, Downstream: true, Depth: 2}},
		{[]string{"-v", "m@1"}, Lineage{Path: ".", Ref: "m@1", ViewType: ViewHuman, Verbose: true}},
		{[]string{"m@1", "-verbose"}, Lineage{Path: ".", Ref: "m@1", ViewType: ViewHuman, Verbose: true}},
		{[]string{"-no-color", "-registry=r.db", "-state-dir=s", "m@champion"}, Lineage{View: View{NoColor: true}, Registry: Registry{StateDir: "s", File: "r.db"}, Path: ".", Ref: "m@champion", ViewType: ViewHuman}},
	} {
		got, err := ParseLineage(c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.args, *got, c.want)
		}
	}
}

func TestParseLineageErrors(t *testing.T) {
	checkErrors(t, func(args []string) error { _, err := ParseLineage(args); return err }, []errorCase{
		{[]string{}, "missing arguments: ", "", true},
		{[]string{"a", "b", "c"}, "too many arguments: a b c", "", true},
		{[]string{"-format=svg", "m@1"}, `unknown -format "svg"`, "-format=tree, -format=json or -format=dot", false},
		{[]string{"-depth=-1", "m@1"}, "-depth must be 0 or more, not -1", "-depth=3, or leave it out for the whole graph", false},
		{[]string{"-bogus", "m@1"}, "flag provided but not defined: -bogus", "", true},
	})
}
