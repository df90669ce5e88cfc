package engine_test

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// register is a single-register model for porcupine: input nil is a read
// whose output is the value read; a string input is a write.
var register = porcupine.Model{
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		if input == nil {
			return output.(string) == state.(string), state
		}
		return true, input.(string)
	},
	Equal: func(a, b any) bool { return a == b },
}

// linearizable asks porcupine whether the reads of key, against the
// commits, form a linearizable single-register history. Instants are
// stretched so that commits keep their order even at the same instant: the
// k-th commit at instant c is the point u·c+k, and a read over [s, e] is
// [u·s+n, u·e+n] (n commits, u = n+1). A commit at exactly s then precedes
// the read (it is current at s) and one at exactly e may linearize before
// its end, as racetape's oracle defines.
func linearizable(tl *timeline.Timeline, key string) bool {
	var ops []porcupine.Operation
	n := int64(len(tl.Commits))
	u := n + 1
	for k, c := range tl.Commits {
		if c.Key == key {
			at := u*int64(c.At) + int64(k)
			ops = append(ops, porcupine.Operation{ClientId: 0, Input: c.Value, Call: at, Return: at})
		}
	}
	for i, r := range tl.Reads {
		if r.Key == key {
			ops = append(ops, porcupine.Operation{ClientId: i + 1, Input: nil, Output: r.Served, Call: u*int64(r.Start) + n, Return: u*int64(r.End) + n})
		}
	}
	return porcupine.CheckOperations(register, ops)
}

// staleOn reports whether the oracle found a stale read of key.
func staleOn(tl *timeline.Timeline, key string) bool {
	for _, r := range tl.StaleReads() {
		if r.Key == key {
			return true
		}
	}
	return false
}

func keysOf(tl *timeline.Timeline) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range tl.Reads {
		if !seen[r.Key] {
			seen[r.Key] = true
			out = append(out, r.Key)
		}
	}
	return out
}

// TestOracleAgreesWithPorcupine checks racetape's oracle against an
// independent linearizability checker: a key's reads are all fresh exactly
// when porcupine finds the key's history linearizable.
func TestOracleAgreesWithPorcupine(t *testing.T) {
	for _, p := range presets.All() {
		tl, err := engine.Run(p.Scenario, engine.Options{NoStates: true})
		require.NoError(t, err)
		for _, k := range keysOf(tl) {
			require.Equal(t, !staleOn(tl, k), linearizable(tl, k), "%s, key %s", p.Name, k)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		tl, err := engine.Run(sc, engine.Options{NoStates: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keysOf(tl) {
			if lin := linearizable(tl, k); lin == staleOn(tl, k) {
				t.Fatalf("key %s: porcupine linearizable=%v, oracle stale=%v\nreads %+v\ncommits %+v", k, lin, staleOn(tl, k), tl.Reads, tl.Commits)
			}
		}
	})
}

// TestOracleEdgesAgreeWithPorcupine draws histories on a coarse time grid,
// so that commits land exactly on reads' start and end instants often, and
// checks engine.IsStale against porcupine read by read.
func TestOracleEdgesAgreeWithPorcupine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		instant := func(label string) int64 { return rapid.Int64Range(0, 4).Draw(t, label) * int64(ms) }
		values := []string{"A", "B", "C"}
		tl := &timeline.Timeline{}
		at := int64(0)
		for i, n := 0, rapid.IntRange(0, 4).Draw(t, "commits"); i < n; i++ {
			at += rapid.Int64Range(0, 2).Draw(t, "gap") * int64(ms)
			tl.Commits = append(tl.Commits, timeline.Commit{Key: "k", Value: rapid.SampledFrom(values).Draw(t, "value"), At: timeDuration(at)})
		}
		s := instant("start")
		e := s + rapid.Int64Range(0, 2).Draw(t, "len")*int64(ms)
		r := timeline.Read{Key: "k", Served: rapid.SampledFrom(append(values, "")).Draw(t, "served"), Start: timeDuration(s), End: timeDuration(e)}
		tl.Reads = []timeline.Read{r}
		stale := engine.IsStale(tl.Commits, r.Served, r.Start, r.End)
		if lin := linearizable(tl, "k"); lin == stale {
			t.Fatalf("porcupine linearizable=%v, oracle stale=%v\nread %+v\ncommits %+v", lin, stale, r, tl.Commits)
		}
	})
}

func timeDuration(ns int64) time.Duration { return time.Duration(ns) }
