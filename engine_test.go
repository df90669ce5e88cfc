package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

const (
	us = time.Microsecond
	ms = time.Millisecond
)

// staleWant is one expected stale read.
type staleWant struct {
	actor, key string
	source     timeline.Source
	served     string
	current    []string
	start, end time.Duration
	anomaly    timeline.Anomaly
}

// divWant is one expected divergence; until < 0 means still diverged at the
// end of the run. causeBy is "actor op" of the step that started it ("" for
// the initial state).
type divWant struct {
	key          string
	cache, db    string
	from, until  time.Duration
	end, causeBy string
}

// refusal is a step that must have been refused (lease, cas).
type refusal struct{ actor, op string }

var presetVerdicts = map[string]struct {
	stale    []staleWant
	divs     []divWant
	refused  []refusal
	expiries []timeline.Expiry
}{
	"cache-aside": {
		stale: []staleWant{{"reader", "order:42", timeline.SourceCache, "CANCELLED", []string{"PAID"}, 4 * ms, 4500 * us, timeline.StaleHit}},
		divs:  []divWant{{"order:42", "CANCELLED", "PAID", 3 * ms, 5 * ms, "del", "writer db.write"}},
	},
	"delete-then-update": {
		stale: []staleWant{{"reader-2", "order:42", timeline.SourceCache, "CANCELLED", []string{"PAID"}, 10 * ms, 10500 * us, timeline.TTLStaleness}},
		divs:  []divWant{{"order:42", "CANCELLED", "PAID", 4 * ms, -1, "end-of-run", "writer db.write"}},
	},
	"stale-set": {
		stale: []staleWant{{"reader", "order:42", timeline.SourceCache, "CANCELLED", []string{"PAID"}, 10 * ms, 10500 * us, timeline.StaleSet}},
		divs:  []divWant{{"order:42", "CANCELLED", "PAID", 7 * ms, -1, "end-of-run", "slow-reader cache.set"}},
	},
	"double-delete": {
		stale: []staleWant{{"reader-1", "order:1", timeline.SourceCache, "CANCELLED", []string{"PAID"}, 22 * ms, 22500 * us, timeline.LostInvalidation}},
		divs: []divWant{
			{"order:1", "CANCELLED", "PAID", 7 * ms, -1, "end-of-run", "reader-1 cache.set"},
			{"order:2", "CANCELLED", "PAID", 7 * ms, 15 * ms, "del", "reader-2 cache.set"},
		},
	},
	"ttl-only": {
		stale: []staleWant{
			{"reader", "order:42", timeline.SourceCache, "CANCELLED", []string{"PAID"}, 4 * ms, 4500 * us, timeline.TTLStaleness},
			{"reader", "order:42", timeline.SourceCache, "CANCELLED", []string{"PAID"}, 504500 * us, 505 * ms, timeline.TTLStaleness},
		},
		divs:     []divWant{{"order:42", "CANCELLED", "PAID", 3 * ms, time.Second, "expiry", "writer db.write"}},
		expiries: []timeline.Expiry{{Key: "order:42", Value: "CANCELLED", At: time.Second}},
	},
	"ttl-boundary": {
		stale: []staleWant{{"reader", "order:42", timeline.SourceCache, "CANCELLED", []string{"PAID"}, time.Second, time.Second, timeline.TTLStaleness}},
		divs: []divWant{
			{"order:42", "CANCELLED", "PAID", 101 * ms, 1002 * ms, "expiry", "writer db.write"},
			{"order:43", "CANCELLED", "PAID", 102 * ms, time.Second, "expiry", "writer db.write"},
		},
		// SET PX 1000 landed at +2ms; PEXPIREAT named +1s exactly.
		expiries: []timeline.Expiry{{Key: "order:43", Value: "CANCELLED", At: time.Second}, {Key: "order:42", Value: "CANCELLED", At: 1002 * ms}},
	},
	"write-through": {
		stale: []staleWant{{"reader", "order:42", timeline.SourceCache, "PAID", []string{"SHIPPED"}, 10 * ms, 10500 * us, timeline.StaleSet}},
		divs: []divWant{
			{"order:42", "PENDING", "PAID", 2 * ms, 5 * ms, "overwrite", "writer-a db.write"},
			{"order:42", "PAID", "SHIPPED", 8 * ms, -1, "end-of-run", "writer-a cache.set"},
		},
	},
	"lease": {
		refused: []refusal{{"slow-reader", "lease.set"}},
	},
	"versioned-cas": {
		refused: []refusal{{"slow-reader", "cas.set"}},
	},
	"new-old-inversion": {
		stale: []staleWant{{"mobile-app", "order:42", timeline.SourceCache, "CANCELLED", []string{"PAID"}, 5 * ms, 5500 * us, timeline.StaleHit}},
		divs:  []divWant{{"order:42", "CANCELLED", "PAID", 2 * ms, 9 * ms, "del", "writer db.write"}},
	},
	"replica-lag": {
		stale: []staleWant{
			{"reader", "order:42", timeline.SourceReplica, "CANCELLED", []string{"PAID"}, 10 * ms, 13 * ms, timeline.ReplicaLag},
			{"reader-2", "order:42", timeline.SourceCache, "CANCELLED", []string{"PAID"}, 20 * ms, 20500 * us, timeline.StaleSet},
		},
		divs: []divWant{
			{"order:42", "CANCELLED", "PAID", 2 * ms, 3 * ms, "del", "writer db.write"},
			{"order:42", "CANCELLED", "PAID", 13 * ms, -1, "end-of-run", "reader cache.set"},
		},
	},
}

