package engine_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
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
func liveBytes(t *testing.T, f func() any) uint64 {
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
