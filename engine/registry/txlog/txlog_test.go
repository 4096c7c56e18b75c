package txlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "file://"+t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func entry(n int64, prev string) *Entry {
	return &Entry{N: n, Prev: prev, Writer: Writer{Host: "ci", Time: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)},
		Facts: []Fact{{RunBegun: &RunBegun{Run: fmt.Sprintf("%032d", n), Pipeline: "p", Trigger: "ci", PipeVersion: "t"}}}}
}

// appendN appends entries 1..n and returns their hashes.
func appendN(t *testing.T, l *Log, n int) []string {
	t.Helper()
	var hashes []string
	prev := ""
	for i := int64(1); i <= int64(n); i++ {
		h, err := l.Append(context.Background(), entry(i, prev))
		if err != nil {
			t.Fatal(err)
		}
		hashes, prev = append(hashes, h), h
	}
	return hashes
}

func TestEncodeDecode(t *testing.T) {
	e := entry(1, "")
	b, h, err := Encode(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`{"format":"pipe.registry.log/v1","sha256":"`+h+`"`)) {
		t.Errorf("envelope: %s", b)
	}
	got, h2, err := Decode(EntryKey(1), 1, b, nil)
	if err != nil || h2 != h || got.Facts[0].RunBegun.Run != e.Facts[0].RunBegun.Run {
		t.Fatalf("decode: %+v %s %v", got, h2, err)
	}
}

// Every way stored bytes can be wrong is refused, with the key named.
func TestDecodeRefuses(t *testing.T) {
	good, _, _ := Encode(entry(2, strings.Repeat("a", 64)), nil)
	key := EntryKey(2)
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"truncated":     {good[:len(good)/2], "not a complete JSON envelope"},
		"empty":         {nil, "not a complete JSON envelope"},
		"edited":        {bytes.Replace(good, []byte(`"pipeline":"p"`), []byte(`"pipeline":"q"`), 1), "does not match its checksum"},
		"other format":  {bytes.Replace(good, []byte("pipe.registry.log/v1"), []byte("something/v1"), 1), "is not pipe.registry.log/vN"},
		"misplaced":     {mustEncode(t, entry(3, strings.Repeat("a", 64))), "it says it is entry 3"},
		"no prev":       {mustEncode(t, entry(2, "")), "link to the entry before"},
		"unknown field": {sealRaw(t, `{"n":2,"prev":"`+strings.Repeat("a", 64)+`","writer":{"time":"2025-03-01T02:00:00Z"},"facts":[],"extra":1}`), "unknown field"},
		"empty fact":    {sealRaw(t, `{"n":2,"prev":"`+strings.Repeat("a", 64)+`","writer":{"time":"2025-03-01T02:00:00Z"},"facts":[{}]}`), "fact 1: a fact must be exactly one of"},
	}
	for name, c := range cases {
		_, _, err := Decode(key, 2, c.b, nil)
		var ce *CorruptError
		if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want a CorruptError", name, err)
			continue
		}
		for _, want := range []string{c.want, key, "nothing from it on is indexed"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q lacks %q", name, err, want)
			}
		}
	}
}

func mustEncode(t *testing.T, e *Entry) []byte {
	b, _, err := Encode(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealRaw makes a well-sealed envelope around data as given: the
// checksum holds, what is inside does not.
func sealRaw(t *testing.T, data string) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte(data))
	return []byte(fmt.Sprintf(`{"format":%q,"sha256":%q,"size":%d,"data":%s}`, Format, hex.EncodeToString(sum[:]), len(data), data))
}

func TestNewerFormat(t *testing.T) {
	b := bytes.Replace(mustEncode(t, entry(1, "")), []byte("pipe.registry.log/v1"), []byte("pipe.registry.log/v2"), 1)
	_, _, err := Decode(EntryKey(1), 1, b, nil)
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "written by a newer pipe") || !strings.Contains(err.Error(), "Upgrade pipe") {
		t.Fatalf("%v, want a NewerFormatError that says to upgrade", err)
	}
}

