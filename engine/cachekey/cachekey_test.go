package cachekey

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/engine/testkinds"
	"github.com/pipe-ml/pipe/steps"
)

func kind(t *testing.T, name string) steps.Kind {
	t.Helper()
	k, ok := testkinds.Catalog(nil).Lookup(name)
	if !ok {
		t.Fatal(name)
	}
	return k
}

var artifact = steps.Artifact{Digest: "sha256:" + strings.Repeat("ab", 32), MediaType: "text/plain", Size: 12}

func transformCfg(factor int64, mode string, sleep string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"input":       artifact.Value(),
		"factor":      cty.NumberIntVal(factor),
		"mode":        cty.StringVal(mode),
		"fail":        cty.False,
		"sleep":       cty.StringVal(sleep),
		"parallelism": cty.NullVal(cty.Number),
	})
}

func TestKeyIsStableAndCanonical(t *testing.T) {
	k := kind(t, "transform")
	p, err := New(k, transformCfg(2, "upper", "0s"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The exact bytes are the contract: a change here changes every key
	// users have, so it must come with a new Format.
	want := `{"format":1,"kind":"transform","version":"1","config":{"factor":{"type":"number","value":2},"fail":{"type":"bool","value":false},"input":{"type":["object",{"digest":"string","media_type":"string","size":"number"}],"value":{"digest":"sha256:abababababababababababababababababababababababababababababababab","media_type":"text/plain","size":12}},"mode":{"type":"string","value":"upper"}},"files":[]}`
	if got := string(p.Canonical()); got != want {
		t.Errorf("canonical preimage:\n got %s\nwant %s", got, want)
	}
	if len(p.Key()) != 64 {
		t.Errorf("key %q", p.Key())
	}
	again, _ := New(k, transformCfg(2, "upper", "0s"), nil, nil)
	if again.Key() != p.Key() {
		t.Error("same inputs, different keys")
	}
}

func TestWhatChangesTheKey(t *testing.T) {
	k := kind(t, "transform")
	base, _ := New(k, transformCfg(2, "upper", "0s"), nil, nil)
	notKeyed, _ := New(k, transformCfg(2, "upper", "5s"), nil, nil)
	if notKeyed.Key() != base.Key() {
		t.Error("a NotKeyed attribute changed the key")
	}
	other, _ := New(k, transformCfg(3, "upper", "0s"), nil, nil)
	if other.Key() == base.Key() {
		t.Error("a keyed attribute did not change the key")
	}
	withFile, _ := New(k, transformCfg(2, "upper", "0s"), []steps.File{{Path: "a.txt", Abs: "/abs/a.txt", Digest: "sha256:1"}}, nil)
	if withFile.Key() == base.Key() {
		t.Error("an input file did not change the key")
	}
	movedAbs, _ := New(k, transformCfg(2, "upper", "0s"), []steps.File{{Path: "a.txt", Abs: "/elsewhere/a.txt", Digest: "sha256:1"}}, nil)
	if movedAbs.Key() != withFile.Key() {
		t.Error("the absolute path of an input file changed the key")
	}
	// A string "1" and a number 1 never share a key.
	c := kind(t, "combine")
	cfg := func(v cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"inputs": cty.ListValEmpty(steps.ArtifactType), "params": v})
	}
	s, _ := New(c, cfg(cty.StringVal("1")), nil, nil)
	n, _ := New(c, cfg(cty.NumberIntVal(1)), nil, nil)
	if s.Key() == n.Key() {
		t.Error(`"1" and 1 share a key`)
	}
}

func TestSensitiveValuesStayOut(t *testing.T) {
	c := kind(t, "combine")
	cfg := func(secret string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{
			"inputs": cty.ListValEmpty(steps.ArtifactType),
			"params": cty.ObjectVal(map[string]cty.Value{"token": cty.StringVal(secret).Mark(lang.Sensitive)}),
		})
	}
	a, err := New(c, cfg("hunter2"), nil, testKeys(t, teamKey))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(a.Canonical()), "hunter2") {
		t.Fatal("a sensitive value is in the preimage")
	}
	b, _ := New(c, cfg("hunter3"), nil, testKeys(t, teamKey))
	if a.Key() == b.Key() {
		t.Error("changing a sensitive value did not change the key")
	}
	changes := Diff(a, b)
	if len(changes) != 1 || strings.Contains(changes[0].String(), "hunter") {
		t.Errorf("diff of sensitive values: %v", changes)
	}
}

// Team keys of tests: 32 characters or more.
const (
	teamKey  = "a-team-key-of-at-least-32-characters"
	otherKey = "another-team-key-of-32-characters-or-more"
)

func testKeys(t *testing.T, secret string) Keys {
	t.Helper()
	k, err := signing.New([]byte(secret), "test", true)
	if err != nil {
		t.Fatal(err)
	}
	return func() (*signing.Key, error) { return k, nil }
}

