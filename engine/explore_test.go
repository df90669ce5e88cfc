package engine_test

import (
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// brute is the exhaustive search done the obvious way, independently of
// the explorer: from every prefix, reset a runner, replay the prefix, ask
// which actors can move, and recurse on each.
type brute struct {
	runs, stale int
	// by preemptions: schedules and stale schedules
	runsBy, staleBy map[int]int
	best            []string // the stale schedule with the fewest preemptions, then steps, then names
	bestPre         int
}

func bruteForce(t require.TestingT, sc *engine.Scenario, limit int) (*brute, bool) {
	r, err := engine.NewRunner(sc, engine.Options{Direct: true})
	require.NoError(t, err)
	defer r.Close()
	names := func(p int) string {
		if p == engine.ClockIndex {
			return "clock"
		}
		return sc.Actors[p].Name
	}
	b := &brute{runsBy: map[int]int{}, staleBy: map[int]int{}}
	var rec func(prefix []int, pre, last int) bool
	rec = func(prefix []int, pre, last int) bool {
		require.NoError(t, r.Reset())
		for _, p := range prefix {
			_, err := r.Step(p)
			require.NoError(t, err)
		}
		en := r.Enabled()
		if len(en) == 0 {
			b.runs++
			b.runsBy[pre]++
			if n, err := r.StaleCount(); err != nil || n > 0 {
				b.stale++
				b.staleBy[pre]++
				var sched []string
				for _, p := range prefix {
					sched = append(sched, names(p))
				}
				if b.best == nil || pre < b.bestPre || pre == b.bestPre && (len(sched) < len(b.best) || len(sched) == len(b.best) && slices.Compare(sched, b.best) < 0) {
					b.best, b.bestPre = sched, pre
				}
			}
			return b.runs < limit
		}
		for _, p := range en {
			np, nl := pre, last
			if p != engine.ClockIndex {
				if last >= 0 && p != last && slices.Contains(en, last) {
					np++
				}
				nl = p
			}
			if !rec(append(slices.Clip(prefix), p), np, nl) {
				return false
			}
		}
		return true
	}
	return b, rec(nil, 0, -1)
}

// TestNaiveCountsMatchBruteForce checks the naive search's exact counts and
// its counterexample against the brute-force enumerator, on generated
// scenarios; and that the reduced search finds a stale schedule iff the
// naive one does, with the same counterexample.
func TestNaiveCountsMatchBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		want, complete := bruteForce(t, sc, 20000)
		if !complete {
			t.Skip("too many schedules")
		}
		naive, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true})
		require.NoError(t, err)
		require.Equal(t, int64(want.runs), naive.SchedulesRun, "schedules")
		require.Equal(t, int64(want.stale), naive.StaleSchedules, "stale schedules")
		reduced, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{})
		require.NoError(t, err)
		require.LessOrEqual(t, reduced.SchedulesRun, naive.SchedulesRun)
		require.Equal(t, want.stale > 0, reduced.StaleSchedules > 0, "reduced finds stale iff naive does")
		for _, res := range []*engine.ExploreResult{naive, reduced} {
			if want.best == nil {
				require.Nil(t, res.Counterexample)
				continue
			}
			require.NotNil(t, res.Counterexample)
			require.Equal(t, want.best, res.Counterexample.Schedule, "%s counterexample", res.Reduction)
			require.Equal(t, want.bestPre, res.Counterexample.Preemptions)
		}
		for k := range 3 {
			runs, stale := 0, 0
			for pre := range k + 1 {
				runs += want.runsBy[pre]
				stale += want.staleBy[pre]
			}
			res, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true, Bounded: true, MaxPreemptions: k})
			require.NoError(t, err)
			require.Equal(t, int64(runs), res.SchedulesRun, "schedules with at most %d preemptions", k)
			require.Equal(t, int64(stale), res.StaleSchedules, "stale schedules with at most %d preemptions", k)
			if want.best != nil && want.bestPre <= k {
				require.Equal(t, want.best, res.Counterexample.Schedule)
			} else {
				require.Nil(t, res.Counterexample)
			}
		}
	})
}

