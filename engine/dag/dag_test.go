package dag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func build(edges ...string) *Graph {
	g := &Graph{}
	for _, e := range edges {
		var from, to string
		if n, _ := fmt.Sscanf(e, "%s -> %s", &from, &to); n == 2 {
			g.Connect(from, to)
		} else {
			g.Add(e)
		}
	}
	return g
}

func TestTopoOrderIsStable(t *testing.T) {
	g := build("c -> a", "b -> a", "d -> b", "d -> c", "e")
	order, ok := g.TopoOrder()
	if !ok {
		t.Fatal("TopoOrder reported a cycle in an acyclic graph")
	}
	want := []string{"a", "b", "c", "d", "e"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	for i := 0; i < 20; i++ {
		again, _ := build("d -> c", "e", "b -> a", "d -> b", "c -> a").TopoOrder()
		if !slices.Equal(again, order) {
			t.Fatalf("order changed with insertion order: %v vs %v", again, order)
		}
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		edges []string
		want  [][]string
	}{
		{"acyclic", []string{"b -> a", "c -> b"}, nil},
		{"self", []string{"a -> a"}, [][]string{{"a"}}},
		{"two", []string{"a -> b", "b -> a"}, [][]string{{"a", "b"}}},
		{
			"two cycles sharing a vertex",
			[]string{"a -> b", "b -> c", "c -> a", "c -> d", "d -> c"},
			[][]string{{"a", "b", "c"}, {"c", "d"}},
		},
		{
			"start is the smallest name whatever the order",
			[]string{"z -> m", "m -> q", "q -> z"},
			[][]string{{"m", "q", "z"}},
		},
		{
			"separate",
			[]string{"x -> y", "y -> x", "p -> q", "q -> p", "q -> x"},
			[][]string{{"p", "q"}, {"x", "y"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(tt.edges...)
			if diff := cmp.Diff(tt.want, g.Cycles()); diff != "" {
				t.Errorf("cycles (-want +got):\n%s", diff)
			}
			if _, ok := g.TopoOrder(); ok == (tt.want != nil) {
				t.Errorf("TopoOrder ok = %v with cycles %v", ok, tt.want)
			}
		})
	}
}

func TestCyclesBounded(t *testing.T) {
	// A complete graph on 8 vertices has thousands of elementary cycles.
	g := &Graph{}
	for i := 0; i < 8; i++ {
		for j := 0; j < 8; j++ {
			if i != j {
				g.Connect(fmt.Sprint(i), fmt.Sprint(j))
			}
		}
	}
	if n := len(g.Cycles()); n != MaxCycles {
		t.Errorf("got %d cycles, want the bound %d", n, MaxCycles)
	}
}

func TestAncestorsDescendants(t *testing.T) {
	g := build("b -> a", "c -> b", "d -> a", "e")
	if got := g.Ancestors("c"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Ancestors(c) = %v", got)
	}
	if got := g.Descendants("a"); !slices.Equal(got, []string{"b", "c", "d"}) {
		t.Errorf("Descendants(a) = %v", got)
	}
	sub := g.Subgraph([]string{"a", "b", "e"})
	if diff := cmp.Diff([]Edge{{"b", "a"}}, sub.Edges()); diff != "" {
		t.Errorf("subgraph edges (-want +got):\n%s", diff)
	}
}

func TestWalkOrderAndParallelism(t *testing.T) {
	// a fans out to b1..b6, which join in c.
	g := &Graph{}
	for i := 1; i <= 6; i++ {
		b := fmt.Sprintf("b%d", i)
		g.Connect(b, "a")
		g.Connect("c", b)
	}
	for _, par := range []int{1, 2, 4} {
		var (
			mu      sync.Mutex
			done    = map[string]bool{}
			active  atomic.Int32
			maxSeen atomic.Int32
		)
		res := g.Walk(context.Background(), par, func(_ context.Context, v string) error {
			n := active.Add(1)
			defer active.Add(-1)
			for {
				m := maxSeen.Load()
				if n <= m || maxSeen.CompareAndSwap(m, n) {
					break
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, d := range g.DependsOn(v) {
				if !done[d] {
					t.Errorf("%s visited before its dependency %s", v, d)
				}
			}
			done[v] = true
			return nil
		})
		if len(done) != 8 {
			t.Errorf("parallelism %d: visited %d of 8", par, len(done))
		}
		if int(maxSeen.Load()) > par {
			t.Errorf("parallelism %d: %d visits at once", par, maxSeen.Load())
		}
		for v, r := range res {
			if r.Status != Done {
				t.Errorf("%s: %v", v, r.Status)
			}
		}
	}
}

func TestWalkFailureSkipsDependentsOnly(t *testing.T) {
	g := build("b -> a", "c -> b", "y -> x", "z -> y")
	boom := errors.New("boom")
	var visited sync.Map
	res := g.Walk(context.Background(), 2, func(_ context.Context, v string) error {
		visited.Store(v, true)
		if v == "b" {
			return boom
		}
		return nil
	})
	want := map[string]Status{"a": Done, "b": Failed, "c": Skipped, "x": Done, "y": Done, "z": Done}
	for v, st := range want {
		if res[v].Status != st {
			t.Errorf("%s: status %v, want %v", v, res[v].Status, st)
		}
	}
	if _, ok := visited.Load("c"); ok {
		t.Error("c was visited after its dependency failed")
	}
	if res["c"].Cause != "b" || !errors.Is(res["c"].Err, boom) {
		t.Errorf("c: cause %q err %v, want b and boom", res["c"].Cause, res["c"].Err)
	}
}

func TestWalkCancel(t *testing.T) {
	g := build("b -> a", "c -> b")
	ctx, cancel := context.WithCancel(context.Background())
	res := g.Walk(ctx, 1, func(ctx context.Context, v string) error {
		if v == "a" {
			cancel()
			return ctx.Err()
		}
		t.Errorf("%s visited after cancellation", v)
		return nil
	})
	for _, v := range []string{"a", "b", "c"} {
		if res[v].Status != Cancelled {
			t.Errorf("%s: %v, want cancelled", v, res[v].Status)
		}
	}
}
