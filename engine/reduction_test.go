package engine_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// The reduction's oracles, computed by brute force from the naive search:
// the class of a schedule as its Foata normal form, independently of the
// reduced search.

// traceKey is the Foata normal form of a schedule under the dependency
// relation: each step's level is one more than the highest level of the
// steps before it it depends on (or that its participant took); the key
// lists the levels, each sorted by participant. Two schedules have the
// same key iff they are equivalent (the same steps, dependent ones in the
// same order). rename maps participants (for symmetry); nil keeps them.
func traceKey(l engine.Leaf, rename []int) string {
	type ev struct {
		level, who, idx int
		step            string
	}
	evs := make([]ev, len(l.Path))
	taken := map[int]int{}
	for k, p := range l.Path {
		lvl := 1
		for j := range k {
			if l.Path[j] == p || engine.Dependent(&l.FPs[j], &l.FPs[k]) {
				lvl = max(lvl, evs[j].level+1)
			}
		}
		who := p
		if rename != nil {
			who = rename[p]
		}
		taken[p]++
		evs[k] = ev{lvl, who, taken[p], stepText(&l.FPs[k])}
	}
	slices.SortFunc(evs, func(a, b ev) int {
		return cmp.Or(cmp.Compare(a.level, b.level), cmp.Compare(a.who, b.who), cmp.Compare(a.idx, b.idx))
	})
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%d:%d.%d:%s ", e.level, e.who, e.idx, e.step)
	}
	return b.String()
}

// stepText describes a step by its footprint (the same in every
// exploration of a scenario).
func stepText(fp *engine.Footprint) string {
	if fp.All {
		return "all"
	}
	return fmt.Sprintf("%v/%s", *fp.Info, fp.Value)
}

// classesOf groups leaves by key.
func classesOf(leaves []engine.Leaf, key func(engine.Leaf) string) map[string][]engine.Leaf {
	out := map[string][]engine.Leaf{}
	for _, l := range leaves {
		k := key(l)
		out[k] = append(out[k], l)
	}
	return out
}

// plainKey is traceKey without renaming.
func plainKey(l engine.Leaf) string { return traceKey(l, nil) }

// checkOnePerClass: the reduced leaves are one per class of the naive
// leaves (by key), none twice.
func checkOnePerClass(t require.TestingT, naive, reduced []engine.Leaf, key func(engine.Leaf) string) {
	want := classesOf(naive, key)
	got := classesOf(reduced, key)
	for k, ls := range got {
		require.Len(t, ls, 1, "a class explored twice: %v", ls[0].Path)
		require.Contains(t, want, k, "a reduced schedule %v in no naive class", ls[0].Path)
	}
	for k, ls := range want {
		require.Contains(t, got, k, "class of %v not explored", ls[0].Path)
	}
}

// verdictOf is what a schedule serves and how it is judged: each read's
// actor, key, value, verdict and anomaly, in order.
func verdictOf(t require.TestingT, sc *engine.Scenario, l engine.Leaf) string {
	names := make([]string, len(l.Path))
	for i, p := range l.Path {
		names[i] = "clock"
		if p < len(sc.Actors) {
			names[i] = sc.Actors[p].Name
		}
	}
	tl, err := engine.Run(sc, engine.ModelOptions(engine.Options{Schedule: names, NoStates: true}))
	require.NoError(t, err)
	var reads []string
	for _, r := range tl.Reads {
		reads = append(reads, fmt.Sprintf("%s %s=%q stale=%v %s", r.Actor, r.Key, r.Served, r.Stale, r.Anomaly))
	}
	slices.Sort(reads)
	return strings.Join(reads, "; ")
}

// checkInvariant: every schedule of a class serves the same values with
// the same verdicts and anomalies (what makes exploring one enough).
func checkInvariant(t require.TestingT, sc *engine.Scenario, classes map[string][]engine.Leaf) {
	for _, ls := range classes {
		want := verdictOf(t, sc, ls[0])
		for _, l := range ls[1:] {
			require.Equal(t, want, verdictOf(t, sc, l), "schedules %v and %v are equivalent", ls[0].Path, l.Path)
		}
	}
}

