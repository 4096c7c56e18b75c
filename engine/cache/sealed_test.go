package cache

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipe-ml/pipe/engine/cachekey"
	"github.com/pipe-ml/pipe/engine/lang"
	"github.com/pipe-ml/pipe/engine/signing"
	"github.com/pipe-ml/pipe/steps"
)

func keysOf(t *testing.T, secret string) cachekey.Keys {
	t.Helper()
	k, err := signing.New([]byte(secret), "test", true)
	if err != nil {
		t.Fatal(err)
	}
	return func() (*signing.Key, error) { return k, nil }
}

// sensitiveEntry is the entry of a step whose configuration held a
// sensitive value: a number output, an artifact output, and a file
// written to a folder named by the sensitive value.
func sensitiveEntry(t *testing.T, keys cachekey.Keys) *Entry {
	t.Helper()
	token, err := cachekey.Encode(cty.StringVal("mangoberry").Mark(lang.Sensitive), keys)
	if err != nil {
		t.Fatal(err)
	}
	art := steps.Artifact{Digest: "sha256:" + strings.Repeat("ab", 32), MediaType: "text/plain", Size: 3}
	data, _ := cachekey.Encode(art.Value(), nil)
	rows, _ := cachekey.Encode(cty.NumberIntVal(987654), nil)
	pre := &cachekey.Preimage{Format: cachekey.Format, Kind: "k", Version: "1", Config: map[string]cachekey.Value{"to": token}}
	return &Entry{
		Format: EntryFormat, Key: pre.Key(), Step: "k.s", Preimage: pre,
		Outputs:   map[string]cachekey.Value{"data": data, "rows": rows},
		Artifacts: []string{art.Digest},
		External:  []External{{Folder: "mangoberry/", Name: "p.csv", Digest: art.Digest, Size: 3}},
	}
}

// A sensitive entry is saved sealed: neither its number output nor the
// folder it wrote to is in its bytes, its artifact output is; it opens
// again with the same key only, and its sensitive outputs come back
// marked.
func TestSealedEntry(t *testing.T) {
	keys := keysOf(t, "a-team-key-of-at-least-32-characters")
	e := sensitiveEntry(t, keys)
	if !e.Sensitive() {
		t.Fatal("an entry with a keyed hash in its preimage is not sensitive")
	}
	sealed, err := e.SealedCopy(keys)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sealed)
	for _, clear := range []string{"mangoberry", "987654"} {
		if strings.Contains(string(b), clear) {
			t.Errorf("the sealed entry holds %q:\n%s", clear, b)
		}
	}
	if !strings.Contains(string(b), strings.Repeat("ab", 32)) || len(e.External) != 1 || string(e.Outputs["rows"].Value) != "987654" {
		t.Errorf("sealing lost the artifact or changed the entry it copied:\n%s", b)
	}

	var read Entry
	if err := json.Unmarshal(b, &read); err != nil {
		t.Fatal(err)
	}
	if _, err := read.OutputValues(); err == nil {
		t.Error("a sealed entry's outputs decode without unsealing it")
	}
	other := read
	if err := other.Unseal(keysOf(t, "another-team-key-of-32-characters-or-more")); err == nil {
		t.Error("a sealed entry opens with another key")
	}
	moved := read
	moved.Key = strings.Repeat("0", 64)
	if err := moved.Unseal(keys); err == nil {
		t.Error("a sealed part opens in another entry")
	}
	if err := read.Unseal(keys); err != nil {
		t.Fatal(err)
	}
	if len(read.External) != 1 || read.External[0].Folder != "mangoberry/" {
		t.Errorf("external files after unsealing: %+v", read.External)
	}
	out, err := read.OutputValues()
	if err != nil {
		t.Fatal(err)
	}
	rows, data := out.GetAttr("rows"), out.GetAttr("data")
	if !rows.HasMark(lang.Sensitive) || data.HasMark(lang.Sensitive) {
		t.Errorf("marks: rows %v, data %v; want rows sensitive, the artifact not", rows.HasMark(lang.Sensitive), data.HasMark(lang.Sensitive))
	}
	if v, _ := rows.Unmark(); !v.RawEquals(cty.NumberIntVal(987654)) {
		t.Errorf("rows = %#v", v)
	}

	// An entry without a sensitive value is saved as it is.
	plain := &Entry{Format: EntryFormat, Key: "k", Preimage: &cachekey.Preimage{Config: map[string]cachekey.Value{}}}
	if c, err := plain.SealedCopy(nil); err != nil || c != plain {
		t.Errorf("an entry with nothing sensitive: %v", err)
	}
}