// smallPresets are the presets whose naive search is small enough for a
// test (double-delete has about 10^11 schedules; seed-matrix more).
func smallPresets(t *testing.T) []presets.Preset {
	var out []presets.Preset
	for _, p := range presets.All() {
		if p.Name != "double-delete" && p.Name != "seed-matrix" {
			out = append(out, p)
		}
	}
	require.GreaterOrEqual(t, len(out), 9)
	return out
}

func explore(t testing.TB, sc *engine.Scenario, opts engine.ExploreOptions) *engine.ExploreResult {
	t.Helper()
	res, err := engine.Explore(context.Background(), sc, opts)
	require.NoError(t, err)
	return res
}

// TestReductionSoundOnPresets: on every preset small enough for the naive
// search, the reduced search runs fewer schedules (or as many), finds a
// stale schedule iff the naive one does, and reports the same
// counterexample; and the naive counts are the brute force's.
func TestReductionSoundOnPresets(t *testing.T) {
	for _, p := range smallPresets(t) {
		t.Run(p.Name, func(t *testing.T) {
			naive := explore(t, p.Scenario, engine.ExploreOptions{NoReduction: true})
			reduced := explore(t, p.Scenario, engine.ExploreOptions{})
			require.True(t, naive.Complete)
			require.Equal(t, "none", naive.Reduction)
			if strings.HasPrefix(reduced.Reduction, "optimal-dpor") {
				require.Zero(t, reduced.Pruned, "no prefix abandoned")
			} else {
				require.True(t, strings.HasPrefix(reduced.Reduction, "sleep-sets"), "a key can expire: %s", reduced.Reduction)
			}
			require.LessOrEqual(t, reduced.SchedulesRun, naive.SchedulesRun)
			require.Equal(t, naive.StaleSchedules > 0, reduced.StaleSchedules > 0)
			require.Equal(t, naive.Counterexample, reduced.Counterexample)
			if naive.SchedulesRun <= 2000 {
				want, complete := bruteForce(t, p.Scenario, 2000)
				require.True(t, complete)
				require.Equal(t, int64(want.runs), naive.SchedulesRun)
				require.Equal(t, int64(want.stale), naive.StaleSchedules)
			}
		})
	}
}

// TestReductionReduces: the reduction pays where the design says it should.
func TestReductionReduces(t *testing.T) {
	sc := cacheAsideN(3, true)
	naive := explore(t, sc, engine.ExploreOptions{NoReduction: true})
	reduced := explore(t, sc, engine.ExploreOptions{})
	require.Equal(t, int64(1590), naive.SchedulesRun)
	require.GreaterOrEqual(t, naive.SchedulesRun, 20*reduced.SchedulesRun, "reduced: %d", reduced.SchedulesRun)
	require.Equal(t, naive.Counterexample, reduced.Counterexample)

	// Two independent halves: double-delete's naive search is out of reach.
	dd, err := presets.Get("double-delete")
	require.NoError(t, err)
	res := explore(t, dd, engine.ExploreOptions{})
	require.True(t, res.Complete)
	require.Less(t, res.SchedulesRun, int64(5000))
	require.Contains(t, res.Anomalies, timeline.LostInvalidation)
}

// TestCounterexampleReplays: the counterexample, run through `run`'s path
// (go-redis over RESP, full record), serves the stale read it promises.
func TestCounterexampleReplays(t *testing.T) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			opts := engine.ExploreOptions{}
			if p.Name == "seed-matrix" {
				opts = engine.ExploreOptions{Mode: engine.Random, Samples: 50, Seed: 7}
			}
			res := explore(t, p.Scenario, opts)
			require.NotNil(t, res.Counterexample, "every preset has a stale schedule")
			ce := res.Counterexample
			names, err := engine.ParseSchedule(ce.String())
			require.NoError(t, err)
			require.Equal(t, ce.Schedule, names)
			tl, err := engine.Run(p.Scenario, engine.Options{Schedule: names})
			require.NoError(t, err)
			require.NotEmpty(t, tl.StaleReads())
			require.Equal(t, ce.Anomaly, tl.StaleReads()[0].Anomaly)
			require.Equal(t, ce.StaleReads, len(tl.StaleReads()))
			require.Equal(t, ce.Preemptions, engine.Preemptions(names))
			require.Equal(t, ce.Steps, len(names))
		})
	}
}

