package timeline

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	us = time.Microsecond
	ms = time.Millisecond
	s  = time.Second
)

var epoch = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

const expiryRule = "a key is gone at its expiry instant (now >= expiry, as miniredis)"

func dur(d time.Duration) *time.Duration { return &d }

func seedRow(key, value string) Row {
	return Row{Key: key, Value: value, Version: 1, CommittedAt: 0, Actor: "seed"}
}

// requireGolden compares have with testdata/name, or rewrites the file
// under -update.
func requireGolden(t *testing.T, name string, have []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, have, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./timeline/ -update")
	require.Equal(t, string(want), string(have), "have != want (%s); rerun with -update and review the diff", path)
}

// cacheAside is the seed story by hand: the writer commits PAID over
// [0, 3ms], then deletes the key over [3ms, 5ms]; the reader's GET over
// [4ms, 4.5ms] lands in between and is served CANCELLED from the cache.
func cacheAside() *Timeline {
	const key = "order:42"
	paid := Row{Key: key, Value: "PAID", Version: 2, CommittedAt: 3 * ms, Actor: "writer"}
	initial := State{Cache: []CacheEntry{{Key: key, Value: "CANCELLED", TTL: 300 * s}}, DB: []Row{seedRow(key, "CANCELLED")}}
	return &Timeline{
		Scenario:    "cache-aside",
		Title:       "The 2 AM order-status bug",
		Description: "The writer commits PAID, then deletes the cache key. A reader that arrives in between is served CANCELLED from Redis.",
		Epoch:       epoch,
		Mode:        "timed",
		Schedule:    []string{"writer", "reader", "writer"},
		Actors:      []string{"writer", "reader"},
		Events: []Event{
			{Seq: 0, Actor: "writer", Lane: 0, Step: 1, Op: "db.write", Key: key, Command: "COMMIT order:42 = PAID",
				Result: "ok", Value: "PAID", Version: 2, Start: 0, End: 3 * ms},
			{Seq: 1, Actor: "reader", Lane: 1, Step: 1, Op: "cache.get", Key: key, Command: "GET order:42",
				Result: "hit", Value: "CANCELLED", Start: 4 * ms, End: 4500 * us},
			{Seq: 2, Actor: "writer", Lane: 0, Step: 2, Op: "cache.del", Key: key, Command: "DEL order:42",
				Result: "ok", Start: 3 * ms, End: 5 * ms},
		},
		Reads: []Read{{
			Actor: "reader", Key: key, Source: SourceCache, Served: "CANCELLED",
			Start: 4 * ms, End: 4500 * us, Events: []int{1},
			Stale: true, Current: []string{"PAID"}, Anomaly: StaleHit, Cause: -1,
			Why: "writer committed PAID at +3.000ms and writer invalidated order:42 only at +5.000ms; reader was served CANCELLED from the cache at +4.500ms, in between",
		}},
		Commits: []Commit{
			{Key: key, Value: "CANCELLED", Version: 1, At: 0, Actor: "seed", Event: -1},
			{Key: key, Value: "PAID", Version: 2, At: 3 * ms, Actor: "writer", Event: 0},
		},
		Expiries: nil,
		Divergences: []Divergence{{
			Key: key, CacheValue: "CANCELLED", DBValue: "PAID", From: 3 * ms, Until: dur(5 * ms),
			Cause:      "writer committed order:42=PAID at +3.000ms while the cache held CANCELLED",
			CauseEvent: 0, End: "del", EndEvent: 2, TTLLeft: -1,
		}},
		Initial: initial,
		States: NewStateLog(initial, []State{
			{At: 3 * ms, Cache: []CacheEntry{{Key: key, Value: "CANCELLED", TTL: 300*s - 3*ms}}, DB: []Row{paid}},
			{At: 4500 * us, Cache: []CacheEntry{{Key: key, Value: "CANCELLED", TTL: 300*s - 4500*us}}, DB: []Row{paid}},
			{At: 5 * ms, Cache: []CacheEntry{}, DB: []Row{paid}},
		}),
		ExpiryRule: expiryRule,
		Backend:    "miniredis",
		Clock:      true,
	}
}

