package engine_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
)

// manyKeys is a scenario over keys keys, each seeded in the database and
// in the cache (300 s TTL), with ten actors taking steps steps in all:
// writers commit a key then delete it, readers get, read and set one.
func manyKeys(keys, steps int) *engine.Scenario {
	sc := &engine.Scenario{Name: fmt.Sprintf("keys-%d-steps-%d", keys, steps)}
	key := func(i int) string { return fmt.Sprintf("k%d", i%keys) }
	for i := range keys {
		sc.DB = append(sc.DB, engine.Seed{Key: key(i), Value: "v0"})
		sc.Cache = append(sc.Cache, engine.Seed{Key: key(i), Value: "v0", TTL: 300 * time.Second})
	}
	const actors = 10
	for a := range actors {
		act := engine.Actor{Name: fmt.Sprintf("a%d", a), At: time.Duration(a) * ms}
		for i := range steps / actors {
			k := key(a*7919 + i/3*31)
			var st engine.Step
			switch {
			case a%2 == 0 && i%2 == 0:
				st = engine.Step{Op: engine.OpDBWrite, Key: k, Value: fmt.Sprintf("a%d.%d", a, i), HasValue: true, Took: 3 * ms}
			case a%2 == 0:
				st = engine.Step{Op: engine.OpCacheDel, Key: k, Took: 2 * ms}
			case i%3 == 0:
				st = engine.Step{Op: engine.OpCacheGet, Key: k, Took: ms}
			case i%3 == 1:
				st = engine.Step{Op: engine.OpDBRead, Key: k, Took: 2 * ms}
			default:
				st = engine.Step{Op: engine.OpCacheSet, Key: k, TTL: 300 * time.Second, Took: ms}
			}
			act.Steps = append(act.Steps, st)
		}
		sc.Actors = append(sc.Actors, act)
	}
	return sc
}

// liveBytes is the heap kept alive by what f returns.
func liveBytes(t testing.TB, f func() any) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := f()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(kept)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}

// TestRecordedRunMemoryIsLinear: the record of a run, with the state after
// every step, takes memory proportional to steps + keys, not steps × keys.
func TestRecordedRunMemoryIsLinear(t *testing.T) {
	const keys, steps = 400, 2000
	sc := manyKeys(keys, steps)
	var events int
	live := liveBytes(t, func() any {
		tl, err := engine.Run(sc, engine.Options{})
		require.NoError(t, err)
		events = len(tl.Events)
		return tl
	})
	require.Equal(t, steps, events)
	// An event with its command, read and commit costs about a kilobyte;
	// a full copy of the state per step would cost keys × ~130 bytes.
	const perItem = 4 << 10
	require.Less(t, live, uint64(perItem*(steps+keys)), "the run keeps %d KiB for %d steps over %d keys", live>>10, steps, keys)
}

// requireStatesAsSnapshots fails unless the run's state log gives back,
// before and after every step, the whole state read from the cache and
// the database, and the divergences found by comparing every key in every
// state.
func requireStatesAsSnapshots(t require.TestingT, s *engine.Snapshotted) {
	tl := s.Timeline
	require.Equal(t, s.Initial, tl.Initial)
	require.Equal(t, s.Initial, tl.StateAt(-1))
	require.Equal(t, len(s.States), tl.States.Len())
	require.Equal(t, len(tl.Events), tl.States.Len())
	for i, want := range s.States {
		require.Equal(t, want, tl.StateAt(i), "state after step %d (%s %s)", i, tl.Events[i].Actor, tl.Events[i].Command)
	}
	cur := tl.States.Cursor()
	for i := 0; cur.Next(); i++ {
		require.Equal(t, s.States[i], cur.State(), "cursor after step %d", i)
	}
	require.Equal(t, s.Divergences, tl.Divergences)
}

// randomPick picks uniformly among the enabled participants.
func randomPick(rng *rand.Rand) func([]int) int {
	return func(en []int) int { return en[rng.IntN(len(en))] }
}

// TestStateLogMatchesSnapshotsOnPresets: on every preset, in timed mode
// and along random schedules, the compact log gives back every state as
// reading the whole cache and database after each step does.
func TestStateLogMatchesSnapshotsOnPresets(t *testing.T) {
	for _, name := range presets.Names() {
		t.Run(name, func(t *testing.T) {
			sc, err := presets.Get(name)
			require.NoError(t, err)
			s, err := engine.RunSnapshotting(sc, engine.Options{}, nil)
			require.NoError(t, err)
			requireStatesAsSnapshots(t, s)
			rng := rand.New(rand.NewPCG(1, uint64(len(name))))
			for range 5 {
				s, err := engine.RunSnapshotting(sc, engine.Options{}, randomPick(rng))
				require.NoError(t, err)
				requireStatesAsSnapshots(t, s)
			}
		})
	}
}

// TestStateLogMatchesSnapshots: so it does on generated scenarios, in
// timed mode and along schedules drawn step by step, clock ticks
// included, through go-redis and through miniredis's Go API.
func TestStateLogMatchesSnapshots(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		opts := engine.Options{Direct: rapid.Bool().Draw(t, "direct")}
		var pick func([]int) int
		if rapid.Bool().Draw(t, "schedule") {
			pick = func(en []int) int { return rapid.SampledFrom(en).Draw(t, "next") }
		}
		s, err := engine.RunSnapshotting(sc, opts, pick)
		require.NoError(t, err)
		requireStatesAsSnapshots(t, s)
	})
}

// TestStateLogOfManyKeysMatchesSnapshots: so it does over many keys and
// steps, where the log keeps checkpoints.
func TestStateLogOfManyKeysMatchesSnapshots(t *testing.T) {
	s, err := engine.RunSnapshotting(manyKeys(120, 600), engine.Options{Direct: true}, nil)
	require.NoError(t, err)
	requireStatesAsSnapshots(t, s)
}

// BenchmarkRunManyKeys records runs of 2,000 steps over more and more
// keys: the memory the record keeps per step stays about the same; the
// time per step grows with miniredis's clock, which visits every key at
// each step.
func BenchmarkRunManyKeys(b *testing.B) {
	for _, keys := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			sc := manyKeys(keys, 2000)
			run := func() any {
				tl, err := engine.Run(sc, engine.Options{Direct: true})
				if err != nil {
					b.Fatal(err)
				}
				return tl
			}
			kept := liveBytes(b, run)
			b.ResetTimer()
			for b.Loop() {
				run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2000), "ns/step")
			b.ReportMetric(float64(kept)/2000, "B-kept/step")
		})
	}
}