// TestDeterministic (T5): the same exploration gives byte-identical JSON
// for 1, 2 and 4 workers and GOMAXPROCS 1 and 4, in every mode (optimal
// DPOR with and without symmetry, sleep sets, bounded with the reduction,
// naive, random and PCT with shrinking), with and without a limit that
// stops the search part-way.
func TestDeterministic(t *testing.T) {
	stale, err := presets.Get("stale-set")
	require.NoError(t, err)
	matrix, err := presets.GetWith("seed-matrix", presets.Params{"readers": "4", "writers": "2"})
	require.NoError(t, err)
	ttl, err := presets.Get("ttl-boundary")
	require.NoError(t, err)
	cases := []struct {
		name string
		sc   *engine.Scenario
		opts engine.ExploreOptions
	}{
		{"reduced", cacheAsideN(3, false), engine.ExploreOptions{}},
		{"no-symmetry", cacheAsideN(3, false), engine.ExploreOptions{NoSymmetry: true}},
		{"observers", writersReaders(2, 2, true), engine.ExploreOptions{NoSymmetry: true}},
		{"observers-limit", writersReaders(2, 2, true), engine.ExploreOptions{NoSymmetry: true, Limit: 300}},
		{"no-observers", writersReaders(2, 2, true), engine.ExploreOptions{NoObservers: true}},
		{"reduced-limit", cacheAsideN(4, false), engine.ExploreOptions{Limit: 300}},
		{"sleep-sets", ttl, engine.ExploreOptions{}},
		{"bounded-1", writersReaders(1, 4, false), engine.ExploreOptions{Bounded: true, MaxPreemptions: 1}},
		{"naive", stale, engine.ExploreOptions{NoReduction: true}},
		{"bounded", cacheAsideN(3, true), engine.ExploreOptions{Bounded: true, MaxPreemptions: 2}},
		{"limit", stale, engine.ExploreOptions{NoReduction: true, Limit: 300}},
		{"random", matrix, engine.ExploreOptions{Mode: engine.Random, Samples: 300, Seed: 3}},
		{"pct", matrix, engine.ExploreOptions{Mode: engine.PCT, Samples: 300, Depth: 3, Seed: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var first []byte
			for _, procs := range []int{1, 4} {
				for _, w := range []int{1, 2, 4} {
					old := runtime.GOMAXPROCS(procs)
					opts := c.opts
					opts.Workers = w
					res := explore(t, c.sc, opts)
					runtime.GOMAXPROCS(old)
					out, err := json.Marshal(res)
					require.NoError(t, err)
					if first == nil {
						first = out
						continue
					}
					require.Equal(t, string(first), string(out), "GOMAXPROCS %d, %d workers", procs, w)
				}
			}
			if strings.Contains(c.name, "limit") {
				require.Contains(t, string(first), `"complete":false`)
			}
		})
	}
}

// TestSeeds: random and PCT results are a function of the seed: the same
// seed gives the same result, and the seed changes which schedules run.
func TestSeeds(t *testing.T) {
	sc, err := presets.GetWith("seed-matrix", presets.Params{"readers": "4", "writers": "2"})
	require.NoError(t, err)
	for _, mode := range []engine.ExploreMode{engine.Random, engine.PCT} {
		t.Run(mode.String(), func(t *testing.T) {
			run := func(seed uint64) string {
				res := explore(t, sc, engine.ExploreOptions{Mode: mode, Samples: 200, Depth: 2, Seed: seed})
				require.Equal(t, int64(200), res.SchedulesRun)
				require.Equal(t, seed, *res.Seed)
				out, err := json.Marshal(res)
				require.NoError(t, err)
				return string(out)
			}
			a := run(1)
			require.Equal(t, a, run(1))
			differ := 0
			for seed := uint64(2); seed < 6; seed++ {
				if b := run(seed); b != a {
					differ++
				}
			}
			require.Positive(t, differ, "the seed makes no difference")
		})
	}
}