// A sensitive value is stored as a keyed hash: not the SHA-256 of its
// encoding (which anyone could compute for likely values), different
// under another key, the same under the same key; without a key it is an
// error, and a value that is not sensitive never asks for one.
func TestSensitiveValuesAreKeyed(t *testing.T) {
	v := cty.NumberFloatVal(0.1).Mark(lang.Sensitive)
	a, err := Encode(v, testKeys(t, teamKey))
	if err != nil {
		t.Fatal(err)
	}
	unkeyed := sha256.Sum256([]byte("0.1"))
	if a.SensitiveHMAC == "" || a.Value != nil || a.SensitiveHMAC == hex.EncodeToString(unkeyed[:]) {
		t.Fatalf("encoded as %+v", a)
	}
	if !a.Sensitive() || a.Display() != lang.Redacted {
		t.Errorf("a keyed hash shows as %q", a.Display())
	}
	if _, ok := a.Decode(); ok {
		t.Error("a keyed hash decodes")
	}
	again, _ := Encode(v, testKeys(t, teamKey))
	other, _ := Encode(v, testKeys(t, otherKey))
	if again.SensitiveHMAC != a.SensitiveHMAC || other.SensitiveHMAC == a.SensitiveHMAC {
		t.Errorf("same key %s and %s, other key %s", a.SensitiveHMAC, again.SensitiveHMAC, other.SensitiveHMAC)
	}
	if _, err := Encode(v, nil); !errors.Is(err, ErrNoKey) {
		t.Errorf("without a key: %v", err)
	}
	broken := func() (*signing.Key, error) { return nil, errors.New("no state folder") }
	if _, err := Encode(v, broken); err == nil || !strings.Contains(err.Error(), "no state folder") {
		t.Errorf("a key that cannot be had: %v", err)
	}
	if plain, err := Encode(cty.NumberFloatVal(0.1), broken); err != nil || string(plain.Value) != "0.1" {
		t.Errorf("a value that is not sensitive: %+v, %v", plain, err)
	}

	// An entry of an earlier pipe held sensitive_sha256: it reads as a
	// sensitive value that equals none of this pipe's.
	var old Value
	if err := json.Unmarshal([]byte(`{"type":"number","sensitive_sha256":"`+hex.EncodeToString(unkeyed[:])+`"}`), &old); err != nil {
		t.Fatal(err)
	}
	if !old.Sensitive() || old.Display() != lang.Redacted || old.equal(a) {
		t.Errorf("an earlier pipe's hash reads as %+v", old)
	}
}

func TestDiff(t *testing.T) {
	k := kind(t, "transform")
	old, _ := New(k, transformCfg(2, "upper", "0s"), []steps.File{
		{Path: "a.txt", Digest: "sha256:aaaa"}, {Path: "b.txt", Digest: "sha256:bbbb"},
	}, nil)
	cur, _ := New(k, transformCfg(3, "upper", "0s"), []steps.File{
		{Path: "b.txt", Digest: "sha256:cccc"}, {Path: "c.txt", Digest: "sha256:dddd"},
	}, nil)
	cur.Version = "2"
	got := []string{}
	for _, c := range Diff(old, cur) {
		got = append(got, c.String())
	}
	want := []string{
		"step implementation changed (version 1 → 2)",
		"factor: 2 → 3",
		"input file a.txt is gone",
		"input file b.txt changed (sha256:bbbb → sha256:cccc)",
		"input file c.txt is new",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if len(Diff(old, old)) != 0 {
		t.Error("a preimage differs from itself")
	}

	// A sensitive value that changed says so without showing either; a
	// type change shows the types.
	combine := func(params cty.Value) *Preimage {
		p, err := New(kind(t, "combine"), cty.ObjectVal(map[string]cty.Value{
			"inputs": cty.ListVal([]cty.Value{artifact.Value()}),
			"params": params,
		}), nil, testKeys(t, teamKey))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		old, cur cty.Value
		want     string
	}{
		{cty.StringVal("hunter2").Mark(lang.Sensitive), cty.StringVal("swordfish").Mark(lang.Sensitive), "params: (sensitive value) → (another sensitive value)"},
		{cty.StringVal("a"), cty.StringVal("b").Mark(lang.Sensitive), "params: \"a\" → (sensitive value)"},
		{cty.NumberIntVal(1), cty.StringVal("1"), `params: 1 → "1"`},
		{cty.ListVal([]cty.Value{cty.StringVal("a")}), cty.SetVal([]cty.Value{cty.StringVal("a")}), `params: ["a"] (["list","string"]) → ["a"] (["set","string"])`},
	} {
		changes := Diff(combine(c.old), combine(c.cur))
		if len(changes) != 1 || changes[0].String() != c.want {
			t.Errorf("changes %v, want %s", changes, c.want)
		}
		if strings.Contains(fmt.Sprint(changes), "hunter2") || strings.Contains(fmt.Sprint(changes), "swordfish") {
			t.Errorf("a sensitive value shows: %v", changes)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	k := kind(t, "transform")
	p, _ := New(k, transformCfg(2, "lower", "0s"), []steps.File{{Path: "x", Digest: "sha256:1"}}, nil)
	b, _ := json.Marshal(p)
	var back Preimage
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Key() != p.Key() {
		t.Error("a decoded preimage has another key")
	}
	v, ok := back.Config["input"].Decode()
	if !ok || !steps.IsArtifact(v) {
		t.Errorf("artifact did not decode: %#v", v)
	}
	if got := back.Config["input"].Display(); got != artifact.Digest {
		t.Errorf("artifact displays as %q", got)
	}
}
