package engine_test

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// The oracle is checked against references written independently of it:
// a brute-force reading of the strict and bounded definitions, instant by
// instant, and porcupine's linearizability checker for the linearizable
// model. Each check counts the histories it compared; run with -v to see
// the numbers.

// bruteStale decides a read by the words of DESIGN.md: the values
// committed at an instant t are the values of the commits at t, or, when
// none lands at t, the value of the last commit before t (a seed row is
// there before every instant; no row reads as ""). The read is stale when
// its value is none of them at any instant of [from, end]. Instants are
// tried on a grid fine enough to hold every commit instant and a point
// between each two.
func bruteStale(commits []timeline.Commit, key, served string, from, end time.Duration) bool {
	var hist []timeline.Commit
	for _, c := range commits {
		if c.Key == key {
			hist = append(hist, c)
		}
	}
	points := []time.Duration{from, end}
	for _, c := range hist {
		if !c.Seed && c.At >= from && c.At <= end {
			points = append(points, c.At)
		}
	}
	slices.Sort(points)
	points = slices.Compact(points)
	for i, n := 0, len(points); i+1 < n; i++ {
		points = append(points, points[i]+(points[i+1]-points[i])/2)
	}
	for _, t := range points {
		var at []string
		before := ""
		for _, c := range hist {
			switch {
			case c.Seed || c.At < t:
				before = c.Value
			case c.At == t:
				at = append(at, c.Value)
			}
		}
		if len(at) == 0 {
			at = []string{before}
		}
		if slices.Contains(at, served) {
			return false
		}
	}
	return true
}

// porcupineLinearizable asks porcupine whether key's reads and write
// operations, from the seed row on, form a linearizable register history
// in which the writes keep their commit order (a write is accepted only
// with a higher version than the last). porcupine orders a call before a
// return at the same instant, so closed intervals that touch overlap, as
// racetape's model says.
func porcupineLinearizable(tl *timeline.Timeline, key string) bool {
	type reg struct {
		value   string
		version int
	}
	type write struct {
		value   string
		version int
	}
	init := reg{}
	for _, c := range tl.Commits {
		if c.Key == key && c.Seed {
			init = reg{c.Value, c.Version}
		}
	}
	model := porcupine.Model{
		Init: func() any { return init },
		Step: func(state, input, output any) (bool, any) {
			st := state.(reg)
			if input == nil {
				return output.(string) == st.value, st
			}
			w := input.(write)
			return w.version > st.version, reg{w.value, w.version}
		},
		Equal: func(a, b any) bool { return a == b },
	}
	var ops []porcupine.Operation
	for _, w := range tl.Operations {
		if w.Key == key {
			ops = append(ops, porcupine.Operation{ClientId: len(ops), Input: write{w.Value, w.Version}, Call: int64(w.Start), Return: int64(w.End)})
		}
	}
	for _, r := range tl.Reads {
		if r.Key == key {
			ops = append(ops, porcupine.Operation{ClientId: len(ops), Input: nil, Output: r.Served, Call: int64(r.Start), Return: int64(r.End)})
		}
	}
	return porcupine.CheckOperations(model, ops)
}

// A crossCheck compares one model's verdicts with a reference and counts.
type crossCheck struct {
	cons      engine.Consistency
	histories atomic.Int64 // reads (strict, bounded) or keys (linearizable) compared
	disagreed atomic.Int64
}

// check compares tl's verdicts with the reference; it returns a message
// for the first disagreement, or "".
func (c *crossCheck) check(tl *timeline.Timeline) string {
	if c.cons.Model == engine.Linearizable {
		keys := map[string]bool{}
		for _, r := range tl.Reads {
			keys[r.Key] = true
		}
		for k := range keys {
			c.histories.Add(1)
			blamed := false
			for _, r := range tl.Reads {
				blamed = blamed || (r.Key == k && r.Stale)
				if r.Stale && r.Source == timeline.SourceDB && r.Anomaly != timeline.NewOldInversion && !committedAtItsEnd(tl, r) {
					// The database serves the latest commit: alone with the
					// writes such a read is linearizable unless a commit
					// landed at its very instant, after it.
					return "a database read blamed as " + string(r.Anomaly) + ", not as an inversion, with no commit at its end"
				}
			}
			if lin := porcupineLinearizable(tl, k); lin == blamed {
				c.disagreed.Add(1)
				return "key " + k + ": porcupine and racetape disagree"
			}
		}
		return ""
	}
	for _, r := range tl.Reads {
		c.histories.Add(1)
		from := r.Start
		if c.cons.Model == engine.Bounded {
			from -= c.cons.Bound
		}
		if want := bruteStale(tl.Commits, r.Key, r.Served, from, r.End); want != r.Stale {
			c.disagreed.Add(1)
			return "read of " + r.Key + " by " + r.Actor + ": brute force and racetape disagree"
		}
	}
	return ""
}

var models = []engine.Consistency{
	{},
	{Model: engine.Bounded, Bound: ms},
	{Model: engine.Bounded, Bound: 3 * ms},
	{Model: engine.Linearizable},
}