func TestAppendTakesEachPositionOnce(t *testing.T) {
	l := New(openStore(t))
	ctx := context.Background()
	if _, err := l.Append(ctx, entry(1, "")); err != nil {
		t.Fatal(err)
	}
	other := entry(1, "")
	other.Writer.Host = "laptop"
	if _, err := l.Append(ctx, other); !errors.Is(err, ErrTaken) {
		t.Fatalf("second writer of entry 1: %v, want ErrTaken", err)
	}
	e, _, err := l.Read(ctx, 1)
	if err != nil || e.Writer.Host != "ci" {
		t.Errorf("entry 1 is %+v (%v), want the first writer's", e, err)
	}
}

func TestScanReadsAheadAndStopsAtTheEnd(t *testing.T) {
	l := New(openStore(t))
	hashes := appendN(t, l, 40)
	var got []int64
	last, err := l.Scan(context.Background(), 3, func(e *Entry, h string) error {
		if h != hashes[e.N-1] {
			t.Errorf("entry %d hash %s, want %s", e.N, h, hashes[e.N-1])
		}
		got = append(got, e.N)
		return nil
	})
	if err != nil || last != 40 || len(got) != 38 || got[0] != 3 || got[37] != 40 {
		t.Fatalf("scan from 3: last %d, %d entries, %v", last, len(got), err)
	}
	last, err = l.Scan(context.Background(), 41, func(*Entry, string) error { t.Error("read past the end"); return nil })
	if err != nil || last != 40 {
		t.Errorf("scan at the end: %d, %v", last, err)
	}
}

// A missing entry with a later one present is a damaged log.
func TestScanFindsAGap(t *testing.T) {
	s := openStore(t)
	l := New(s)
	appendN(t, l, 6)
	if err := s.DeleteBlob(context.Background(), EntryKey(4)); err != nil {
		t.Fatal(err)
	}
	last, err := l.Scan(context.Background(), 1, func(*Entry, string) error { return nil })
	if !errors.Is(err, ErrCorrupt) || last != 3 || !strings.Contains(err.Error(), "missing while entry 5 is there") {
		t.Fatalf("last %d, %v", last, err)
	}
}

func TestCheckpoints(t *testing.T) {
	s := openStore(t)
	l := New(s)
	ctx := context.Background()
	if cp, err := l.LatestCheckpoint(ctx); cp != nil || err != nil {
		t.Fatalf("empty log: %+v %v", cp, err)
	}
	hashes := appendN(t, l, 12)
	for _, n := range []int64{2, 4, 6, 8, 10} {
		snap := []byte(fmt.Sprintf("snapshot after %d", n))
		err := l.WriteCheckpoint(ctx, Checkpoint{N: n, Hash: hashes[n-1], Schema: 2}, func(w io.Writer) error {
			_, err := w.Write(snap)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	cp, err := l.LatestCheckpoint(ctx)
	if err != nil || cp == nil || cp.N != 10 || cp.Hash != hashes[9] {
		t.Fatalf("latest: %+v %v", cp, err)
	}
	r, err := l.ReadCheckpoint(ctx, cp)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != "snapshot after 10" {
		t.Errorf("snapshot %q", b)
	}
	keys, _ := s.ListBlobs(ctx, checkpointPrefix)
	if len(keys) != 2*KeepCheckpoints {
		t.Errorf("kept %v, want the newest %d checkpoints", keys, KeepCheckpoints)
	}
	// The hint is only a hint: without it, or pointing at a checkpoint
	// that is gone, the listing finds the newest.
	for _, hint := range [][]byte{nil, []byte("garbage"), mustSeal(t, hintDoc{N: 2})} {
		if hint == nil {
			s.DeleteBlob(ctx, hintKey)
		} else {
			s.PutBlob(ctx, hintKey, hint)
		}
		if cp, err := l.LatestCheckpoint(ctx); err != nil || cp == nil || cp.N != 10 {
			t.Errorf("hint %q: %+v %v", hint, cp, err)
		}
	}
	// A damaged snapshot is refused.
	data, _ := s.GetBlob(ctx, checkpointDataKey(10))
	data[len(data)/2] ^= 1
	s.PutBlob(ctx, checkpointDataKey(10), data)
	if _, err := l.ReadCheckpoint(ctx, cp); !errors.Is(err, ErrCorrupt) {
		t.Errorf("damaged snapshot: %v", err)
	}
}

func mustSeal(t *testing.T, v any) []byte {
	b, err := seal(checkpointFormat, v, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
