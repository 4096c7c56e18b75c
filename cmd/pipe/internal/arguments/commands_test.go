package arguments

import (
	"reflect"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/config"
	"github.com/pipe-ml/pipe/engine/serve"
)

// parsed checks that parse accepts args and returns want.
func parsed[T any](t *testing.T, parse func([]string) (*T, error), args string, want T) {
	t.Helper()
	got, err := parse(splitArgs(args))
	if err != nil {
		t.Errorf("%q: %v", args, err)
		return
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("%q:\n got %+v\nwant %+v", args, *got, want)
	}
}

// failing adapts a Parse function to checkErrors.
func failing[T any](parse func([]string) (*T, error)) func([]string) error {
	return func(args []string) error { _, err := parse(args); return err }
}

func TestParseValidateAndGraph(t *testing.T) {
	parsed(t, ParseValidate, "", Validate{Path: ".", ViewType: ViewHuman})
	parsed(t, ParseValidate, "-json dir -no-color", Validate{View: View{NoColor: true}, Path: "dir", ViewType: ViewJSON})
	parsed(t, ParseGraph, "", Graph{Path: ".", ViewType: ViewDOT})
	parsed(t, ParseGraph, "dir -format=mermaid", Graph{Path: "dir", ViewType: ViewMermaid})
	checkErrors(t, failing(ParseValidate), []errorCase{{splitArgs("a b"), "too many arguments: a b", "", true}})
	checkErrors(t, failing(ParseGraph), []errorCase{
		{splitArgs("-format=svg"), `unknown graph format "svg"`, "-format=dot or -format=mermaid", false},
		{splitArgs("a b"), "too many arguments: a b", "", true},
	})
}

func TestParseOutput(t *testing.T) {
	step := config.StepAddr{Kind: "evaluate", Name: "holdout"}
	parsed(t, ParseOutput, "", Output{Path: ".", ViewType: ViewHuman})
	parsed(t, ParseOutput, "evaluate.holdout", Output{Path: ".", Step: step, ViewType: ViewHuman})
	parsed(t, ParseOutput, "-json evaluate.holdout.f1", Output{Path: ".", Step: step, Name: "f1", ViewType: ViewJSON})
	parsed(t, ParseOutput, "pipelines evaluate.holdout", Output{Path: "pipelines", Step: step, ViewType: ViewHuman})
	// An existing folder, even with a dot in its name, is the pipeline.
	dir := t.TempDir() + "/."
	parsed(t, ParseOutput, dir, Output{Path: dir, ViewType: ViewHuman})
	checkErrors(t, failing(ParseOutput), []errorCase{
		{splitArgs("a b c"), "too many arguments", "", true},
		{splitArgs(". 1.2"), `config: "1.2" is not a step address: write KIND.NAME, e.g. train.model`, "name a step as KIND.NAME or an output as KIND.NAME.OUTPUT", false},
	})
}

func TestParseFmt(t *testing.T) {
	parsed(t, ParseFmt, "", Fmt{List: true, Write: true, Paths: []string{"."}})
	parsed(t, ParseFmt, "-check -diff -recursive a -", Fmt{Check: true, Diff: true, List: true, Recursive: true, Paths: []string{"a", "-"}})
	parsed(t, ParseFmt, "-list=false -write=false", Fmt{Paths: []string{"."}})
}

func TestParseRuns(t *testing.T) {
	parsed(t, ParseRuns, "", Runs{Path: ".", Limit: 20, ViewType: ViewHuman})
	parsed(t, ParseRuns, "-limit=0 -status=failed -json -registry=r.db dir", Runs{Registry: Registry{File: "r.db"}, Path: "dir", Status: "failed", ViewType: ViewJSON})
	parsed(t, ParseRuns, "show 42", Runs{Path: ".", ID: 42, ViewType: ViewHuman})
	parsed(t, ParseRuns, "show -json dir #7", Runs{Path: "dir", ID: 7, ViewType: ViewJSON})
	checkErrors(t, failing(ParseRuns), []errorCase{
		{splitArgs("-limit=-1"), "-limit must be 0 or more, not -1", "-limit=20", false},
		{splitArgs("show abc"), `"abc" is not a run ID`, "pipe runs lists the runs and their IDs", false},
		{splitArgs("show 0"), `"0" is not a run ID`, "pipe runs lists the runs and their IDs", false},
		{splitArgs("show"), "missing arguments: ", "", true},
		{splitArgs("show -limit=3 1"), "flag provided but not defined: -limit", "", true},
	})
}