func runPreset(t *testing.T, sc *engine.Scenario) *timeline.Timeline {
	t.Helper()
	tl, err := engine.Run(sc, engine.Options{})
	require.NoError(t, err)
	return tl
}

// TestPresetVerdicts asserts every preset's verdict exactly: who was served
// which stale value when, and every divergence with its cause and end.
func TestPresetVerdicts(t *testing.T) {
	all := presets.All()
	require.Len(t, all, 12, "every preset of DESIGN.md, and new-old-inversion")
	for _, p := range all {
		if p.Name == "seed-matrix" {
			continue // TestSeedMatrix
		}
		t.Run(p.Name, func(t *testing.T) {
			want, ok := presetVerdicts[p.Name]
			require.True(t, ok, "no expected verdict for preset %q", p.Name)
			tl := runPreset(t, p.Scenario)

			stale := tl.StaleReads()
			require.Len(t, stale, len(want.stale), "stale reads")
			for i, w := range want.stale {
				got := stale[i]
				require.Equal(t, w, staleWant{got.Actor, got.Key, got.Source, got.Served, got.Current, got.Start, got.End, got.Anomaly}, "stale read %d", i)
				require.NotEmpty(t, got.Why)
			}

			require.Len(t, tl.Divergences, len(want.divs), "divergences")
			for i, w := range want.divs {
				d := tl.Divergences[i]
				until := time.Duration(-1)
				if d.Until != nil {
					until = *d.Until
				}
				causeBy := ""
				if d.CauseEvent >= 0 {
					causeBy = tl.Events[d.CauseEvent].Actor + " " + tl.Events[d.CauseEvent].Op
				}
				require.Equal(t, w, divWant{d.Key, d.CacheValue, d.DBValue, d.From, until, d.End, causeBy}, "divergence %d", i)
				if d.End == "end-of-run" {
					require.Positive(t, d.TTLLeft, "a divergence left at the end reports its TTL")
				}
			}

			for _, r := range want.refused {
				found := false
				for _, e := range tl.Events {
					if e.Actor == r.actor && e.Op == r.op {
						require.Equal(t, "fail", e.Result, "%s %s must be refused", r.actor, r.op)
						require.Contains(t, e.Note, "refused")
						found = true
					}
				}
				require.True(t, found, "no %s step by %s", r.op, r.actor)
			}
			if want.expiries != nil {
				require.Equal(t, want.expiries, tl.Expiries)
			}
		})
	}
}

