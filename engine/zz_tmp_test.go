package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/racetape/racetape/engine"
)

func TestZZCount(t *testing.T) {
	sc := cacheAsideN(2, false)
	res, _ := engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true})
	t.Logf("runs=%d stale=%d", res.SchedulesRun, res.StaleSchedules)
	start := time.Now()
	for range 100 {
		engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true})
	}
	t.Logf("per explore %v", time.Since(start)/100)
	sc.Actors = sc.Actors[:1]
	start = time.Now()
	for range 100 {
		engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true})
	}
	t.Logf("per explore writer only %v", time.Since(start)/100)
}

func BenchmarkZZEngine(b *testing.B) {
	sc := cacheAsideN(2, false)
	for b.Loop() {
		engine.Explore(context.Background(), sc, engine.ExploreOptions{NoReduction: true})
	}
}