// TestOptimalRunsOnePerTrace (T1, T2): on generated scenarios (clock ticks,
// zero-duration steps, replica reads, conditional steps), the reduced
// search runs exactly one schedule of each class of equivalent schedules
// of the naive search (classes counted by brute force), abandons no
// prefix, and every schedule of a class gets the same verdicts.
func TestOptimalRunsOnePerTrace(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		naive, nres, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoReduction: true, Limit: 5000})
		require.NoError(t, err)
		if !nres.Complete {
			t.Skip("too many schedules")
		}
		reduced, res, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoSymmetry: true})
		require.NoError(t, err)
		require.True(t, res.Complete)
		if res.Reduction == "optimal-dpor" {
			require.Zero(t, res.Pruned, "prefixes abandoned")
		}
		checkOnePerClass(t, naive, reduced, plainKey)
		if len(naive) <= 1500 {
			checkInvariant(t, sc, classesOf(naive, plainKey))
		}
	})
}

// sameFindings: two explorations found the same anomalies, each with the
// same simplest counterexample.
func sameFindings(t require.TestingT, want, got *engine.ExploreResult, msg string) {
	require.Equal(t, want.StaleSchedules > 0, got.StaleSchedules > 0, msg)
	require.Equal(t, slices.Sorted(maps.Keys(want.Anomalies)), slices.Sorted(maps.Keys(got.Anomalies)), msg)
	require.Equal(t, want.Counterexample, got.Counterexample, msg)
	require.Equal(t, want.Counterexamples, got.Counterexamples, msg)
}

// TestReducedFindsWhatNaiveFinds (T3): on generated scenarios and on every
// preset small enough, the reduced search finds the anomalies the naive
// one finds, each with the same counterexample (the fewest preemptions,
// then steps, then names).
func TestReducedFindsWhatNaiveFinds(t *testing.T) {
	for _, p := range smallPresets(t) {
		naive := explore(t, p.Scenario, engine.ExploreOptions{NoReduction: true})
		sameFindings(t, naive, explore(t, p.Scenario, engine.ExploreOptions{}), p.Name)
	}
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		naive, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true, Limit: 20000})
		require.NoError(t, err)
		if !naive.Complete {
			t.Skip("too many schedules")
		}
		reduced, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{})
		require.NoError(t, err)
		sameFindings(t, naive, reduced, "")
	})
}

// genSymmetric draws a generated scenario and gives some of its actors
// one or two twins: actors with the same program under another name.
func genSymmetric(t *rapid.T) *engine.Scenario {
	sc := genScenario(t)
	n := len(sc.Actors)
	for i := range n {
		for c := range rapid.IntRange(0, 2).Draw(t, fmt.Sprintf("twins-%d", i)) {
			twin := sc.Actors[i]
			twin.Name = fmt.Sprintf("%s-twin%d", twin.Name, c+1)
			sc.Actors = append(sc.Actors, twin)
		}
	}
	return sc
}

// twins groups the actors of sc that renaming may swap: same program, no
// lease (a lease token names its actor).
func twins(sc *engine.Scenario) [][]int {
	var groups [][]int
	placed := make([]bool, len(sc.Actors))
	for i, a := range sc.Actors {
		if placed[i] || slices.ContainsFunc(a.Steps, leaseStep) {
			continue
		}
		g := []int{i}
		for j := i + 1; j < len(sc.Actors); j++ {
			if !placed[j] && reflect.DeepEqual(a.Steps, sc.Actors[j].Steps) {
				g, placed[j] = append(g, j), true
			}
		}
		if len(g) > 1 {
			groups = append(groups, g)
		}
	}
	return groups
}