// TestFixesServeNoStaleData: the protocol fixes never write an older value
// over a newer one.
func TestFixesServeNoStaleData(t *testing.T) {
	for _, name := range []string{"lease", "versioned-cas"} {
		sc, err := presets.Get(name)
		require.NoError(t, err)
		tl := runPreset(t, sc)
		require.Empty(t, tl.StaleReads(), name)
		require.Empty(t, tl.Divergences, name)
		for _, e := range tl.Events {
			if e.Result == "ok" && (e.Op == "lease.set" || e.Op == "cas.set") {
				c := currentAt(tl, e.Key, e.End)
				require.Equal(t, c, e.Value, "%s: %s set an old value", name, e.Actor)
			}
		}
	}
}

func currentAt(tl *timeline.Timeline, key string, at time.Duration) string {
	v := ""
	for _, c := range tl.Commits {
		if c.Key == key && c.At <= at {
			v = c.Value
		}
	}
	return v
}

// TestDeterminism: the same scenario gives byte-identical JSON and text,
// whatever GOMAXPROCS.
func TestDeterminism(t *testing.T) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			a := runPreset(t, p.Scenario)
			prev := runtime.GOMAXPROCS(1)
			b := runPreset(t, p.Scenario)
			runtime.GOMAXPROCS(prev)
			require.Equal(t, string(a.JSON()), string(b.JSON()))
			require.Equal(t, a.Text(), b.Text())
		})
	}
}

// TestScheduleReplaysTimedRun: a timed run's schedule, replayed in schedule
// mode, takes the same steps in the same order with the same results —
// except where the run depends on the exact instants of the timed run
// (expiry at +1s), since a schedule runs steps back to back.
func TestScheduleReplaysTimedRun(t *testing.T) {
	for _, p := range presets.All() {
		if p.Name == "ttl-boundary" || p.Name == "seed-matrix" {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			a := runPreset(t, p.Scenario)
			b, err := engine.Run(p.Scenario, engine.Options{Schedule: a.Schedule})
			require.NoError(t, err)
			require.Equal(t, a.Schedule, b.Schedule)
			for i := range a.Events {
				require.Equal(t, a.Events[i].Op, b.Events[i].Op)
				require.Equal(t, a.Events[i].Actor, b.Events[i].Actor)
				require.Equal(t, a.Events[i].Result, b.Events[i].Result)
			}
			require.Equal(t, len(a.StaleReads()) > 0, len(b.StaleReads()) > 0)
		})
	}
}

// TestSeedMatrix: every cell runs, its stale reads are truly stale, and a
// seed gives the same run each time while another seed gives another run.
func TestSeedMatrix(t *testing.T) {
	for _, c := range presets.MatrixCells {
		t.Run(c.Name, func(t *testing.T) {
			sc, err := presets.GetWith("seed-matrix", presets.MatrixCellParams(c, 1))
			require.NoError(t, err)
			readers, writers := 0, 0
			for _, a := range sc.Actors {
				switch a.Name[:6] {
				case "reader":
					readers++
				case "writer":
					writers++
				}
			}
			require.Equal(t, c.Readers, readers)
			require.Equal(t, c.Writers, writers)
			tl, err := engine.Run(sc, engine.Options{NoStates: true})
			require.NoError(t, err)
			for _, r := range tl.StaleReads() {
				var hist []timeline.Commit
				for _, cm := range tl.Commits {
					if cm.Key == r.Key {
						hist = append(hist, cm)
					}
				}
				require.True(t, engine.IsStale(hist, r.Served, r.Start, r.End))
			}
			again, err := engine.Run(sc, engine.Options{NoStates: true})
			require.NoError(t, err)
			require.Equal(t, tl.JSON(), again.JSON())
		})
	}
	a, err := presets.GetWith("seed-matrix", presets.Params{"seed": "1"})
	require.NoError(t, err)
	b, err := presets.GetWith("seed-matrix", presets.Params{"seed": "2"})
	require.NoError(t, err)
	require.NotEqual(t, a.Actors[0].At, b.Actors[0].At, "the seed drives the jitter")
	_, err = presets.GetWith("seed-matrix", presets.Params{"cell": "2h"})
	require.ErrorContains(t, err, "unknown cell")
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestPresetText compares the text rendering of every preset with its
// golden file in testdata/presets (rewrite with -update and review the
// diff).
func TestPresetText(t *testing.T) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			tl := runPreset(t, p.Scenario)
			got := tl.Text()
			path := filepath.Join("testdata", "presets", p.Name+".txt")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "missing golden file: run go test -run TestPresetText -update")
			require.Equal(t, string(want), got)
			if n := len(tl.StaleReads()); n > 0 {
				require.Contains(t, got, "STALE")
				require.Contains(t, got, fmt.Sprintf("verdict: %d stale read", n))
			} else {
				require.Contains(t, got, "verdict: no stale reads")
			}
		})
	}
}

