package timeline

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// genStates draws an initial state and the states after a few hundred
// steps over a handful of keys (enough for checkpoints), each step
// changing a few keys, sometimes none, sometimes all.
func genStates(t *rapid.T) (State, []State) {
	keys := []string{"a", "b", "c", "d", "e", "lease:a"}[:rapid.IntRange(1, 6).Draw(t, "keys")]
	replica := rapid.Bool().Draw(t, "replica")
	at := time.Duration(0)
	value := rapid.SampledFrom([]string{"", "v0", "v1", "PAID"})
	var st State
	st.Cache, st.DB = []CacheEntry{}, []Row{}
	if replica {
		st.Replica = []Row{}
	}
	cache := map[string]CacheEntry{}
	db := map[string]Row{}
	rep := map[string]Row{}
	snapshot := func() State {
		s := State{At: at, Cache: []CacheEntry{}, DB: []Row{}}
		for _, k := range keys {
			if e, ok := cache[k]; ok {
				s.Cache = append(s.Cache, e)
			}
			if r, ok := db[k]; ok {
				s.DB = append(s.DB, r)
			}
		}
		if replica {
			s.Replica = []Row{}
			for _, k := range keys {
				if r, ok := rep[k]; ok {
					s.Replica = append(s.Replica, r)
				}
			}
		}
		return s
	}
	row := func(k, label string) Row {
		return Row{Key: k, Value: value.Draw(t, label+"-value"), Version: rapid.IntRange(1, 3).Draw(t, label+"-version"),
			CommittedAt: at, Actor: rapid.SampledFrom([]string{"seed", "writer"}).Draw(t, label+"-actor")}
	}
	change := func(label string) {
		k := rapid.SampledFrom(keys).Draw(t, label+"-key")
		switch rapid.IntRange(0, 5).Draw(t, label+"-what") {
		case 0:
			e := CacheEntry{Key: k, Value: value.Draw(t, label+"-value"), Version: rapid.IntRange(0, 2).Draw(t, label+"-version"), TTL: -1}
			if rapid.Bool().Draw(t, label+"-ttl") {
				e.TTL = time.Duration(rapid.IntRange(1, 5000).Draw(t, label+"-ttl-us")) * time.Microsecond
			}
			cache[k] = e
		case 1:
			delete(cache, k)
		case 2:
			if e, ok := cache[k]; ok && e.TTL >= 0 { // time goes by for this entry only: a TTL the log must keep
				e.TTL += time.Microsecond
				cache[k] = e
			}
		case 3:
			db[k] = row(k, label)
		case 4:
			delete(db, k)
		default:
			if replica {
				rep[k] = row(k, label)
			}
		}
	}
	for range rapid.IntRange(0, len(keys)).Draw(t, "initial") {
		change("initial")
	}
	initial := snapshot()
	var states []State
	for i := range rapid.IntRange(0, 300).Draw(t, "steps") {
		dt := time.Duration(rapid.IntRange(0, 3).Draw(t, "dt")) * time.Millisecond
		at += dt
		for k, e := range cache { // the TTL left follows the clock, to the entry's end
			switch {
			case e.TTL < 0:
			case e.TTL <= dt:
				delete(cache, k)
			default:
				e.TTL -= dt
				cache[k] = e
			}
		}
		for range rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("changes-%d", i)) {
			change("step")
		}
		states = append(states, snapshot())
	}
	return initial, states
}

