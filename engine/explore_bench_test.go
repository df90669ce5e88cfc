package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
)

// BenchmarkExploreVsRawModel measures exhaustive exploration (no
// reduction) of the 1-writer-2-reader cache-aside scenario, next to a raw
// model of the same protocol on Go maps explored the same way (stateless
// depth-first search, replaying the prefix on backtrack). Each iteration
// times one of each, back to back, so both see the same machine load; the
// ratio is engine/raw. Goal: at least 1/3.
func BenchmarkExploreVsRawModel(b *testing.B) {
	sc := cacheAsideN(2, false)
	want, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true})
	if err != nil {
		b.Fatal(err)
	}
	m := newRawModel(2)
	b.ReportAllocs()
	var engineTime, rawTime time.Duration
	var engineRuns, rawRuns int64
	for b.Loop() {
		start := time.Now()
		res, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true})
		if err != nil {
			b.Fatal(err)
		}
		engineTime += time.Since(start)
		engineRuns += res.SchedulesRun

		start = time.Now()
		for range 10 {
			r, stale := m.explore()
			if int64(r) != want.SchedulesRun || int64(stale) != want.StaleSchedules {
				b.Fatalf("raw model: %d schedules, %d stale; engine: %d, %d", r, stale, want.SchedulesRun, want.StaleSchedules)
			}
			rawRuns += int64(r)
		}
		rawTime += time.Since(start)
	}
	engineRate := float64(engineRuns) / engineTime.Seconds()
	rawRate := float64(rawRuns) / rawTime.Seconds()
	b.ReportMetric(engineRate, "engine-schedules/s")
	b.ReportMetric(rawRate, "raw-schedules/s")
	b.ReportMetric(engineRate/rawRate, "engine/raw")
}