func leaseStep(st engine.Step) bool {
	switch st.Op {
	case engine.OpLeaseGet, engine.OpLeaseSet, engine.OpLeaseDel:
		return true
	case engine.OpIf:
		return slices.ContainsFunc(st.Then, leaseStep) || slices.ContainsFunc(st.Else, leaseStep)
	}
	return false
}

// orbitKey is the least trace key over the renamings of identical actors:
// the same for the classes renaming maps onto each other.
func orbitKey(groups [][]int, parts int) func(engine.Leaf) string {
	var renames [][]int
	var rec func(g int, rename []int)
	rec = func(g int, rename []int) {
		if g == len(groups) {
			renames = append(renames, slices.Clone(rename))
			return
		}
		for _, perm := range permutations(groups[g]) {
			for k, p := range groups[g] {
				rename[p] = perm[k]
			}
			rec(g+1, rename)
		}
	}
	id := make([]int, parts)
	for p := range id {
		id[p] = p
	}
	rec(0, id)
	return func(l engine.Leaf) string {
		best := ""
		for _, r := range renames {
			if k := traceKey(l, r); best == "" || k < best {
				best = k
			}
		}
		return best
	}
}

func permutations(s []int) [][]int {
	if len(s) <= 1 {
		return [][]int{slices.Clone(s)}
	}
	var out [][]int
	for i := range s {
		rest := append(slices.Clone(s[:i]), s[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]int{s[i]}, p...))
		}
	}
	return out
}

// TestSymmetryRunsOnePerOrbit (T1 with symmetry): on generated scenarios
// with identical actors, the reduced search runs exactly one schedule per
// orbit (the classes renaming identical actors maps onto each other,
// counted by brute force), and abandons no prefix under optimal DPOR.
func TestSymmetryRunsOnePerOrbit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genSymmetric(t)
		groups := twins(sc)
		if len(groups) == 0 {
			t.Skip("no identical actors")
		}
		naive, nres, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoReduction: true, Limit: 2000})
		require.NoError(t, err)
		if !nres.Complete {
			t.Skip("too many schedules")
		}
		reduced, res, err := engine.ExploreLeaves(sc, engine.ExploreOptions{})
		require.NoError(t, err)
		require.True(t, res.Complete)
		require.True(t, strings.HasSuffix(res.Reduction, "+symmetry"), res.Reduction)
		if res.Reduction == "optimal-dpor+symmetry" {
			require.Zero(t, res.Pruned, "prefixes abandoned")
		}
		checkOnePerClass(t, naive, reduced, orbitKey(groups, len(sc.Actors)+1))
	})
}

// TestSymmetryFindsWhatNaiveFinds (T3 with symmetry): on generated
// scenarios with identical actors, the reduced search finds the anomalies
// the naive one finds, each with the same counterexample.
func TestSymmetryFindsWhatNaiveFinds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genSymmetric(t)
		naive, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true, Limit: 5000})
		require.NoError(t, err)
		if !naive.Complete {
			t.Skip("too many schedules")
		}
		reduced, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{})
		require.NoError(t, err)
		sameFindings(t, naive, reduced, reduced.Reduction)
	})
}

// preemptionsOf counts a leaf's preemptions.
func preemptionsOf(sc *engine.Scenario, l engine.Leaf) int {
	names := make([]string, len(l.Path))
	for i, p := range l.Path {
		names[i] = "clock"
		if p < len(sc.Actors) {
			names[i] = sc.Actors[p].Name
		}
	}
	return engine.Preemptions(names)
}

