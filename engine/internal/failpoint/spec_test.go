package failpoint

import (
	"strings"
	"sync"
	"testing"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want spec
		err  string
	}{
		{in: "", want: spec{}},
		{in: "  ", want: spec{}},
		{in: "store.put.uploading", want: spec{"store.put.uploading", 1}},
		{in: "apply.step.ran:3", want: spec{"apply.step.ran", 3}},
		{in: " registry.write.commit:12 ", want: spec{"registry.write.commit", 12}},
		{in: "a-b_c.D9", want: spec{"a-b_c.D9", 1}},
		{in: "store..put", err: "the name must be"},
		{in: ".store", err: "the name must be"},
		{in: "store put", err: "the name must be"},
		{in: ":2", err: "the name must be"},
		{in: "store.put:0", err: "whole number >= 1"},
		{in: "store.put:-1", err: "whole number >= 1"},
		{in: "store.put:x", err: "whole number >= 1"},
		{in: "store.put:", err: "whole number >= 1"},
	} {
		got, err := parseSpec(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseSpec(%q): error %v, want one saying %q", tc.in, err, tc.err)
		case tc.err != "" && !strings.HasPrefix(err.Error(), "failpoint: "+EnvVar):
			t.Errorf("parseSpec(%q): error %q does not name the variable", tc.in, err)
		case tc.err == "" && err != nil:
			t.Errorf("parseSpec(%q): %v", tc.in, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("parseSpec(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestCounterFiresOnceAtTheNthHit(t *testing.T) {
	c := &counter{spec: spec{"p.q", 50}}
	if fire, _ := c.hit("other"); fire {
		t.Fatal("fired for another point")
	}
	var mu sync.Mutex
	var fired []int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if fire, n := c.hit("p.q"); fire {
					mu.Lock()
					fired = append(fired, n)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(fired) != 1 || fired[0] != 50 {
		t.Errorf("fired at hits %v, want exactly [50]", fired)
	}

	var none counter
	if fire, _ := none.hit("p.q"); fire {
		t.Error("an unarmed counter fired")
	}
}