// TestOracleAgreesWithReferences runs every preset, generated scenarios
// (timed and along random schedules) and grid histories under each model
// and compares every verdict with the reference.
func TestOracleAgreesWithReferences(t *testing.T) {
	for _, cons := range models {
		t.Run(cons.String(), func(t *testing.T) {
			c := &crossCheck{cons: cons}
			runs := 0
			judge := func(t require.TestingT, sc *engine.Scenario, schedule []string) {
				tl, err := engine.Run(judgedBy(sc, cons), engine.Options{Schedule: schedule, NoStates: true, Direct: true})
				require.NoError(t, err)
				runs++
				if msg := c.check(tl); msg != "" {
					require.Fail(t, msg, "scenario %s schedule %v\nreads %+v\ncommits %+v\noperations %+v", sc.Name, schedule, tl.Reads, tl.Commits, tl.Operations)
				}
			}
			for _, p := range presets.All() {
				judge(t, p.Scenario, nil)
				if p.Name != "seed-matrix" {
					for _, s := range randomSchedules(t, p.Scenario, 20, rand.New(rand.NewPCG(5, 6))) {
						judge(t, p.Scenario, s)
					}
				}
			}
			rapid.Check(t, func(t *rapid.T) {
				sc := genScenario(t)
				judge(t, sc, nil)
				rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
				for _, s := range randomSchedules(t, sc, 10, rng) {
					judge(t, sc, s)
				}
			})
			t.Logf("%s: %d runs, %d histories compared, %d disagreements", cons, runs, c.histories.Load(), c.disagreed.Load())
		})
	}
}

// TestOracleEdgesAgreeWithBruteForce draws histories on a coarse grid, so
// that commits land exactly on reads' start and end instants, several at
// one instant, and checks engine.IsStale and Current against the brute
// force read by read.
func TestOracleEdgesAgreeWithBruteForce(t *testing.T) {
	n := 0
	rapid.Check(t, func(t *rapid.T) {
		values := []string{"A", "B", "C"}
		var hist []timeline.Commit
		if rapid.Bool().Draw(t, "seeded") {
			hist = append(hist, timeline.Commit{Key: "k", Value: "S", Seed: true, Event: -1})
		}
		at := time.Duration(0)
		for i, k := 0, rapid.IntRange(0, 5).Draw(t, "commits"); i < k; i++ {
			at += time.Duration(rapid.IntRange(0, 2).Draw(t, "gap")) * ms
			hist = append(hist, timeline.Commit{Key: "k", Value: rapid.SampledFrom(values).Draw(t, "value"), At: at})
		}
		s := time.Duration(rapid.IntRange(0, 5).Draw(t, "start")) * ms
		e := s + time.Duration(rapid.IntRange(0, 2).Draw(t, "len"))*ms
		for _, served := range []string{"", "S", "A", "B", "C"} {
			n++
			want := bruteStale(hist, "k", served, s, e)
			if got := engine.IsStale(hist, served, s, e); got != want {
				t.Fatalf("served %q over [%v, %v]: oracle stale=%v, brute force %v\ncommits %+v", served, s, e, got, want, hist)
			}
			if got := !slices.Contains(engine.Current(hist, s, e), served); got != want {
				t.Fatalf("served %q over [%v, %v]: Current says stale=%v, brute force %v\ncommits %+v", served, s, e, got, want, hist)
			}
		}
	})
	t.Logf("%d reads compared", n)
}

// TestStrictImpliesLinearizable: a run correct under strict is correct
// under linearizable (and under bounded:D), on generated scenarios and
// random schedules.
func TestStrictImpliesLinearizable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		for _, s := range append(randomSchedules(t, sc, 5, rng), nil) {
			strict, err := engine.Run(sc, engine.Options{Schedule: s, NoStates: true, Direct: true})
			require.NoError(t, err)
			for _, cons := range models[1:] {
				other, err := engine.Run(judgedBy(sc, cons), engine.Options{Schedule: s, NoStates: true, Direct: true})
				require.NoError(t, err)
				for i, r := range other.Reads {
					if r.Stale && !strict.Reads[i].Stale {
						t.Fatalf("%s blames read %d (%+v), strict does not", cons, i, r)
					}
				}
			}
		}
	})
}

// judgedBy returns a copy of sc judged by cons.
func judgedBy(sc *engine.Scenario, cons engine.Consistency) *engine.Scenario {
	c := *sc
	c.Consistency = cons
	return &c
}

// TestJSONAloneGivesTheVerdict: a run exported as JSON and judged again
// from the JSON alone (seeds, commits, operations, reads, model) gets the
// same verdict on every read, under every model.
func TestJSONAloneGivesTheVerdict(t *testing.T) {
	n := 0
	check := func(t require.TestingT, sc *engine.Scenario, schedule []string) {
		for _, cons := range models {
			tl, err := engine.Run(judgedBy(sc, cons), engine.Options{Schedule: schedule, NoStates: true, Direct: true})
			require.NoError(t, err)
			run, err := timeline.ParseJSON(tl.JSON())
			require.NoError(t, err)
			got, err := engine.JudgeJSON(run)
			require.NoError(t, err)
			for i, r := range tl.Reads {
				n++
				require.Equal(t, r.Stale, got[i], "%s: read %d of %s, schedule %v", cons, i, sc.Name, schedule)
			}
		}
	}
	for _, p := range presets.All() {
		check(t, p.Scenario, nil)
	}
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		check(t, sc, nil)
		for _, s := range randomSchedules(t, sc, 3, rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))) {
			check(t, sc, s)
		}
	})
	t.Logf("%d reads judged again from JSON", n)
}

// committedAtItsEnd says another value of r's key was committed at the
// very instant r's db.read ended.
func committedAtItsEnd(tl *timeline.Timeline, r timeline.Read) bool {
	for _, s := range r.Events {
		e := tl.Events[s]
		if e.Op != "db.read" {
			continue
		}
		for _, c := range tl.Commits {
			if c.Key == r.Key && !c.Seed && c.At == e.End && c.Value != r.Served {
				return true
			}
		}
	}
	return false
}