// TestBoundedCountsClasses (T1, T3 under a bound): with a preemption bound
// K and the reduction on, the search runs one schedule per class (per
// orbit, with symmetry) that has a schedule with at most K preemptions,
// counted by brute force from the naive search's schedules, and finds
// every anomaly the naive bounded search finds, with the same
// counterexample; for K = 0, 1, 2, on generated scenarios with and without
// identical actors.
func TestBoundedCountsClasses(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genSymmetric(t)
		naive, nres, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoReduction: true, Limit: 3000})
		require.NoError(t, err)
		if !nres.Complete {
			t.Skip("too many schedules")
		}
		for _, sym := range []bool{false, true} {
			key := plainKey
			if groups := twins(sc); sym && len(groups) > 0 {
				key = orbitKey(groups, len(sc.Actors)+1)
			}
			fewest := map[string]int{}
			for k, ls := range classesOf(naive, key) {
				fewest[k] = math.MaxInt
				for _, l := range ls {
					fewest[k] = min(fewest[k], preemptionsOf(sc, l))
				}
			}
			for bound := range 3 {
				want := 0
				for _, f := range fewest {
					if f <= bound {
						want++
					}
				}
				opts := engine.ExploreOptions{Bounded: true, MaxPreemptions: bound, NoSymmetry: !sym}
				nopts := opts
				nopts.NoReduction, nopts.NoSymmetry = true, false
				nb, err := engine.Explore(context.Background(), sc, nopts)
				require.NoError(t, err)
				for _, tree := range []bool{false, true} {
					msg := fmt.Sprintf("bound %d, symmetry %v, bounded tree %v", bound, sym, tree)
					leaves, res, err := engine.ExploreLeavesOn(sc, opts, &tree)
					require.NoError(t, err)
					require.Equal(t, int64(want), res.SchedulesRun, "classes in the bound: %s", msg)
					require.Len(t, classesOf(leaves, key), want, "each once: %s", msg)
					sameFindings(t, nb, res, msg)
				}
			}
		}
	})
}

// TestEstimate (T6): the estimate of a search's size falls within 35% of
// the schedules it runs, for the reduced search (classes), the naive one
// and the bounded one; with symmetry (orbits, whose weight is uneven),
// within a factor of two. The same options give the same estimate.
func TestEstimate(t *testing.T) {
	for _, c := range []struct {
		sc     *engine.Scenario
		opts   engine.ExploreOptions
		lo, hi float64 // of the ratio estimate/schedules
	}{
		{cacheAsideN(4, false), engine.ExploreOptions{NoSymmetry: true}, 0.65, 1.35},
		{cacheAsideN(3, false), engine.ExploreOptions{NoReduction: true}, 0.65, 1.35},
		{cacheAsideN(5, false), engine.ExploreOptions{NoReduction: true, Bounded: true, MaxPreemptions: 2}, 0.65, 1.35},
		{cacheAsideN(5, false), engine.ExploreOptions{}, 0.5, 2},
	} {
		ex, err := engine.NewExplorer(c.sc, c.opts)
		require.NoError(t, err)
		est, err := ex.Estimate(context.Background())
		require.NoError(t, err)
		res, err := ex.Run(context.Background())
		require.NoError(t, err)
		require.Equal(t, strings.HasSuffix(res.Reduction, "+symmetry"), est.Rough)
		ratio := est.Schedules / float64(res.SchedulesRun+res.Uncounted)
		require.True(t, ratio >= c.lo && ratio <= c.hi, "%s %+v: %+v for %d", c.sc.Name, c.opts, est, res.SchedulesRun+res.Uncounted)
		require.Positive(t, est.Walks)
		again, err := ex.Estimate(context.Background())
		require.NoError(t, err)
		require.Equal(t, est, again)
	}
	ex, err := engine.NewExplorer(cacheAsideN(2, false), engine.ExploreOptions{Mode: engine.Random, Samples: 5})
	require.NoError(t, err)
	_, err = ex.Estimate(context.Background())
	require.ErrorIs(t, err, engine.ErrNoEstimate)
}