// TestStateLogGivesBackEveryState: a log built from full states gives
// each one back, by State, by a cursor walking in order and by Seek, and
// the cursor names exactly the keys each step changed.
func TestStateLogGivesBackEveryState(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		initial, states := genStates(t)
		log := NewStateLog(initial, states)
		require.Equal(t, len(states), log.Len())
		require.Equal(t, initial, log.State(-1))
		for i, want := range states {
			require.Equal(t, want, log.State(i), "state after step %d", i)
		}
		if len(states) > 0 {
			require.Equal(t, states[len(states)-1], log.State(len(states)+5), "past the end: the last state")
		}

		cur := log.Cursor()
		require.Equal(t, initial, cur.State())
		prev := initial
		for i := 0; cur.Next(); i++ {
			require.Equal(t, i, cur.Step())
			require.Equal(t, states[i], cur.State(), "cursor after step %d", i)
			var changed []string
			for p, k := range cur.Changes() {
				changed = append(changed, fmt.Sprint(p, k))
			}
			require.Equal(t, differing(prev, states[i]), changed, "the keys step %d changed", i)
			for _, e := range states[i].Cache {
				got, ok := cur.Entry(e.Key)
				require.True(t, ok)
				require.Equal(t, e, got)
			}
			for _, r := range states[i].DB {
				got, ok := cur.Row(r.Key)
				require.True(t, ok)
				require.Equal(t, r, got)
			}
			for _, r := range states[i].Replica {
				got, ok := cur.ReplicaRow(r.Key)
				require.True(t, ok)
				require.Equal(t, r, got)
			}
			prev = states[i]
		}
		require.Equal(t, len(states)-1, cur.Step(), "the cursor stays at the last state")

		for range 20 {
			i := rapid.IntRange(-1, len(states)-1).Draw(t, "seek")
			cur.Seek(i)
			want := initial
			if i >= 0 {
				want = states[i]
			}
			require.Equal(t, want, cur.State(), "seek to %d", i)
		}
	})
}

// differing lists, as Changes yields them, the part and key of everything
// that differs between two states, TTLs compared as expiry instants.
func differing(a, b State) []string {
	var out []string
	add := func(p Part, ka, kb map[string]change) {
		keys := map[string]bool{}
		for k := range ka {
			keys[k] = true
		}
		for k := range kb {
			keys[k] = true
		}
		for _, k := range sortedMapKeys(keys) {
			x, inA := ka[k]
			y, inB := kb[k]
			if inA != inB || x != y {
				out = append(out, fmt.Sprint(p, k))
			}
		}
	}
	index := func(s State) [numParts]map[string]change {
		var m [numParts]map[string]change
		for p := range numParts {
			m[p] = map[string]change{}
		}
		for _, e := range s.Cache {
			m[PartCache][e.Key] = cacheChange(e, s.At)
		}
		for _, r := range s.DB {
			m[PartDB][r.Key] = rowChange(PartDB, r)
		}
		for _, r := range s.Replica {
			m[PartReplica][r.Key] = rowChange(PartReplica, r)
		}
		return m
	}
	ia, ib := index(a), index(b)
	for p := range numParts {
		add(p, ia[p], ib[p])
	}
	return out
}

// TestStateRecorderExpires: entries drop out at their expiry instant
// (now >= expiry) when the recorder is told to expire, and their TTL left
// follows each state's instant.
func TestStateRecorderExpires(t *testing.T) {
	rec := NewStateRecorder(State{Cache: []CacheEntry{{Key: "a", Value: "1", TTL: 5 * time.Millisecond}, {Key: "b", Value: "2", TTL: -1}}, DB: []Row{}})
	rec.Step(2 * time.Millisecond)
	rec.Expire()
	rec.SetCache(CacheEntry{Key: "c", Value: "3", TTL: 3 * time.Millisecond}) // until +5ms
	rec.Step(5 * time.Millisecond)
	rec.Expire()
	rec.Step(6 * time.Millisecond)
	rec.Expire()
	log := rec.Log()
	require.Equal(t, []CacheEntry{{Key: "a", Value: "1", TTL: 3 * time.Millisecond}, {Key: "b", Value: "2", TTL: -1}, {Key: "c", Value: "3", TTL: 3 * time.Millisecond}}, log.State(0).Cache)
	require.Equal(t, []CacheEntry{{Key: "b", Value: "2", TTL: -1}}, log.State(1).Cache, "a and c are gone at +5ms")
	require.Equal(t, log.State(1).Cache, log.State(2).Cache)
	require.Empty(t, log.changesOf(2), "nothing left to expire")
}

// TestStateRecorderKeepsNoOps: a change that leaves a key as it was, or a
// key set and removed within one step, records nothing.
func TestStateRecorderKeepsNoOps(t *testing.T) {
	e := CacheEntry{Key: "a", Value: "1", TTL: 10 * time.Millisecond}
	rec := NewStateRecorder(State{Cache: []CacheEntry{e}, DB: []Row{{Key: "a", Value: "1", Version: 1, Actor: "seed"}}})
	rec.Step(4 * time.Millisecond)
	rec.SetCache(CacheEntry{Key: "a", Value: "1", TTL: 6 * time.Millisecond}) // the same expiry instant
	rec.SetRow(Row{Key: "a", Value: "1", Version: 1, Actor: "seed"})
	rec.SetCache(CacheEntry{Key: "b", Value: "x", TTL: -1})
	rec.DropCache("b")
	rec.DropCache("nothing")
	log := rec.Log()
	require.Equal(t, 1, log.Len())
	require.Empty(t, log.changesOf(0))
}