// staleSetOpen is a slow reader's lost invalidation, still diverged when
// the run ends: reader misses, reads CANCELLED, and sets it back with a
// 300 s TTL after writer's commit and DEL; reader-2 is served it at +5s.
func staleSetOpen() *Timeline {
	const key = "order:42"
	seed := seedRow(key, "CANCELLED")
	paid := Row{Key: key, Value: "PAID", Version: 2, CommittedAt: 3 * ms, Actor: "writer"}
	stale := func(at time.Duration) []CacheEntry {
		return []CacheEntry{{Key: key, Value: "CANCELLED", TTL: 300*s + 5*ms - at}}
	}
	initial := State{Cache: []CacheEntry{}, DB: []Row{seed}}
	return &Timeline{
		Scenario: "stale-set",
		Title:    "A slow reader writes the old row back",
		Epoch:    epoch,
		Mode:     "timed",
		Schedule: []string{"reader", "reader", "writer", "writer", "reader", "reader-2"},
		Actors:   []string{"writer", "reader", "reader-2"},
		Events: []Event{
			{Seq: 0, Actor: "reader", Lane: 1, Step: 1, Op: "cache.get", Key: key, Command: "GET order:42",
				Result: "miss", Start: 0, End: 500 * us},
			{Seq: 1, Actor: "reader", Lane: 1, Step: 2, Op: "db.read", Key: key, Command: "SELECT order:42",
				Result: "hit", Value: "CANCELLED", Version: 1, Start: 500 * us, End: 2500 * us},
			{Seq: 2, Actor: "writer", Lane: 0, Step: 1, Op: "db.write", Key: key, Command: "COMMIT order:42 = PAID",
				Result: "ok", Value: "PAID", Version: 2, Start: 1 * ms, End: 3 * ms},
			{Seq: 3, Actor: "writer", Lane: 0, Step: 2, Op: "cache.del", Key: key, Command: "DEL order:42",
				Result: "ok", Start: 3 * ms, End: 4 * ms, Note: "nothing to delete"},
			{Seq: 4, Actor: "reader", Lane: 1, Step: 3, Op: "cache.set", Key: key, Command: "SET order:42 CANCELLED PX 300000",
				Result: "ok", Value: "CANCELLED", Start: 2500 * us, End: 5 * ms},
			{Seq: 5, Actor: "reader-2", Lane: 2, Step: 1, Op: "cache.get", Key: key, Command: "GET order:42",
				Result: "hit", Value: "CANCELLED", Start: 5 * s, End: 5*s + 5*ms},
		},
		Reads: []Read{
			{Actor: "reader", Key: key, Source: SourceDB, Served: "CANCELLED", Start: 0, End: 5 * ms,
				Events: []int{0, 1, 4}, Cause: -1},
			{Actor: "reader-2", Key: key, Source: SourceCache, Served: "CANCELLED", Start: 5 * s, End: 5*s + 5*ms,
				Events: []int{5}, Stale: true, Current: []string{"PAID"}, Anomaly: LostInvalidation, Cause: 4,
				Why: "writer's DEL at +4.000ms landed before the stale set it should have prevented: reader set order:42=CANCELLED at +5.000ms, but writer had committed PAID at +3.000ms; reader-2 was served CANCELLED from the cache at +5.005s"},
		},
		Commits: []Commit{
			{Key: key, Value: "CANCELLED", Version: 1, At: 0, Actor: "seed", Event: -1},
			{Key: key, Value: "PAID", Version: 2, At: 3 * ms, Actor: "writer", Event: 2},
		},
		Divergences: []Divergence{{
			Key: key, CacheValue: "CANCELLED", DBValue: "PAID", From: 5 * ms, Until: nil,
			Cause:      "reader set order:42=CANCELLED at +5.000ms while the database had PAID (v2)",
			CauseEvent: 4, End: "end-of-run", EndEvent: -1, TTLLeft: 295 * s,
		}},
		Initial: initial,
		States: NewStateLog(initial, []State{
			{At: 500 * us, Cache: []CacheEntry{}, DB: []Row{seed}},
			{At: 2500 * us, Cache: []CacheEntry{}, DB: []Row{seed}},
			{At: 3 * ms, Cache: []CacheEntry{}, DB: []Row{paid}},
			{At: 4 * ms, Cache: []CacheEntry{}, DB: []Row{paid}},
			{At: 5 * ms, Cache: stale(5 * ms), DB: []Row{paid}},
			{At: 5*s + 5*ms, Cache: stale(5*s + 5*ms), DB: []Row{paid}},
		}),
		ExpiryRule: expiryRule,
		Backend:    "miniredis",
		Clock:      true,
	}
}