// TestConsistencyModelsOnPresets teaches the three models on the presets:
// which reads each one blames.
func TestConsistencyModelsOnPresets(t *testing.T) {
	type blamed struct {
		actor   string
		anomaly timeline.Anomaly
	}
	cases := []struct {
		preset, model string
		want          []blamed
	}{
		// The window read overlaps the writer's operation (commit + DEL).
		{"cache-aside", "strict", []blamed{{"reader", timeline.StaleHit}}},
		{"cache-aside", "linearizable", nil},
		// It began exactly 1 ms after the commit: a commit counts as
		// current at its instant, so 1 ms is not enough, 2 ms is.
		{"cache-aside", "bounded:1ms", []blamed{{"reader", timeline.StaleHit}}},
		{"cache-aside", "bounded:2ms", nil},
		// The late read comes 6 ms after the commit, long after the DEL.
		{"stale-set", "strict", []blamed{{"reader", timeline.StaleSet}}},
		{"stale-set", "linearizable", []blamed{{"reader", timeline.StaleSet}}},
		{"stale-set", "bounded:1ms", []blamed{{"reader", timeline.StaleSet}}},
		{"stale-set", "bounded:10ms", nil},
		// TTL-only caching is correct under bounded staleness of its TTL.
		{"ttl-only", "strict", []blamed{{"reader", timeline.TTLStaleness}, {"reader", timeline.TTLStaleness}}},
		{"ttl-only", "bounded:100ms", []blamed{{"reader", timeline.TTLStaleness}}},
		{"ttl-only", "bounded:1s", nil},
		{"ttl-only", "bounded:5s", nil},
		// Each read alone overlaps the write; one after the other they
		// go back in time.
		{"new-old-inversion", "strict", []blamed{{"mobile-app", timeline.StaleHit}}},
		{"new-old-inversion", "linearizable", []blamed{{"mobile-app", timeline.NewOldInversion}}},
		{"lease", "linearizable", nil},
		{"versioned-cas", "linearizable", nil},
	}
	for _, c := range cases {
		t.Run(c.preset+"/"+c.model, func(t *testing.T) {
			sc, err := presets.Get(c.preset)
			require.NoError(t, err)
			sc.Consistency, err = engine.ParseConsistency(c.model)
			require.NoError(t, err)
			tl := runPreset(t, sc)
			require.Equal(t, c.model, tl.Consistency)
			var got []blamed
			for _, r := range tl.StaleReads() {
				got = append(got, blamed{r.Actor, r.Anomaly})
				require.NotEmpty(t, r.Why)
				if c.model != "strict" {
					require.Contains(t, r.Why, map[bool]string{true: "bounded", false: "before"}[strings.HasPrefix(c.model, "bounded")], r.Why)
				}
			}
			require.Equal(t, c.want, got)
			// Exploration judges by the same model: every schedule it calls
			// stale is stale when replayed.
			res, err := engine.Explore(t.Context(), sc, engine.ExploreOptions{Limit: 20000})
			require.NoError(t, err)
			require.Equal(t, c.model, res.Consistency)
			if res.Counterexample != nil {
				again, err := engine.Run(sc, engine.Options{Schedule: res.Counterexample.Schedule})
				require.NoError(t, err)
				require.NotEmpty(t, again.StaleReads())
			}
		})
	}
}
