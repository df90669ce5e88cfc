package racetest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/singleflight"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/engine/racetest"
	"github.com/racetape/racetape/engine/racetest/examples/orders"
	"github.com/racetape/racetape/timeline"
)

// ordersHarness is 1 writer + 2 readers of order 42 on a service variant
// (make builds it for one actor), from a database that has CANCELLED and
// an empty cache.
func ordersHarness(t *testing.T, setup racetest.Setup, make func(env *racetest.Env) *orders.Service) *racetest.Harness {
	return ordersHarnessReads(t, setup, 1, make)
}

// ordersHarnessReads is ordersHarness with readers that each read reads
// times.
func ordersHarnessReads(t *testing.T, setup racetest.Setup, reads int, make func(env *racetest.Env) *orders.Service) *racetest.Harness {
	t.Helper()
	if setup.DB == nil {
		setup.DB = map[string]string{"order:42": orders.Cancelled}
	}
	h := racetest.New(t, setup)
	h.Actor("writer", func(env *racetest.Env) { make(env).MarkPaid(env.Ctx(), 42) })
	for _, name := range []string{"reader-1", "reader-2"} {
		h.Actor(name, func(env *racetest.Env) {
			s := make(env)
			for range reads {
				env.Served("order:42", s.Status(env.Ctx(), 42))
			}
		})
	}
	return h
}

func check(t *testing.T, h *racetest.Harness) *racetest.Report {
	t.Helper()
	rep, err := h.Check()
	require.NoError(t, err)
	require.True(t, rep.Result.Complete, "search incomplete")
	return rep
}

func TestNaiveVariantsFindTheirRace(t *testing.T) {
	var group singleflight.Group
	for _, c := range []struct {
		name  string
		setup racetest.Setup
		reads int
		make  func(env *racetest.Env) *orders.Service
		want  []timeline.Anomaly
	}{
		{"cache-aside", racetest.Setup{}, 1, func(env *racetest.Env) *orders.Service {
			return orders.CacheAside(env.Redis(), env.DB())
		}, []timeline.Anomaly{timeline.StaleHit, timeline.StaleSet}},
		{"cache-aside-seeded", racetest.Setup{Cache: map[string]racetest.Entry{"order:42": {Value: orders.Cancelled, TTL: orders.TTL}}}, 1,
			func(env *racetest.Env) *orders.Service { return orders.CacheAside(env.Redis(), env.DB()) },
			[]timeline.Anomaly{timeline.StaleHit}},
		{"cache-aside-slow-refill", racetest.Setup{}, 1, func(env *racetest.Env) *orders.Service {
			s := orders.CacheAside(env.Redis(), env.DB())
			s.RefillDelay = 20 * time.Millisecond
			return s
		}, []timeline.Anomaly{timeline.StaleHit, timeline.StaleSet}},
		{"delete-then-update", racetest.Setup{}, 1, func(env *racetest.Env) *orders.Service {
			return orders.DeleteThenUpdate(env.Redis(), env.DB())
		}, []timeline.Anomaly{timeline.StaleSet, timeline.TTLStaleness}},
		{"double-delete", racetest.Setup{}, 1, func(env *racetest.Env) *orders.Service {
			s := orders.DoubleDelete(env.Redis(), env.DB(), 5*time.Millisecond)
			s.RefillDelay = 20 * time.Millisecond
			return s
		}, []timeline.Anomaly{timeline.LostInvalidation}},
		{"coalesced", racetest.Setup{}, 2, func(env *racetest.Env) *orders.Service {
			return orders.Coalesced(env.Redis(), env.DB(), &group)
		}, []timeline.Anomaly{timeline.StaleHit, timeline.StaleSet}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := check(t, ordersHarnessReads(t, c.setup, c.reads, c.make))
			t.Logf("%d schedules, %d stale, pruned %d: %v", rep.Result.SchedulesRun, rep.Result.StaleSchedules, rep.Result.Pruned, rep.Anomalies())
			for _, a := range c.want {
				require.Contains(t, rep.Anomalies(), a)
			}
			for _, f := range rep.Findings {
				require.FileExists(t, f.Tape)
				require.NotEmpty(t, f.Timeline.StaleReads())
			}
		})
	}
}

func TestFencedPassesExhaustively(t *testing.T) {
	for _, cons := range []string{"strict", "linearizable", "bounded:1ms"} {
		t.Run(cons, func(t *testing.T) {
			c, err := engine.ParseConsistency(cons)
			require.NoError(t, err)
			rep := check(t, ordersHarness(t, racetest.Setup{Consistency: c, Cache: map[string]racetest.Entry{"order:42": {Value: orders.Cancelled, TTL: orders.TTL}}},
				func(env *racetest.Env) *orders.Service { return orders.Fenced(env.Redis(), env.DB(), env.Name()) }))
			t.Logf("%d schedules, pruned %d", rep.Result.SchedulesRun, rep.Result.Pruned)
			require.False(t, rep.Stale(), rep.String(t.Name()))
			require.Greater(t, rep.Result.SchedulesRun, int64(10))
		})
	}
}

// TestSearchCutShortFails: an exhaustive search that stops at its limit
// without finding a stale read fails the test; with no limit (-1) it
// covers every schedule and passes.
func TestSearchCutShortFails(t *testing.T) {
	fenced := func(env *racetest.Env) *orders.Service { return orders.Fenced(env.Redis(), env.DB(), env.Name()) }
	h := ordersHarness(t, racetest.Setup{Search: engine.ExploreOptions{Limit: 3}}, fenced)
	rep, err := h.Check()
	require.NoError(t, err)
	require.False(t, rep.Result.Complete)
	msgs := h.Failures(rep)
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0], "without covering every schedule")

	h = ordersHarness(t, racetest.Setup{Search: engine.ExploreOptions{Limit: -1}}, fenced)
	rep = check(t, h)
	require.True(t, rep.Result.Complete)
	require.Empty(t, h.Failures(rep))
}