// TestShrink (T7): random and PCT counterexamples are shrunk: each serves
// a read of its anomaly when replayed as `racetape run --schedule` does
// (go-redis over RESP), has no more preemptions and steps than the one
// found (NoShrink), and is a fixpoint: shrinking it again changes nothing.
// Seed-matrix's first cell goes from about thirty preemptions to one or
// two.
func TestShrink(t *testing.T) {
	matrix, err := presets.Get("seed-matrix")
	require.NoError(t, err)
	stale, err := presets.Get("stale-set")
	require.NoError(t, err)
	for _, c := range []struct {
		sc   *engine.Scenario
		opts engine.ExploreOptions
		most int // preemptions of a shrunk counterexample
	}{
		{matrix, engine.ExploreOptions{Mode: engine.Random, Samples: 300, Seed: 1}, 2},
		{matrix, engine.ExploreOptions{Mode: engine.PCT, Samples: 300, Depth: 3, Seed: 2}, 2},
		{stale, engine.ExploreOptions{Mode: engine.Random, Samples: 200, Seed: 3}, 1},
	} {
		t.Run(fmt.Sprintf("%s-%s", c.sc.Name, c.opts.Mode), func(t *testing.T) {
			res := explore(t, c.sc, c.opts)
			found := c.opts
			found.NoShrink = true
			raw := explore(t, c.sc, found)
			require.Equal(t, slices.Sorted(maps.Keys(raw.Counterexamples)), slices.Sorted(maps.Keys(res.Counterexamples)))
			require.Equal(t, raw.SchedulesRun, res.SchedulesRun)
			for a, ce := range res.Counterexamples {
				was := raw.Counterexamples[a]
				require.True(t, ce.Preemptions < was.Preemptions || ce.Preemptions == was.Preemptions && ce.Steps <= was.Steps,
					"%s: %d preemptions, %d steps; found %d, %d", a, ce.Preemptions, ce.Steps, was.Preemptions, was.Steps)
				require.LessOrEqual(t, ce.Preemptions, c.most, "%s: %s", a, ce)
				require.Equal(t, ce.Preemptions, engine.Preemptions(ce.Schedule))
				tl, err := engine.Run(c.sc, engine.Options{Schedule: ce.Schedule})
				require.NoError(t, err)
				require.True(t, slices.ContainsFunc(tl.StaleReads(), func(r timeline.Read) bool { return r.Anomaly == a }), "%s: %s", a, ce)
			}
			require.Equal(t, res.Counterexample, res.Counterexamples[res.Counterexample.Anomaly])
			again, err := engine.ShrinkAgain(c.sc, c.opts, res)
			require.NoError(t, err)
			for a, ce := range res.Counterexamples {
				require.Equal(t, ce.Schedule, again[a], "%s: a second shrink changes nothing", a)
			}
		})
	}
}

// TestSetsOfOneValueWithOtherTTLsConflict: two SETs of the same value
// commute only when they also set the same TTL; the one that lands last
// decides whether, and when, the key expires. The reduction once let
// SET a (PX 1) and SET a (no TTL) commute, and missed the schedules where
// the key expires between two GETs.
func TestSetsOfOneValueWithOtherTTLsConflict(t *testing.T) {
	sc := &engine.Scenario{Name: "ttls", Actors: []engine.Actor{
		{Name: "p1", Steps: []engine.Step{{Op: engine.OpCacheSet, Key: "a", Value: "v", HasValue: true, TTL: ms}}},
		{Name: "p2", Steps: []engine.Step{{Op: engine.OpCacheGet, Key: "a"}, {Op: engine.OpCacheGet, Key: "a", Took: ms}}},
		{Name: "p3", Steps: []engine.Step{{Op: engine.OpCacheSet, Key: "a", Value: "v", HasValue: true}}},
	}}
	naive, nres, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoReduction: true})
	require.NoError(t, err)
	require.True(t, nres.Complete)
	reduced, res, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoSymmetry: true})
	require.NoError(t, err)
	require.True(t, res.Complete)
	checkOnePerClass(t, naive, reduced, plainKey)
}