// TestStateLogMemoryIsLinear: a long log over many keys, each step
// changing one, keeps checkpoints whose total size stays within the
// changes plus the keys, and rebuilds any state from one of them.
func TestStateLogMemoryIsLinear(t *testing.T) {
	const keys, steps = 1000, 20000
	initial := State{Cache: []CacheEntry{}, DB: []Row{}}
	for k := range keys {
		initial.DB = append(initial.DB, Row{Key: fmt.Sprintf("k%04d", k), Value: "v0", Version: 1, Actor: "seed"})
	}
	rec := NewStateRecorder(initial)
	for i := range steps {
		rec.Step(time.Duration(i) * time.Millisecond)
		rec.SetRow(Row{Key: fmt.Sprintf("k%04d", i*7%keys), Value: fmt.Sprint(i), Version: 2 + i/keys, CommittedAt: time.Duration(i) * time.Millisecond, Actor: "w"})
	}
	log := rec.Log()
	kept := 0
	for _, c := range log.checks {
		for p := range numParts {
			kept += len(c.parts[p])
		}
	}
	require.Len(t, log.changes, steps)
	require.LessOrEqual(t, kept, steps+2*keys, "checkpoints keep %d entries for %d changes over %d keys", kept, steps, keys)
	st := log.State(steps - 1)
	require.Len(t, st.DB, keys)
	last := slices.IndexFunc(st.DB, func(r Row) bool { return r.Key == fmt.Sprintf("k%04d", (steps-1)*7%keys) })
	require.Equal(t, fmt.Sprint(steps-1), st.DB[last].Value)
}

// TestTapeSizeIsLinear: a tape of a long run over many keys keeps what
// each step changed: its size grows with steps + keys, not with their
// product, and it gives back every state.
func TestTapeSizeIsLinear(t *testing.T) {
	tape := func(keys, steps int) (*Timeline, []byte) {
		tl := &Timeline{Scenario: "many", Epoch: epoch, Mode: "timed", Actors: []string{"w"}, ExpiryRule: expiryRule}
		initial := State{Cache: []CacheEntry{}, DB: []Row{}}
		for k := range keys {
			key := fmt.Sprintf("k%04d", k)
			initial.Cache = append(initial.Cache, CacheEntry{Key: key, Value: "v0", TTL: time.Hour})
			initial.DB = append(initial.DB, Row{Key: key, Value: "v0", Version: 1, Actor: "seed"})
		}
		tl.Initial = initial
		rec := NewStateRecorder(initial)
		for i := range steps {
			at := time.Duration(i+1) * time.Millisecond
			key := fmt.Sprintf("k%04d", i*7%keys)
			tl.Events = append(tl.Events, Event{Seq: i, Actor: "w", Step: i + 1, Op: "cache.set", Key: key, Command: "SET " + key + " x",
				Result: "ok", Start: at - time.Millisecond, End: at})
			rec.Step(at)
			rec.SetCache(CacheEntry{Key: key, Value: fmt.Sprint(i), TTL: time.Hour})
		}
		tl.States = rec.Log()
		return tl, tl.TapeJSON()
	}
	const steps = 3000
	_, small := tape(100, steps)
	tl, large := tape(1000, steps)
	// 900 more keys cost their entries and rows in the initial and the
	// final state, about 470 bytes each; a state per step would cost
	// 3000 × 900 × 200 bytes more.
	require.Less(t, len(large)-len(small), 900*600, "tapes of %d and %d bytes", len(small), len(large))

	run, err := ParseJSON(large)
	require.NoError(t, err)
	back, err := FromJSON(run)
	require.NoError(t, err)
	for _, i := range []int{-1, 0, 1, steps / 2, steps - 1} {
		require.Equal(t, tl.StateAt(i), back.StateAt(i), "state after step %d", i)
	}
}
