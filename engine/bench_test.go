package engine

import (
	"testing"
)

// BenchmarkRunCacheAside measures one full timed run of the seed story,
// including connecting the actors' go-redis clients to miniredis and the
// record of the state after every step.
func BenchmarkRunCacheAside(b *testing.B) {
	sc := cacheAside()
	b.ReportAllocs()
	steps := 0
	for b.Loop() {
		tl, err := Run(sc, Options{})
		if err != nil {
			b.Fatal(err)
		}
		steps += len(tl.Events)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(steps), "ns/step")
}

// BenchmarkStep measures a single step on a warm runner: one go-redis
// command over miniredis's in-process pipe plus the oracle's bookkeeping,
// with and without the record of the state after it.
func BenchmarkStep(b *testing.B) {
	for _, c := range []struct {
		name string
		opts Options
	}{{"states", Options{Schedule: []string{}}}, {"nostates", Options{Schedule: []string{}, NoStates: true}}} {
		b.Run(c.name, func(b *testing.B) {
			sc := cacheAside()
			r, err := NewRunner(sc, c.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			b.ReportAllocs()
			steps := 0
			for b.Loop() {
				en := r.Enabled()
				if len(en) == 0 {
					b.StopTimer()
					if err := r.Reset(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					continue
				}
				if _, err := r.Step(en[0]); err != nil {
					b.Fatal(err)
				}
				steps++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(steps, 1)), "ns/step")
		})
	}
}