// TestExploreOptionsErrors: unusable options are refused before running.
func TestExploreOptionsErrors(t *testing.T) {
	sc := cacheAsideN(1, false)
	for _, opts := range []engine.ExploreOptions{
		{Mode: engine.Random},
		{Mode: engine.PCT, Samples: 10},
		{Mode: engine.Random, Samples: 10, Bounded: true},
		{Bounded: true, MaxPreemptions: -1},
		{Limit: -1},
		{Mode: engine.ExploreMode(9)},
	} {
		_, err := engine.Explore(context.Background(), sc, opts)
		require.ErrorIs(t, err, engine.ErrExploreOptions, "%+v", opts)
	}
}

func TestFormatSchedule(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"w"}, "w"},
		{[]string{"w", "r", "r", "w"}, "w r r w"},
		{[]string{"r", "r", "r", "w", "clock", "clock", "clock", "clock"}, "r*3 w clock*4"},
	} {
		got := engine.FormatSchedule(c.in)
		require.Equal(t, c.want, got)
		back, err := engine.ParseSchedule(got)
		require.NoError(t, err)
		require.Equal(t, c.in, back)
	}
}

func TestPreemptions(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"w w r r", 0},
		{"w r w r", 2},     // w preempted, then r preempted
		{"w r r w", 1},     // r finishes before w resumes
		{"w clock w r", 0}, // the clock does not interrupt
		{"w clock r w", 1},
	} {
		names, err := engine.ParseSchedule(c.in)
		require.NoError(t, err)
		require.Equal(t, c.want, engine.Preemptions(names), c.in)
	}
}

// TestLimit: a limit above the size of the tree changes nothing; one below
// runs about that many schedules and says the search is incomplete.
func TestLimit(t *testing.T) {
	for _, sc := range []*engine.Scenario{cacheAsideN(1, true), cacheAsideN(3, true)} {
		all := explore(t, sc, engine.ExploreOptions{NoReduction: true})
		res := explore(t, sc, engine.ExploreOptions{NoReduction: true, Limit: all.SchedulesRun + 1, Workers: 2})
		a, err := json.Marshal(all)
		require.NoError(t, err)
		b, err := json.Marshal(res)
		require.NoError(t, err)
		require.Equal(t, string(a), string(b))
		if all.SchedulesRun > 1000 {
			for _, limit := range []int64{1, 500, all.SchedulesRun - 1} {
				res = explore(t, sc, engine.ExploreOptions{NoReduction: true, Limit: limit, Workers: 3})
				require.False(t, res.Complete, "limit %d", limit)
				require.LessOrEqual(t, res.SchedulesRun, limit+100, "limit %d (the cut of the tree runs its shallow schedules)", limit)
				require.GreaterOrEqual(t, res.SchedulesRun, limit, "limit %d", limit)
			}
		}
	}
}

// TestProgress: an Explorer's progress ends at the result's counts.
func TestProgress(t *testing.T) {
	sc := cacheAsideN(2, false)
	ex, err := engine.NewExplorer(sc, engine.ExploreOptions{Mode: engine.Random, Samples: 300, Seed: 1, Workers: 2})
	require.NoError(t, err)
	require.Equal(t, engine.ExploreProgress{Total: 300}, ex.Progress())
	res, err := ex.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, engine.ExploreProgress{Schedules: 300, Stale: res.StaleSchedules, Total: 300}, ex.Progress())
	require.Positive(t, res.StaleSchedules)
}

// TestCancel: a cancelled exploration stops and says so.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := engine.Explore(ctx, cacheAsideN(3, false), engine.ExploreOptions{NoReduction: true, Workers: 2})
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, res.Complete)
	require.Less(t, res.SchedulesRun, int64(77436))
	for _, opts := range []engine.ExploreOptions{{}, {Bounded: true, MaxPreemptions: 2}, {Mode: engine.Random, Samples: 100000}} {
		res, err = engine.Explore(ctx, cacheAsideN(5, false), opts)
		require.ErrorIs(t, err, context.Canceled, "%+v", opts)
		require.False(t, res.Complete, "%+v", opts)
		require.Less(t, res.SchedulesRun, int64(6046), "%+v", opts)
	}
}

