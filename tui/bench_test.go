package tui

import (
	"sync"
	"testing"
	"time"
)

// The generated runs the benchmarks view, built once.
var (
	run10k  = sync.OnceValue(func() *tape { return newTape(syntheticTimeline(10_000, 8, 8, 1)) })
	run100k = sync.OnceValue(func() *tape { return newTape(syntheticTimeline(100_000, 8, 8, 1)) })
)

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

// BenchmarkStep is a step keypress to its frame (Update + View) on the
// 100,000-step run, the whole run shown.
func BenchmarkStep(b *testing.B) { benchStep(b, false) }

// BenchmarkStepReveal is BenchmarkStep in reveal mode, where every track
// changes with the cursor.
func BenchmarkStepReveal(b *testing.B) { benchStep(b, true) }

func benchStep(b *testing.B, reveal bool) {
	m := benchModel(b, run100k())
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
