package engine

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// classes explores sc and returns, for each complete schedule run, its
// equivalence class (the schedule minimize picks for it, the same for every
// member of the class).
func classes(t *testing.T, sc *Scenario, opts ExploreOptions) []string {
	t.Helper()
	ex, err := NewExplorer(sc, opts)
	require.NoError(t, err)
	var out []string
	ex.onLeaf = func(w *worker) {
		canon, _ := w.minimize(slices.Clone(w.path), slices.Clone(w.fps), 0)
		out = append(out, fmt.Sprint(canon))
	}
	res, err := ex.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, res.SchedulesRun, int64(len(out)))
	return out
}

// TestReducedRunsOnePerClass: the reduced search (without symmetry and
// observers) runs exactly one schedule of each class of equivalent
// schedules the naive search runs: none missing, none twice; with optimal
// DPOR, and with sleep sets where the clock can tick ("timed").
func TestReducedRunsOnePerClass(t *testing.T) {
	readers := func(n int, key string) []Actor {
		var out []Actor
		for i := range n {
			out = append(out, Actor{Name: fmt.Sprintf("r%d-%s", i+1, key), Steps: readThrough(key, ms/2, ms, ms, 300*time.Second)})
		}
		return out
	}
	writer := func(name, key string) Actor {
		return Actor{Name: name, Steps: []Step{
			{Op: OpDBWrite, Key: key, Value: "NEW-" + name, HasValue: true, Took: 2 * ms},
			{Op: OpCacheDel, Key: key, Took: ms},
		}}
	}
	twoKeys := &Scenario{Name: "two-keys", DB: []Seed{{Key: "a", Value: "A"}, {Key: "b", Value: "B"}},
		Actors: append([]Actor{writer("wa", "a"), writer("wb", "b")}, readers(1, "a")...)}
	sameValue := &Scenario{Name: "same-value", DB: []Seed{{Key: "a", Value: "A"}}, Actors: readers(3, "a")}
	sleepy := &Scenario{Name: "sleepy", DB: []Seed{{Key: "a", Value: "A"}}, Actors: []Actor{
		{Name: "s", Steps: []Step{{Op: OpSleep, Took: ms}, {Op: OpCacheGet, Key: "a", Took: ms}, {Op: OpSleep}}},
		writer("w", "a"),
		{Name: "d", Steps: []Step{{Op: OpCacheDel, Key: "a", Took: ms}, {Op: OpCacheDel, Key: "a", Took: ms}}},
	}}
	timed := &Scenario{Name: "timed", DB: []Seed{{Key: "a", Value: "A"}}, Cache: []Seed{{Key: "a", Value: "A", TTL: 3 * ms}},
		Actors: append([]Actor{writer("w", "a")}, readers(2, "a")...)}
	for _, sc := range []*Scenario{cacheAside(), twoKeys, sameValue, sleepy, timed} {
		t.Run(sc.Name, func(t *testing.T) {
			naive := classes(t, sc, ExploreOptions{NoReduction: true})
			reduced := classes(t, sc, ExploreOptions{NoSymmetry: true, NoObservers: true})
			want := slices.Compact(slices.Sorted(slices.Values(naive)))
			got := slices.Sorted(slices.Values(reduced))
			require.Equal(t, want, got)
			if sc.Name != "timed" && sc.Name != "cache-aside" {
				require.Less(t, len(reduced), len(naive), "nothing reduced")
			}
		})
	}
}

// TestIdenticalActors: actors whose programs are the same but for their
// names and where their steps were written are grouped; one with another
// value, or that takes a lease (its token names it), is not.
func TestIdenticalActors(t *testing.T) {
	read := func(pos string) []Step {
		steps := readThrough("k", ms, ms, ms, 300*time.Second)
		steps[0].Pos, steps[1].Then[0].Pos = pos+":1", pos+":2"
		return steps
	}
	lease := []Step{{Op: OpLeaseGet, Key: "k", Took: ms}}
	sc := &Scenario{Actors: []Actor{
		{Name: "r1", Steps: read("a.yaml:3")},
		{Name: "w", Steps: []Step{{Op: OpDBWrite, Key: "k", Value: "x", HasValue: true, Took: ms}}},
		{Name: "r2", Steps: read("a.yaml:9")},
		{Name: "w2", Steps: []Step{{Op: OpDBWrite, Key: "k", Value: "y", HasValue: true, Took: ms}}},
		{Name: "l1", Steps: lease},
		{Name: "l2", Steps: lease},
		{Name: "r3", At: 5 * ms, Steps: read("a.yaml:15")},
	}}
	require.Equal(t, [][]int{{0, 2, 6}}, identicalActors(sc))
}