// TestExploreBackendsAgree: exploring on the pure-Go model of the cache
// (the default) and on miniredis's Go API gives byte-identical results, on
// every preset and on generated scenarios.
func TestExploreBackendsAgree(t *testing.T) {
	same := func(t require.TestingT, sc *engine.Scenario, opts engine.ExploreOptions) {
		model, err := engine.Explore(context.Background(), sc, opts)
		require.NoError(t, err)
		opts.Direct = true
		direct, err := engine.Explore(context.Background(), sc, opts)
		require.NoError(t, err)
		a, err := json.Marshal(model)
		require.NoError(t, err)
		b, err := json.Marshal(direct)
		require.NoError(t, err)
		require.Equal(t, string(b), string(a))
	}
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Name != "seed-matrix" {
				same(t, p.Scenario, engine.ExploreOptions{})
				same(t, p.Scenario, engine.ExploreOptions{NoReduction: true, Limit: 2000})
			}
			same(t, p.Scenario, engine.ExploreOptions{Mode: engine.Random, Samples: 100, Seed: 5})
		})
	}
	t.Run("generated", func(t *testing.T) {
		rapid.Check(t, func(t *rapid.T) {
			sc := genScenario(t)
			same(t, sc, engine.ExploreOptions{NoReduction: true, Limit: 3000})
			same(t, sc, engine.ExploreOptions{Limit: 3000})
		})
	})
}

// TestRestoreIsReplay: exploration comes back to a branch point by
// restoring a copy of the machine; at every complete schedule its state is
// the state a fresh replay of the schedule reaches, on every preset and on
// generated scenarios.
func TestRestoreIsReplay(t *testing.T) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Name != "seed-matrix" {
				require.NoError(t, engine.ExploreCheckingState(p.Scenario, engine.ExploreOptions{Limit: 300}))
				require.NoError(t, engine.ExploreCheckingState(p.Scenario, engine.ExploreOptions{NoReduction: true, Limit: 300}))
			}
		})
	}
	t.Run("generated", func(t *testing.T) {
		rapid.Check(t, func(t *rapid.T) {
			sc := genScenario(t)
			require.NoError(t, engine.ExploreCheckingState(sc, engine.ExploreOptions{NoReduction: true, Limit: 2000}))
			require.NoError(t, engine.ExploreCheckingState(sc, engine.ExploreOptions{Limit: 2000}))
		})
	})
}

// TestWorkersAgreeOnGeneratedScenarios: 1 and 3 workers give the same
// result on generated scenarios (clock ticks included).
func TestWorkersAgreeOnGeneratedScenarios(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		for _, opts := range []engine.ExploreOptions{{}, {NoObservers: true}, {NoReduction: true, Limit: 2000}} {
			one, err := engine.Explore(context.Background(), sc, opts)
			require.NoError(t, err)
			opts.Workers = 3
			three, err := engine.Explore(context.Background(), sc, opts)
			require.NoError(t, err)
			a, _ := json.Marshal(one)
			b, _ := json.Marshal(three)
			require.Equal(t, string(a), string(b))
		}
	})
}

// TestMachineAgreesWithRunner: the exploration machine and the Runner take
// the same steps with the same effects, step for step along random
// schedules, on every preset and on generated scenarios.
func TestMachineAgreesWithRunner(t *testing.T) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			require.NoError(t, engine.MachineAgrees(p.Scenario, 20, rand.New(rand.NewPCG(3, 4))))
		})
	}
	t.Run("generated", func(t *testing.T) {
		rapid.Check(t, func(t *rapid.T) {
			sc := genScenario(t)
			rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
			require.NoError(t, engine.MachineAgrees(sc, 10, rng))
		})
	})
}