// noStale is a correct run: the seeded entry expires at +2ms, before the
// writer commits PAID at +3ms; the reader sleeps, misses, reads PAID and
// caches it.
func noStale() *Timeline {
	const key = "order:42"
	seed := seedRow(key, "CANCELLED")
	paid := Row{Key: key, Value: "PAID", Version: 2, CommittedAt: 3 * ms, Actor: "writer"}
	initial := State{Cache: []CacheEntry{{Key: key, Value: "CANCELLED", TTL: 2 * ms}}, DB: []Row{seed}}
	return &Timeline{
		Scenario: "ttl-short",
		Title:    "The entry expires before the commit",
		Epoch:    epoch,
		Mode:     "timed",
		Schedule: []string{"writer", "reader", "reader", "reader", "reader"},
		Actors:   []string{"writer", "reader"},
		Events: []Event{
			{Seq: 0, Actor: "writer", Lane: 0, Step: 1, Op: "db.write", Key: key, Command: "COMMIT order:42 = PAID",
				Result: "ok", Value: "PAID", Version: 2, Start: 0, End: 3 * ms},
			{Seq: 1, Actor: "reader", Lane: 1, Step: 1, Op: "sleep", Result: "ok", Start: 0, End: 4 * ms},
			{Seq: 2, Actor: "reader", Lane: 1, Step: 2, Op: "cache.get", Key: key, Command: "GET order:42",
				Result: "miss", Start: 4 * ms, End: 4500 * us},
			{Seq: 3, Actor: "reader", Lane: 1, Step: 3, Op: "db.read", Key: key, Command: "SELECT order:42",
				Result: "hit", Value: "PAID", Version: 2, Start: 4500 * us, End: 6500 * us},
			{Seq: 4, Actor: "reader", Lane: 1, Step: 4, Op: "cache.set", Key: key, Command: "SET order:42 PAID PX 300000",
				Result: "ok", Value: "PAID", Start: 6500 * us, End: 7500 * us},
		},
		Reads: []Read{{Actor: "reader", Key: key, Source: SourceDB, Served: "PAID", Start: 4 * ms, End: 7500 * us,
			Events: []int{2, 3, 4}, Cause: -1}},
		Commits: []Commit{
			{Key: key, Value: "CANCELLED", Version: 1, At: 0, Actor: "seed", Event: -1},
			{Key: key, Value: "PAID", Version: 2, At: 3 * ms, Actor: "writer", Event: 0},
		},
		Expiries: []Expiry{{Key: key, Value: "CANCELLED", At: 2 * ms}},
		Initial:  initial,
		States: NewStateLog(initial, []State{
			{At: 3 * ms, Cache: []CacheEntry{}, DB: []Row{paid}},
			{At: 4 * ms, Cache: []CacheEntry{}, DB: []Row{paid}},
			{At: 4500 * us, Cache: []CacheEntry{}, DB: []Row{paid}},
			{At: 6500 * us, Cache: []CacheEntry{}, DB: []Row{paid}},
			{At: 7500 * us, Cache: []CacheEntry{{Key: key, Value: "PAID", TTL: 300 * s}}, DB: []Row{paid}},
		}),
		ExpiryRule: expiryRule,
		Backend:    "miniredis",
		Clock:      true,
	}
}

// withState rebuilds tl's states with the one after step i changed by f.
func withState(tl *Timeline, i int, f func(*State)) {
	states := make([]State, tl.States.Len())
	for k := range states {
		states[k] = tl.StateAt(k)
	}
	f(&states[i])
	tl.States = NewStateLog(tl.Initial, states)
}
