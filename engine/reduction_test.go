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
	"sync/atomic"
	"testing"
	"time"

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
	return foata(l, rename, func(j, k int) bool { return engine.Dependent(&l.FPs[j], &l.FPs[k]) })
}

// foata is the Foata normal form of a schedule under dep, a relation
// between its steps j < k.
func foata(l engine.Leaf, rename []int, dep func(j, k int) bool) string {
	type ev struct {
		level, who, idx int
		step            string
	}
	evs := make([]ev, len(l.Path))
	taken := map[int]int{}
	for k, p := range l.Path {
		lvl := 1
		for j := range k {
			if l.Path[j] == p || dep(j, k) {
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

// observerKey is the class of a schedule under observers, a copy of the
// rule written from its definition: two blind writes of a key (a plain
// SET, a DEL) by different actors, not ordered by time, depend on each
// other only when a later step reads the second: a cache step on the key
// that is not a SET or a delete, with no write between them that does not
// commute with the second. Two schedules with the same key read the same
// writes everywhere.
func observerKey(l engine.Leaf) string {
	fps := l.FPs
	blindKey := func(fp *engine.Footprint) string {
		if fp.All || !(fp.Info.Set || fp.Info.Del) || fp.Info.Ordered || len(fp.Info.Keys) != 1 || fp.Info.Keys[0].Access != engine.CacheWrite {
			return ""
		}
		return fp.Info.Keys[0].Key
	}
	touches := func(fp *engine.Footprint, key string, acc engine.Access) bool {
		return fp.All || slices.ContainsFunc(fp.Info.Keys, func(ka engine.KeyAccess) bool { return ka.Key == key && ka.Access&acc != 0 })
	}
	read := make([]bool, len(fps))
	for j := range fps {
		key := blindKey(&fps[j])
		for k := j + 1; key != "" && k < len(fps); k++ {
			fp := &fps[k]
			if touches(fp, key, engine.CacheWrite) && engine.Dependent(&fps[j], fp) && (fp.All || fp.Info.Set || fp.Info.Del) {
				break // overwritten
			}
			if touches(fp, key, engine.CacheRead|engine.CacheWrite) && (fp.All || !fp.Info.Set && !fp.Info.Del) {
				read[j] = true
				break
			}
		}
	}
	return foata(l, nil, func(j, k int) bool {
		a, b := &fps[j], &fps[k]
		if !engine.Dependent(a, b) {
			return false
		}
		ka, kb := blindKey(a), blindKey(b)
		timed := (a.Info.Timed || b.Info.Timed) && (a.Info.Took > 0 || b.Info.Took > 0)
		return read[k] || ka == "" || ka != kb || timed
	})
}

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

// checkEveryClass: the reduced leaves cover every class of the naive
// leaves (by key), and are in no other; it returns how many classes were
// explored more than once.
func checkEveryClass(t require.TestingT, naive, reduced []engine.Leaf, key func(engine.Leaf) string) (twice int) {
	want := classesOf(naive, key)
	got := classesOf(reduced, key)
	for k, ls := range got {
		require.Contains(t, want, k, "a reduced schedule %v in no naive class", ls[0].Path)
		if len(ls) > 1 {
			twice++
		}
	}
	for k, ls := range want {
		require.Contains(t, got, k, "class of %v not explored", ls[0].Path)
	}
	return twice
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
		reduced, res, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoSymmetry: true, NoObservers: true})
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

// TestObserversRunOnePerClass (T1, T2 with observers): on generated
// scenarios, the reduced search with observers runs at least one schedule
// of each observer class of the naive search (classes counted by brute
// force) and one of few others, abandons no prefix, and every schedule of
// an observer class gets the same verdicts and anomalies.
func TestObserversRunOnePerClass(t *testing.T) {
	var all, dups, fewer atomic.Int64
	rapid.Check(t, func(t *rapid.T) {
		sc := genBlind(t)
		naive, nres, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoReduction: true, Limit: 5000})
		require.NoError(t, err)
		if !nres.Complete {
			t.Skip("too many schedules")
		}
		reduced, res, err := engine.ExploreLeaves(sc, engine.ExploreOptions{NoSymmetry: true})
		require.NoError(t, err)
		require.True(t, res.Complete)
		if res.Reduction != "optimal-dpor+observers" {
			t.Skip(res.Reduction)
		}
		require.Zero(t, res.Pruned, "prefixes abandoned")
		classes := classesOf(naive, observerKey)
		twice := checkEveryClass(t, naive, reduced, observerKey)
		dups.Add(int64(twice))
		all.Add(int64(len(classes)))
		fewer.Add(int64(len(classesOf(naive, plainKey)) - len(reduced)))
		if len(naive) <= 1500 {
			checkInvariant(t, sc, classes)
		}
	})
	t.Logf("observer classes %d, explored twice %d; %d schedules fewer than Mazurkiewicz traces", all.Load(), dups.Load(), fewer.Load())
}

// genBlind draws a generated scenario, and sometimes adds actors that
// only write the cache blindly (plain SETs of distinct values, DELs), so
// that observers have writes to let go in either order.
func genBlind(t *rapid.T) *engine.Scenario {
	sc := genScenario(t)
	for i := range rapid.IntRange(0, 2).Draw(t, "blind-actors") {
		a := engine.Actor{Name: fmt.Sprintf("b%d", i+1)}
		for j := range rapid.IntRange(1, 2).Draw(t, fmt.Sprintf("b%d-steps", i)) {
			l := fmt.Sprintf("b%d-%d-", i, j)
			st := engine.Step{Op: engine.OpCacheDel, Key: rapid.SampledFrom([]string{"a", "b"}).Draw(t, l+"key"), Took: rapid.SampledFrom([]time.Duration{0, ms}).Draw(t, l+"took")}
			if rapid.Bool().Draw(t, l+"set") {
				st.Op, st.Value, st.HasValue = engine.OpCacheSet, fmt.Sprintf("s%d.%d", i, j), true
			}
			a.Steps = append(a.Steps, st)
		}
		sc.Actors = append(sc.Actors, a)
	}
	return sc
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
// then steps, then names). The reduction is the default one: symmetry
// where actors are identical, observers where none are; the generated
// scenarios get actors that write blindly.
func TestReducedFindsWhatNaiveFinds(t *testing.T) {
	for _, p := range smallPresets(t) {
		naive := explore(t, p.Scenario, engine.ExploreOptions{NoReduction: true})
		sameFindings(t, naive, explore(t, p.Scenario, engine.ExploreOptions{}), p.Name)
		// Observers on every preset, identical actors or not.
		sameFindings(t, naive, explore(t, p.Scenario, engine.ExploreOptions{NoSymmetry: true}), p.Name+" observers")
		sameFindings(t, naive, explore(t, p.Scenario, engine.ExploreOptions{NoSymmetry: true, NoObservers: true}), p.Name+" traces")
	}
	rapid.Check(t, func(t *rapid.T) {
		sc := genBlind(t)
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
// within a factor of two; with observers (classes the walks do not see
// merged), within a factor of two as well. The same options give the same
// estimate.
func TestEstimate(t *testing.T) {
	for _, c := range []struct {
		sc     *engine.Scenario
		opts   engine.ExploreOptions
		lo, hi float64 // of the ratio estimate/schedules
	}{
		{cacheAsideN(4, false), engine.ExploreOptions{NoSymmetry: true, NoObservers: true}, 0.65, 1.35},
		{cacheAsideN(4, false), engine.ExploreOptions{NoSymmetry: true}, 1, 2},
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
		require.Equal(t, strings.HasSuffix(res.Reduction, "+observers"), est.Upper)
		if est.Upper {
			require.True(t, strings.HasPrefix(est.ETA(1, time.Second), "≤"), est.ETA(1, time.Second))
			require.True(t, strings.HasPrefix(est.String(), "at most ~"), est.String())
		}
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

// TestETAText: the ETA is the time left at the rate so far; "?" while the
// estimate is unsure or passed; and a search that would outlast a century
// says so, where the arithmetic once overflowed into "-47:-16" (seed-matrix
// within one preemption, ~8.5e20 schedules).
func TestETAText(t *testing.T) {
	est := engine.Estimate{Schedules: 1000, RelError: 0.1}
	require.Equal(t, "0:09", est.ETA(100, time.Second))
	require.Equal(t, "1:00:00", engine.Estimate{Schedules: 3601, RelError: 0.1}.ETA(1, time.Second))
	require.Equal(t, "?", est.ETA(0, time.Second))
	require.Equal(t, "?", est.ETA(2000, time.Second))
	require.Equal(t, "?", engine.Estimate{Schedules: 1000, RelError: 0.6}.ETA(100, time.Second))
	huge := engine.Estimate{Schedules: 8.5e20, RelError: 0.19}
	require.Equal(t, "over a century", huge.ETA(674556, 10*time.Second))
	huge.Upper = true
	require.Equal(t, "?", huge.ETA(674556, 10*time.Second), "a bound that large says nothing")
}

// TestEstimateWhenEveryWalkBlocks: on double-delete every random walk of
// the sleep-set tree ends with the actors asleep (sleeps commute with
// everything), which once gave an estimate of 0. The estimate is then of
// the search without the reduction, marked as an upper bound.
func TestEstimateWhenEveryWalkBlocks(t *testing.T) {
	p, err := presets.Get("double-delete")
	require.NoError(t, err)
	ex, err := engine.NewExplorer(p, engine.ExploreOptions{})
	require.NoError(t, err)
	est, err := ex.Estimate(context.Background())
	require.NoError(t, err)
	res, err := ex.Run(context.Background())
	require.NoError(t, err)
	require.True(t, est.Unreduced && est.Upper, "%+v", est)
	require.Greater(t, est.Schedules, float64(res.SchedulesRun))
	require.True(t, strings.HasPrefix(est.String(), "at most ~"), est.String())
}
