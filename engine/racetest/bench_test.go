package racetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/engine/racetest"
	"github.com/racetape/racetape/engine/racetest/examples/orders"
)

// inTest runs f with a *testing.T, which a synctest bubble needs and a
// benchmark does not have: through testing.RunTests, once (RunTests runs
// its tests -count times).
func inTest(b *testing.B, f func(t *testing.T)) {
	b.Helper()
	ran := false
	ok := testing.RunTests(func(string, string) (bool, error) { return true, nil },
		[]testing.InternalTest{{Name: b.Name(), F: func(t *testing.T) {
			if !ran {
				ran = true
				f(t)
			}
		}}})
	if !ok {
		b.Fatal("the exploration failed")
	}
}

// cacheAsideScenario is the naive example as a scenario: 1 writer (commit,
// then DEL) and 2 readers (GET; on a miss, read the row and SET it).
func cacheAsideScenario() *engine.Scenario {
	reader := func(name string) engine.Actor {
		return engine.Actor{Name: name, Steps: []engine.Step{
			{Op: engine.OpCacheGet, Key: "order:42", Took: time.Millisecond},
			{Op: engine.OpIf, Cond: "miss", Then: []engine.Step{
				{Op: engine.OpDBRead, Key: "order:42", Took: time.Millisecond},
				{Op: engine.OpCacheSet, Key: "order:42", TTL: orders.TTL, Took: time.Millisecond},
			}},
		}}
	}
	return &engine.Scenario{Name: "cache-aside-1w2r", DB: []engine.Seed{{Key: "order:42", Value: orders.Cancelled}},
		Actors: []engine.Actor{
			{Name: "writer", Steps: []engine.Step{
				{Op: engine.OpDBWrite, Key: "order:42", Value: orders.Paid, HasValue: true, Took: time.Millisecond},
				{Op: engine.OpCacheDel, Key: "order:42", Took: time.Millisecond},
			}},
			reader("reader-1"), reader("reader-2"),
		}}
}

// BenchmarkNaiveExploreVsScenario explores the naive cache-aside example
// with 1 writer + 2 readers exhaustively, as Go code under racetest and as
// the equivalent YAML scenario on the engine, back to back in each
// iteration. It reports both rates in schedules per second, their ratio,
// and the wall time of one racetest exploration (goal: at least 5,000
// schedules/s, and under 1 s).
func BenchmarkNaiveExploreVsScenario(b *testing.B) {
	sc := cacheAsideScenario()
	var goTime, scTime time.Duration
	var goRuns, goSteps, scRuns, explorations int64
	for b.Loop() {
		inTest(b, func(t *testing.T) {
			h := ordersHarness(t, racetest.Setup{}, func(env *racetest.Env) *orders.Service {
				return orders.CacheAside(env.Redis(), env.DB())
			})
			start := time.Now()
			rep, err := h.Check()
			goTime += time.Since(start)
			if err != nil || !rep.Result.Complete {
				t.Fatal(err)
			}
			goRuns += rep.Result.SchedulesRun
			goSteps += rep.Result.Steps
			explorations++
		})
		start := time.Now()
		res, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{})
		scTime += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		scRuns += res.SchedulesRun
	}
	goRate := float64(goRuns) / goTime.Seconds()
	scRate := float64(scRuns) / scTime.Seconds()
	b.ReportMetric(goRate, "racetest-schedules/s")
	b.ReportMetric(scRate, "scenario-schedules/s")
	b.ReportMetric(goRate/scRate, "racetest/scenario")
	b.ReportMetric(float64(goTime.Milliseconds())/float64(explorations), "racetest-ms/exploration")
	b.ReportMetric(float64(goRuns)/float64(explorations), "racetest-schedules")
	b.ReportMetric(float64(goSteps)/float64(goRuns), "racetest-steps/schedule")
	b.ReportMetric(float64(scRuns)/float64(b.N), "scenario-schedules")
}