// TestCommitAtTheReadsLastInstant: a commit that takes no time can land at
// the very instant a read ended, and then counts as current for it (the
// interval is closed). Exploration judges most reads as they close, so this
// is the case it must not judge early: the reader is served NEW from the
// cache over [0, 1ms] and the writer commits NEW at 1ms right after it,
// which makes the read current; the other order commits first. No schedule
// is stale, as the Runner agrees.
func TestCommitAtTheReadsLastInstant(t *testing.T) {
	sc := &engine.Scenario{Name: "tie", DB: []engine.Seed{{Key: "k", Value: "OLD"}},
		Cache: []engine.Seed{{Key: "k", Value: "NEW"}},
		Actors: []engine.Actor{
			{Name: "reader", Steps: []engine.Step{{Op: engine.OpCacheGet, Key: "k", Took: ms}}},
			{Name: "writer", Steps: []engine.Step{{Op: engine.OpDBWrite, Key: "k", Value: "NEW", HasValue: true}}},
		}}
	tl, err := engine.Run(sc, engine.Options{Schedule: []string{"reader", "writer"}})
	require.NoError(t, err)
	require.Len(t, tl.Reads, 1)
	require.Empty(t, tl.StaleReads())
	for _, opts := range []engine.ExploreOptions{{}, {NoReduction: true}, {Mode: engine.Random, Samples: 20, Seed: 1}} {
		res := explore(t, sc, opts)
		require.Equal(t, int64(0), res.StaleSchedules, "%+v", opts)
	}
	// A writer that takes time commits after the read: stale.
	sc.Actors[1].Steps[0].Took = ms
	res := explore(t, sc, engine.ExploreOptions{NoReduction: true})
	require.Equal(t, int64(2), res.SchedulesRun)
	require.Equal(t, int64(1), res.StaleSchedules)
	require.NoError(t, engine.MachineAgrees(sc, 10, rand.New(rand.NewPCG(1, 2))))
}

// TestReadThroughNamedAsTheRunnerNamesIt: a read-through (a cache miss,
// then db.read) that the database serves is named from its db.read by
// exploration as by the Runner. Exploration once kept only a read's first
// step, the cache.get, found no db.read that served the value and named it
// "unexplained", a name the replayed counterexample did not reproduce.
func TestReadThroughNamedAsTheRunnerNamesIt(t *testing.T) {
	sc := &engine.Scenario{Name: "read-through", Actors: []engine.Actor{
		{Name: "p1", Steps: []engine.Step{{Op: engine.OpCacheGet, Key: "a"}, {Op: engine.OpDBRead, Key: "a"}}},
		{Name: "p2", Steps: []engine.Step{{Op: engine.OpDBWrite, Key: "a", Value: "w", HasValue: true}}},
	}}
	tl, err := engine.Run(sc, engine.Options{Schedule: []string{"p1", "p1", "p2"}})
	require.NoError(t, err)
	require.Len(t, tl.StaleReads(), 1)
	want := tl.StaleReads()[0].Anomaly
	require.Equal(t, timeline.SimultaneousCommit, want)
	for _, opts := range []engine.ExploreOptions{{}, {NoReduction: true}, {Mode: engine.Random, Samples: 20, Seed: 1}} {
		res := explore(t, sc, opts)
		require.Equal(t, []timeline.Anomaly{want}, slices.Collect(maps.Keys(res.Counterexamples)), "%+v", opts)
	}
}

// TestExplanationsReadWell: on generated scenarios, the explanation of
// every stale read (timed, and along each counterexample) is a sentence
// with its parts: it names the actor served, has no empty part ("  ",
// " and" at the start, "= "), and ends without a dangling separator.
func TestExplanationsReadWell(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		schedules := [][]string{nil}
		res, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{Limit: 500})
		require.NoError(t, err)
		for _, ce := range res.Counterexamples {
			schedules = append(schedules, ce.Schedule)
		}
		for _, s := range schedules {
			tl, err := engine.Run(sc, engine.Options{Schedule: s})
			require.NoError(t, err)
			for _, r := range tl.StaleReads() {
				why := r.Why
				require.NotEmpty(t, why)
				named := strings.HasPrefix(why, "the scenario ")
				for _, a := range sc.Actors {
					named = named || strings.HasPrefix(why, a.Name+" ") || strings.HasPrefix(why, a.Name+"'s ")
				}
				require.True(t, named, "begins with who or what: %q", why)
				for _, bad := range []string{"  ", "= ", " ,", ";;", " ;"} {
					require.NotContains(t, why, bad, "%q", why)
				}
				require.False(t, strings.HasPrefix(why, " ") || strings.HasPrefix(why, "and "), "%q", why)
			}
		}
	})
}
