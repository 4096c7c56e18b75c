package cache

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/engine/store"
)

// TestSetLastKey: the ref names the last key; setting the key it holds
// again writes nothing (its time stays that of the change), another key
// is written.
func TestSetLastKey(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "file://store", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	ref := func() Ref {
		t.Helper()
		b, err := s.GetRef(ctx, refName("p", "train.m"))
		if err != nil {
			t.Fatal(err)
		}
		var r Ref
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for i, set := range []struct {
		key         string
		at, updated time.Time
	}{
		{"k1", t0, t0},
		{"k1", t0.Add(time.Hour), t0},
		{"k2", t0.Add(2 * time.Hour), t0.Add(2 * time.Hour)},
	} {
		if err := SetLastKey(ctx, s, "p", "train.m", set.key, set.at); err != nil {
			t.Fatal(err)
		}
		if r := ref(); r.Key != set.key || !r.Updated.Equal(set.updated) {
			t.Errorf("after set %d: ref %+v, want key %s updated %v", i, r, set.key, set.updated)
		}
		if k, err := LastKey(ctx, s, "p", "train.m"); err != nil || k != set.key {
			t.Errorf("after set %d: LastKey = %q, %v", i, k, err)
		}
	}
}
