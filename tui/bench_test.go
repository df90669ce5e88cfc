package tui

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/racetape/racetape/timeline"
)

// The generated runs the benchmarks view, built once.
var (
	run10k      = sync.OnceValue(func() *tape { return newTape(syntheticTimeline(10_000, 8, 8, 1)) })
	run100k     = sync.OnceValue(func() *tape { return newTape(syntheticTimeline(100_000, 8, 8, 1)) })
	runManyKeys = sync.OnceValue(func() *tape { return newTape(manyKeysTimeline(10_000, 1000)) })
)

// manyKeysTimeline is a run of one writer over keys keys, each in the
// cache and the database from the start: step i commits key i·7 mod keys
// or sets it in the cache, one key per step.
func manyKeysTimeline(steps, keys int) *timeline.Timeline {
	key := func(i int) string { return fmt.Sprintf("key:%04d", i*7%keys) }
	tl := &timeline.Timeline{Scenario: "many-keys", Mode: "timed", Actors: []string{"writer"},
		Epoch: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC), Initial: timeline.State{Cache: []timeline.CacheEntry{}, DB: []timeline.Row{}}}
	for k := range keys {
		tl.Initial.Cache = append(tl.Initial.Cache, timeline.CacheEntry{Key: key(k * 183), Value: "v0", TTL: time.Hour})
		tl.Initial.DB = append(tl.Initial.DB, timeline.Row{Key: key(k * 183), Value: "v0", Version: 1, Actor: "seed"})
		tl.Commits = append(tl.Commits, timeline.Commit{Key: key(k * 183), Value: "v0", Version: 1, Actor: "seed", Event: -1, Seed: true})
	}
	slices.SortFunc(tl.Initial.Cache, func(a, b timeline.CacheEntry) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(tl.Initial.DB, func(a, b timeline.Row) int { return strings.Compare(a.Key, b.Key) })
	rec := timeline.NewStateRecorder(tl.Initial)
	for i := range steps {
		at := time.Duration(i+1) * ms
		e := timeline.Event{Seq: i, Actor: "writer", Step: i + 1, Key: key(i), Value: fmt.Sprint(i), Result: "ok", Start: at - ms, End: at}
		rec.Step(at)
		if i%2 == 0 {
			e.Op, e.Command, e.Version = "db.write", "COMMIT "+e.Key+" = "+e.Value, 2+i/keys
			rec.SetRow(timeline.Row{Key: e.Key, Value: e.Value, Version: e.Version, CommittedAt: at, Actor: "writer"})
			tl.Commits = append(tl.Commits, timeline.Commit{Key: e.Key, Value: e.Value, Version: e.Version, At: at, Actor: "writer", Event: i})
		} else {
			e.Op, e.Command = "cache.set", "SET "+e.Key+" "+e.Value+" PX 3600000"
			rec.SetCache(timeline.CacheEntry{Key: e.Key, Value: e.Value, TTL: time.Hour})
		}
		tl.Events = append(tl.Events, e)
		tl.Schedule = append(tl.Schedule, "writer")
	}
	tl.States = rec.Log()
	return tl
}

// benchModel is a 120×40 model on t, in color, with the cursor in the middle
// of the run.
func benchModel(b *testing.B, t *tape) Model {
	b.Helper()
	m := newModel([]Source{sourceOf(t.tl)}, 0, Options{}, colorStyles())
	m = update(b, m, loadedMsg{tape: t})
	m = update(b, m, windowSize(120, 40))
	m.pos = t.n / 2
	m.fit()
	return m
}

func benchView(b *testing.B, t *tape) {
	m := benchModel(b, t)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		_ = m.View()
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/1e6/float64(b.N), "ms/frame")
}

// BenchmarkView10k draws one frame of a 10,000-step run.
func BenchmarkView10k(b *testing.B) { benchView(b, run10k()) }

// BenchmarkView100k draws one frame of a 100,000-step run: it must cost
// about what a 10,000-step frame costs.
func BenchmarkView100k(b *testing.B) { benchView(b, run100k()) }

// BenchmarkViewManyKeys draws one frame of a 10,000-step run over 1,000
// keys: the state at the cursor is rebuilt from the nearest checkpoint of
// the state log, in time linear in the keys.
func BenchmarkViewManyKeys(b *testing.B) { benchView(b, runManyKeys()) }

// BenchmarkStepManyKeys is BenchmarkStep on the run over 1,000 keys.
func BenchmarkStepManyKeys(b *testing.B) { benchStepOn(b, runManyKeys(), false) }

// BenchmarkStep is a step keypress to its frame (Update + View) on the
// 100,000-step run, the whole run shown.
func BenchmarkStep(b *testing.B) { benchStep(b, false) }

// BenchmarkStepReveal is BenchmarkStep in reveal mode, where every track
// changes with the cursor.
func BenchmarkStepReveal(b *testing.B) { benchStep(b, true) }

func benchStep(b *testing.B, reveal bool) { benchStepOn(b, run100k(), reveal) }

func benchStepOn(b *testing.B, t *tape, reveal bool) {
	m := benchModel(b, t)
	m.reveal = reveal
	right, left := keyMsg("right"), keyMsg("left")
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	i := 0
	for b.Loop() {
		k := right
		if i%200 >= 100 {
			k = left
		}
		i++
		nm, _ := m.Update(k)
		m = nm.(Model)
		_ = m.View()
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/1e6/float64(b.N), "ms/frame")
}
