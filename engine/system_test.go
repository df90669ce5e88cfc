package engine_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// counters is a toy Target: actor i takes steps[i] steps, each touching
// key "k" (so no two commute); the clock is offered at every state and
// prunes itself (engine.ErrPrune). A schedule is "stale" when actor 1
// finishes first.
type counters struct {
	steps  []int
	taken  []int
	first  int
	resets *int
}

func (c *counters) Reset() error {
	c.taken = make([]int, len(c.steps))
	c.first = -1
	*c.resets++
	return nil
}

func (c *counters) Step(p int) error {
	if p == len(c.steps) {
		return engine.ErrPrune
	}
	c.taken[p]++
	if c.taken[p] == c.steps[p] && c.first < 0 {
		c.first = p
	}
	return nil
}

func (c *counters) Enabled(en []int) []int {
	any := false
	for i := range c.steps {
		if c.taken[i] < c.steps[i] {
			en = append(en, i)
			any = true
		}
	}
	if any {
		en = append(en, len(c.steps))
	}
	return en
}

func (c *counters) Footprint(int) engine.Footprint {
	return engine.Footprint{Info: &engine.StepInfo{Keys: []engine.KeyAccess{{Key: "k", Access: engine.CacheWrite}}}}
}

func (c *counters) Judge(_ []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	if c.first == 1 {
		return append(seen, timeline.StaleHit), true, nil
	}
	return seen, false, nil
}

func (c *counters) Close() {}

// TestSystemExplorer: a Target that is not a scenario is explored by the
// same search: every interleaving once (here 2+2 steps: 6), the clock's
// pruned steps counted, the best counterexample replayed by name.
func TestSystemExplorer(t *testing.T) {
	resets := 0
	sys := engine.System{
		Name: "counters", Actors: []string{"a", "b"},
		NewTarget: func() (engine.Target, error) { return &counters{steps: []int{2, 2}, resets: &resets}, nil },
		Replay: func(s []string) (*timeline.Timeline, error) {
			return &timeline.Timeline{Reads: []timeline.Read{{Stale: true, Anomaly: timeline.StaleHit}}}, nil
		},
	}
	ex, err := engine.NewSystemExplorer(sys, engine.ExploreOptions{})
	require.NoError(t, err)
	res, err := ex.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(6), res.SchedulesRun)
	require.Equal(t, int64(3), res.StaleSchedules) // b finishes first in 3 of 6
	require.Positive(t, res.Pruned)
	require.Equal(t, []string{"b", "b", "a", "a"}, res.Counterexample.Schedule)
	require.Len(t, res.Counterexamples, 1)
	require.Equal(t, timeline.StaleHit, res.Counterexamples[timeline.StaleHit].Anomaly)

	_, err = engine.NewSystemExplorer(engine.System{Name: "x"}, engine.ExploreOptions{})
	require.ErrorIs(t, err, engine.ErrExploreOptions)
	_, err = engine.NewSystemExplorer(sys, engine.ExploreOptions{RESP: true})
	require.ErrorIs(t, err, engine.ErrExploreOptions)

	// A limit stops the one search after that many schedules.
	ex, err = engine.NewSystemExplorer(sys, engine.ExploreOptions{Limit: 2})
	require.NoError(t, err)
	res, err = ex.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(2), res.SchedulesRun)
	require.False(t, res.Complete)
}

// TestCounterexamples: an exploration reports the best counterexample of
// each anomaly it found, which serves a read of it; the overall one is
// the best of them.
func TestCounterexamples(t *testing.T) {
	sc := cacheAsideN(2, false)
	res, err := engine.Explore(context.Background(), sc, engine.ExploreOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, res.Counterexamples)
	for a, ce := range res.Counterexamples {
		require.Equal(t, a, ce.Anomaly)
		tl, err := engine.Run(sc, engine.Options{Schedule: ce.Schedule})
		require.NoError(t, err)
		found := false
		for _, rd := range tl.StaleReads() {
			found = found || rd.Anomaly == ce.Anomaly
		}
		require.True(t, found, "%s's counterexample serves no read of it", ce.Anomaly)
		require.LessOrEqual(t, res.Counterexample.Preemptions, ce.Preemptions)
	}
	require.Equal(t, res.Counterexample.Schedule, res.Counterexamples[res.Counterexample.Anomaly].Schedule)
}