// BenchmarkReduction is the table, side by side in one run: the
// protocol of writersReaders explored exhaustively on one core with the
// sleep sets of before, with optimal DPOR, with observers (the default
// without identical actors), and with symmetry (the default here; it
// leaves observers off). It reports the schedules
// run, the prefixes abandoned and the milliseconds per exploration.
// Goals: 1 writer + 5 readers with at least 20 times fewer schedules than
// sleep sets, in at most 0.2 s; 2 writers + 4 readers in at most 2 s; 10
// actors whose steps all take no time in at most 5 s, none abandoned.
func BenchmarkReduction(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	searches := []struct {
		name string
		opts engine.ExploreOptions
	}{
		{"sleep-sets", engine.SleepSets(engine.ExploreOptions{})},
		{"optimal-dpor", engine.ExploreOptions{NoSymmetry: true, NoObservers: true}},
		{"observers", engine.ExploreOptions{NoSymmetry: true}},
		{"symmetry", engine.ExploreOptions{}},
	}
	for _, c := range []struct {
		w, r     int
		zero     bool
		searches int // the first ones are too slow to repeat
	}{{1, 3, false, 0}, {1, 4, false, 0}, {1, 5, false, 0}, {2, 4, false, 1}, {1, 9, true, 3}} {
		sc := writersReaders(c.w, c.r, c.zero)
		name := sc.Name
		if c.zero {
			name = "zero-" + name
		}
		for _, s := range searches[c.searches:] {
			b.Run(name+"/"+s.name, func(b *testing.B) {
				var res *engine.ExploreResult
				for b.Loop() {
					var err error
					if res, err = engine.Explore(context.Background(), sc, s.opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(res.SchedulesRun), "schedules")
				b.ReportMetric(float64(res.Pruned), "abandoned")
				b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/exploration")
			})
		}
	}
}

// BenchmarkBounded compares the bounded search without and with the
// reduction (which stays on under a bound and counts classes), side by
// side: 1 writer + 5 readers within 0, 1 and 2 preemptions.
func BenchmarkBounded(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sc := writersReaders(1, 5, false)
	for k := range 3 {
		for _, naive := range []bool{true, false} {
			name := fmt.Sprintf("k=%d/reduced", k)
			if naive {
				name = fmt.Sprintf("k=%d/naive", k)
			}
			b.Run(name, func(b *testing.B) {
				var res *engine.ExploreResult
				for b.Loop() {
					var err error
					opts := engine.ExploreOptions{Bounded: true, MaxPreemptions: k, NoReduction: naive}
					if res, err = engine.Explore(context.Background(), sc, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(res.SchedulesRun), "schedules")
				b.ReportMetric(float64(res.Uncounted), "uncounted")
				b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/exploration")
			})
		}
	}
}

// BenchmarkMoonshot estimates the search the moonshot asks for:
// seed-matrix's first cell (10 readers, 5 writers), every schedule within
// 2 preemptions. Its key expires during a run, so nearly every step
// depends on every other and the classes are about as many as the
// schedules: it reports the estimate, not a search.
func BenchmarkMoonshot(b *testing.B) {
	sc, err := presets.Get("seed-matrix")
	if err != nil {
		b.Fatal(err)
	}
	ex, err := engine.NewExplorer(sc, engine.ExploreOptions{Bounded: true, MaxPreemptions: 2})
	if err != nil {
		b.Fatal(err)
	}
	var est engine.Estimate
	for b.Loop() {
		if est, err = ex.Estimate(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(est.Schedules, "schedules-estimated")
	b.ReportMetric(est.RelError, "rel-error")
}

// BenchmarkWorkers compares 1 and 2 workers on the naive exploration of 1
// writer + 3 readers, back to back in each iteration. Goal: 2 workers at
// least 1.6 times the rate of one (on two cores).
func BenchmarkWorkers(b *testing.B) {
	sc := cacheAsideN(3, false)
	var took [3]time.Duration
	var runs [3]int64
	for b.Loop() {
		for _, w := range []int{1, 2} {
			start := time.Now()
			res, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true, Workers: w})
			if err != nil {
				b.Fatal(err)
			}
			took[w] += time.Since(start)
			runs[w] += res.SchedulesRun
		}
	}
	one := float64(runs[1]) / took[1].Seconds()
	two := float64(runs[2]) / took[2].Seconds()
	b.ReportMetric(one, "1-worker-schedules/s")
	b.ReportMetric(two, "2-worker-schedules/s")
	b.ReportMetric(two/one, "speedup")
}

// BenchmarkAllocsPerSchedule reports heap allocations per schedule in
// random mode on 1 writer + 3 readers (exploration setup included, spread
// over 10 000 schedules).
func BenchmarkAllocsPerSchedule(b *testing.B) {
	sc := cacheAsideN(3, false)
	const n = 10000
	var ms runtime.MemStats
	var allocs uint64
	for b.Loop() {
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		if _, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{Mode: engine.Random, Samples: n, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		allocs += ms.Mallocs - before
	}
	b.ReportMetric(float64(allocs)/float64(b.N*n), "allocs/schedule")
}

// rawModel is the protocol of cacheAsideN on plain Go values: a map for the
// cache, a slice of commits for the row, the actors as program counters.
// It runs in schedule mode like the engine (each step starts when the
// previous one ends, with the same durations) and judges reads with the
// same oracle.
type rawModel struct {
	readers int
	cache   map[string]string
	hist    []rawCommit
	now     time.Duration
	pc      []int // per actor: next step, -1 when done
	val     []string
	start   []time.Duration
	reads   []rawRead
	path    []int
}

type rawCommit struct {
	value string
	at    time.Duration
}

type rawRead struct {
	served     string
	start, end time.Duration
}

func newRawModel(readers int) *rawModel {
	return &rawModel{
		readers: readers, cache: map[string]string{},
		pc: make([]int, readers+1), val: make([]string, readers+1), start: make([]time.Duration, readers+1),
	}
}

func (m *rawModel) reset() {
	clear(m.cache)
	m.hist = append(m.hist[:0], rawCommit{"OLD", 0})
	m.now = 0
	clear(m.pc)
	m.reads = m.reads[:0]
}

// step runs actor a's next step: actor 0 is the writer.
func (m *rawModel) step(a int) {
	const ms = time.Millisecond
	if a == 0 {
		switch m.pc[0] {
		case 0:
			m.now += 3 * ms
			m.hist = append(m.hist, rawCommit{"NEW", m.now})
			m.pc[0] = 1
		case 1:
			m.now += 2 * ms
			delete(m.cache, "k")
			m.pc[0] = -1
		}
		return
	}
	switch m.pc[a] {
	case 0:
		m.start[a] = m.now
		m.now += ms / 2
		if v, ok := m.cache["k"]; ok {
			m.reads = append(m.reads, rawRead{v, m.start[a], m.now})
			m.pc[a] = -1
			return
		}
		m.pc[a] = 1
	case 1:
		m.now += 2 * ms
		m.val[a] = m.hist[len(m.hist)-1].value
		m.pc[a] = 2
	case 2:
		m.now += ms
		m.cache["k"] = m.val[a]
		m.reads = append(m.reads, rawRead{m.val[a], m.start[a], m.now})
		m.pc[a] = -1
	}
}

func (m *rawModel) stale() bool {
	for _, rd := range m.reads {
		cur, ok := "", false
		for _, c := range m.hist {
			if c.at <= rd.start {
				cur = c.value
			} else if c.at <= rd.end && c.value == rd.served {
				ok = true
			}
		}
		if !ok && cur != rd.served {
			return true
		}
	}
	return false
}

// explore enumerates every schedule, depth first, replaying the prefix
// from the initial state whenever it backtracks.
func (m *rawModel) explore() (runs, stale int) {
	m.reset()
	m.path = m.path[:0]
	var rec func()
	rec = func() {
		var buf [8]int
		en := buf[:0]
		for a, pc := range m.pc {
			if pc >= 0 {
				en = append(en, a)
			}
		}
		first := true
		for _, a := range en {
			if !first {
				m.reset()
				for _, p := range m.path {
					m.step(p)
				}
			}
			first = false
			m.step(a)
			m.path = append(m.path, a)
			rec()
			m.path = m.path[:len(m.path)-1]
		}
		if first {
			runs++
			if m.stale() {
				stale++
			}
		}
	}
	rec()
	return runs, stale
}