func TestParseModels(t *testing.T) {
	parsed(t, ParseModels, "", Models{Path: ".", ViewType: ViewHuman})
	parsed(t, ParseModels, "show -json m", Models{Sub: "show", Path: ".", Model: "m", ViewType: ViewJSON})
	parsed(t, ParseModels, "history -alias=champion dir m", Models{Sub: "history", Path: "dir", Model: "m", Alias: "champion", ViewType: ViewHuman})
	parsed(t, ParseModels, "promote -note=why m@3 champion", Models{Sub: "promote", Path: ".", Model: "m@3", Alias: "champion", Note: "why", ViewType: ViewHuman})
	parsed(t, ParseModels, "rollback m champion", Models{Sub: "rollback", Path: ".", Model: "m", Alias: "champion", ViewType: ViewHuman})
	for sub, ro := range map[string]bool{"": true, "show": true, "history": true, "promote": false, "rollback": false} {
		if (&Models{Sub: sub}).ReadOnly() != ro {
			t.Errorf("%q: ReadOnly() != %v", sub, ro)
		}
	}
	checkErrors(t, failing(ParseModels), []errorCase{
		{splitArgs("show"), "missing arguments: ", "", true},
		{splitArgs("promote m@1"), "missing arguments: m@1", "", true},
		{splitArgs("bogus extra"), "too many arguments: bogus extra", "", true},
	})
}

func TestParseServe(t *testing.T) {
	a, err := ParseServe(splitArgs("-addr=:9090 -watch=false -debounce=2s -poll=5m -parallelism=2 -grace=10s -lock-retry=1m -schedule=@daily -schedule-tz=Europe/Paris dir"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Schedule == nil || a.Schedule.String() == "" {
		t.Errorf("schedule: %v", a.Schedule)
	}
	a.Schedule = nil
	want := Serve{Path: "dir", Addr: ":9090", Debounce: 2 * time.Second, Poll: 5 * time.Minute, Parallelism: 2, Grace: 10 * time.Second, LockRetry: time.Minute}
	if !reflect.DeepEqual(*a, want) {
		t.Errorf("got  %+v\nwant %+v", *a, want)
	}
	d, err := ParseServe(nil)
	if err != nil || d.Addr != serve.DefaultAddr || !d.Watch || d.Debounce != serve.DefaultDebounce || d.LockRetry != serve.DefaultLockRetry || d.Schedule != nil {
		t.Errorf("defaults: %+v, %v", d, err)
	}
	checkErrors(t, failing(ParseServe), []errorCase{
		{splitArgs("-debounce=0s"), "-debounce must be positive, not 0s", "-debounce=" + serve.DefaultDebounce.String(), false},
		{splitArgs("-lock-retry=-1s"), "-lock-retry must be positive, not -1s", "-lock-retry=" + serve.DefaultLockRetry.String(), false},
		{splitArgs("-poll=-1s"), "-poll must not be negative, not -1s", "-poll=5m, or 0 for file events only", false},
		{splitArgs("-grace=-1s"), "-grace must not be negative, not -1s", "-grace=0 cancels a running apply at once", false},
		{splitArgs("-schedule=@daily -schedule-tz=Mars/Olympus"), `-schedule-tz: unknown time zone "Mars/Olympus"`, "use an IANA name such as UTC or Europe/Paris", false},
		{splitArgs("a b"), "too many arguments: a b", "", true},
	})
}

func TestParseForceUnlockAndVersion(t *testing.T) {
	parsed(t, ParseForceUnlock, "abc", ForceUnlock{LockID: "abc", Path: "."})
	parsed(t, ParseForceUnlock, "-state-dir=s abc dir", ForceUnlock{LockID: "abc", Path: "dir", StateDir: "s"})
	parsed(t, ParseVersion, "-json", Version{ViewType: ViewJSON})
	checkErrors(t, failing(ParseForceUnlock), []errorCase{
		{nil, "force-unlock needs the LOCK_ID", "", true},
		{splitArgs("a b c"), "force-unlock needs the LOCK_ID", "", true},
	})
	checkErrors(t, failing(ParseVersion), []errorCase{{splitArgs("x"), "version takes no arguments", "", false}})
}
