package racetest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/engine/racetest"
	"github.com/racetape/racetape/engine/racetest/examples/orders"
	"github.com/racetape/racetape/timeline"
)

// TestConsistencyModels: the naive cache-aside under each model. Under
// linearizable the writer's function is one operation (commit and DEL), so
// a read inside it may return either side: the stale hit is gone, the
// stale set (which outlives it) is not. bounded:1s forgives both.
func TestConsistencyModels(t *testing.T) {
	for _, c := range []struct {
		model string
		want  []timeline.Anomaly
	}{
		{"strict", []timeline.Anomaly{timeline.StaleHit, timeline.StaleSet}},
		{"linearizable", []timeline.Anomaly{timeline.StaleSet}},
		{"bounded:1s", nil},
	} {
		t.Run(c.model, func(t *testing.T) {
			cons, err := engine.ParseConsistency(c.model)
			require.NoError(t, err)
			h := ordersHarness(t, racetest.Setup{Consistency: cons}, func(env *racetest.Env) *orders.Service {
				return orders.CacheAside(env.Redis(), env.DB())
			})
			rep := check(t, h)
			require.Equal(t, c.want, rep.Anomalies())
			require.Equal(t, c.model, rep.Result.Consistency)
		})
	}
}

// TestOpMakesOneOperation: without env.Op, the writer's function is one
// write operation (the commit and the DEL after it); with env.Op around
// the commit alone, the operation is the commit alone.
func TestOpMakesOneOperation(t *testing.T) {
	for _, withOp := range []bool{false, true} {
		h := racetest.New(t, racetest.Setup{Consistency: engine.Consistency{Model: engine.Linearizable}, DB: map[string]string{"k": "old"}})
		h.Actor("writer", func(env *racetest.Env) {
			if withOp {
				env.Op("commit", func() { env.DB().Put("k", "new") })
			} else {
				env.DB().Put("k", "new")
			}
			env.Redis().Del(env.Ctx(), "k")
		})
		tl, err := h.Replay("writer writer")
		require.NoError(t, err)
		require.Len(t, tl.Operations, 1)
		if withOp {
			require.Equal(t, []int{0}, tl.Operations[0].Events)
			require.Equal(t, "op commit", tl.Events[0].Note)
		} else {
			require.Equal(t, []int{0, 1}, tl.Operations[0].Events)
		}
	}
}

// TestPipelineAndTransaction: a pipeline's commands are steps of their
// own, a MULTI/EXEC one step, and WATCH makes EXEC fail when the key
// changed in between.
func TestPipelineAndTransaction(t *testing.T) {
	h := racetest.New(t, racetest.Setup{})
	h.Actor("piper", func(env *racetest.Env) {
		_, err := env.Redis().Pipelined(env.Ctx(), func(p redis.Pipeliner) error {
			p.Set(env.Ctx(), "a", "1", 0)
			p.Set(env.Ctx(), "b", "1", 0)
			return nil
		})
		require.NoError(t, err)
	})
	h.Actor("tx", func(env *racetest.Env) {
		rdb := env.Redis()
		err := rdb.Watch(env.Ctx(), func(tx *redis.Tx) error {
			v, _ := tx.Get(env.Ctx(), "a").Result()
			_, err := tx.TxPipelined(env.Ctx(), func(p redis.Pipeliner) error {
				p.Set(env.Ctx(), "c", "saw "+v, 0)
				p.Del(env.Ctx(), "b")
				return nil
			})
			return err
		}, "a")
		if err != nil && !errors.Is(err, redis.TxFailedErr) {
			t.Error(err)
		}
	})
	// WATCH a, GET a, SET a (the piper), EXEC: refused.
	tl, err := h.Replay("tx tx piper tx piper")
	require.NoError(t, err)
	var cmds []string
	for _, ev := range tl.Events {
		cmds = append(cmds, ev.Actor+": "+ev.Command+" → "+ev.Result)
	}
	require.Equal(t, []string{
		"tx: WATCH a → ok",
		"tx: GET a → miss",
		"piper: SET a 1 → ok",
		"tx: MULTI; SET c \"saw \"; DEL b; EXEC → fail",
		"piper: SET b 1 → ok",
	}, cmds)
	rep := check(t, h)
	require.False(t, rep.Stale())
	require.Greater(t, rep.Result.SchedulesRun, int64(3))
}

// TestReportNamesTheFix: what Explore fails the test with, per anomaly.
func TestReportText(t *testing.T) {
	rep := check(t, naive(t))
	text := rep.String("TestX")
	for _, want := range []string{
		"stale-hit: the cache still held the old value",
		"stale-set: a cache.set wrote a value older",
		"replay:   RACETEST_SCHEDULE=",
		"racetape tui " + rep.Findings[0].Tape,
		"✗ STALE served CANCELLED, current PAID",
		"verdict: ",
	} {
		require.Contains(t, text, want)
	}
}

// TestScheduleFromEnvironment: RACETEST_SCHEDULE makes Explore run that
// schedule only.
func TestScheduleFromEnvironment(t *testing.T) {
	t.Setenv("RACETEST_SCHEDULE", "writer*2 reader-1*3 reader-2")
	h := naive(t)
	require.Nil(t, h.Explore(), "one schedule run, no exploration")
	t.Setenv("RACETEST_SCHEDULE", "")
	tl, err := h.Replay("writer*2 reader-1*3 reader-2")
	require.NoError(t, err)
	require.Empty(t, tl.StaleReads())
	require.Equal(t, "writer writer reader-1 reader-1 reader-1 reader-2", strings.Join(tl.Schedule, " "))
}

// TestBadSchedules are errors that say what is wrong.
func TestBadSchedules(t *testing.T) {
	h := naive(t)
	for sched, want := range map[string]string{
		"nobody":          `names unknown actor "nobody"`,
		"writer*3":        "writer cannot move there",
		"writer reader-1": "the schedule ends with steps left for",
		"":                "bad schedule",
	} {
		_, err := h.Replay(sched)
		require.ErrorContains(t, err, want, sched)
	}
}

// TestDelayedDeleteIsExplorable: the second DEL of a time.AfterFunc lands
// anywhere the clock can take it, shown as a clock step in the lanes.
func TestDelayedDeleteIsExplorable(t *testing.T) {
	h := ordersHarness(t, racetest.Setup{}, func(env *racetest.Env) *orders.Service {
		s := orders.DoubleDelete(env.Redis(), env.DB(), 5*time.Millisecond)
		s.RefillDelay = 20 * time.Millisecond
		return s
	})
	rep := check(t, h)
	var f *racetest.Finding
	for i := range rep.Findings {
		if rep.Findings[i].Anomaly == timeline.LostInvalidation {
			f = &rep.Findings[i]
		}
	}
	require.NotNil(t, f)
	require.Contains(t, f.Timeline.Actors, timeline.ClockActor)
	dels := 0
	for _, ev := range f.Timeline.Events {
		if ev.Actor == "writer" && ev.Op == "cache.del" {
			dels++
		}
	}
	require.Equal(t, 2, dels)
	_ = context.Background()
}

// TestSampledSearch: random and PCT sampling with a seed find the naive
// example's races too, and the same seed gives the same result.
func TestSampledSearch(t *testing.T) {
	for _, opts := range []engine.ExploreOptions{
		{Mode: engine.Random, Samples: 200, Seed: 7},
		{Mode: engine.PCT, Samples: 200, Depth: 3, Seed: 7},
	} {
		t.Run(opts.Mode.String(), func(t *testing.T) {
			run := func() *racetest.Report {
				h := ordersHarness(t, racetest.Setup{Search: opts}, func(env *racetest.Env) *orders.Service {
					return orders.CacheAside(env.Redis(), env.DB())
				})
				rep, err := h.Check()
				require.NoError(t, err)
				return rep
			}
			a, b := run(), run()
			require.Contains(t, a.Anomalies(), timeline.StaleHit)
			require.Equal(t, a.Result.StaleSchedules, b.Result.StaleSchedules)
			require.Equal(t, a.Findings[0].Schedule, b.Findings[0].Schedule)
		})
	}
}

// TestDecodedValueIsUnexplained: the cache holds an encoded value, and the
// reader serves the value it decodes. A stale read is then named
// "unexplained" (no step observed the value served), never a database
// read at the instant of a commit.
func TestDecodedValueIsUnexplained(t *testing.T) {
	h := racetest.New(t, racetest.Setup{
		DB:    map[string]string{"user:7": "alice"},
		Cache: map[string]racetest.Entry{"user:7": {Value: "1|alice", TTL: time.Minute}},
	})
	h.Actor("writer", func(env *racetest.Env) {
		env.DB().Put("user:7", "alicia")
		env.Redis().Del(env.Ctx(), "user:7")
	})
	h.Actor("reader", func(env *racetest.Env) {
		raw, err := env.Redis().Get(env.Ctx(), "user:7").Result()
		if err != nil {
			v, _ := env.DB().Get("user:7")
			env.Redis().Set(env.Ctx(), "user:7", "1|"+v, time.Minute)
			env.Served("user:7", v)
			return
		}
		env.Served("user:7", strings.TrimPrefix(raw, "1|"))
	})
	rep, err := h.Check()
	require.NoError(t, err)
	require.Equal(t, []timeline.Anomaly{timeline.Unexplained}, rep.Anomalies())
	for _, f := range rep.Findings {
		for _, r := range f.Timeline.StaleReads() {
			require.Equal(t, timeline.Unexplained, r.Anomaly)
			require.NotContains(t, r.Why, "same instant")
			require.Contains(t, r.Why, "none of its steps")
		}
	}
}
