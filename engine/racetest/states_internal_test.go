package racetest

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/singleflight"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/engine/racetest/examples/orders"
	"github.com/racetape/racetape/timeline"
)

// runSnapshotting runs a schedule drawn by rng (an actor, or now and then
// the clock) to the end, recording states, and also reads the whole cache
// and database after every step, as the recorder did before its log. It
// returns the record (not judged), the initial state and those states; a
// schedule the clock abandons gives engine.ErrPrune.
func runSnapshotting(w *world, rng *rand.Rand) (*timeline.Timeline, timeline.State, []timeline.State, error) {
	if err := w.startSchedule(true); err != nil {
		return nil, timeline.State{}, nil, err
	}
	whole := func() timeline.State {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.state()
	}
	initial := whole()
	var states []timeline.State
	var en []int
	for {
		en = w.Enabled(en[:0])
		if len(en) == 0 {
			break
		}
		p := en[rng.IntN(len(en))]
		if p == len(w.actors) && len(en) > 1 && rng.IntN(4) > 0 {
			p = en[0] // the clock, a quarter of the times it could move
		}
		if err := w.Step(p); err != nil {
			return nil, initial, nil, err
		}
		w.mu.Lock()
		stepped := len(w.rec.events) > len(states) // the last tick records none
		w.mu.Unlock()
		if stepped {
			states = append(states, whole())
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rec.timeline(w), initial, states, nil
}

// TestRecordedStatesMatchSnapshots: for Go code — the orders service's
// variants, with TTLs that run out during a run, timers, a Lua script, a
// pipeline, a transaction and a command the analysis does not know — the recorder's compact log gives back, after
// every step of random schedules, the whole state read from miniredis and
// the database.
func TestRecordedStatesMatchSnapshots(t *testing.T) {
	var group singleflight.Group
	for _, c := range []struct {
		name  string
		setup Setup
		make  func(env *Env) *orders.Service
	}{
		{"cache-aside", Setup{}, func(env *Env) *orders.Service { return orders.CacheAside(env.Redis(), env.DB()) }},
		{"seeded, expiring", Setup{Cache: map[string]Entry{"order:42": {Value: orders.Cancelled, TTL: 3 * time.Millisecond}}},
			func(env *Env) *orders.Service { return orders.CacheAside(env.Redis(), env.DB()) }},
		{"double-delete", Setup{}, func(env *Env) *orders.Service {
			s := orders.DoubleDelete(env.Redis(), env.DB(), 5*time.Millisecond)
			s.RefillDelay = 20 * time.Millisecond
			return s
		}},
		{"coalesced", Setup{}, func(env *Env) *orders.Service { return orders.Coalesced(env.Redis(), env.DB(), &group) }},
		{"fenced", Setup{}, func(env *Env) *orders.Service { return orders.Fenced(env.Redis(), env.DB(), env.Name()) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.setup.DB == nil {
				c.setup.DB = map[string]string{"order:42": orders.Cancelled}
			}
			h := New(t, c.setup)
			h.Actor("writer", func(env *Env) { c.make(env).MarkPaid(env.Ctx(), 42) })
			for _, name := range []string{"reader-1", "reader-2"} {
				h.Actor(name, func(env *Env) {
					s := c.make(env)
					env.Served("order:42", s.Status(env.Ctx(), 42))
					env.Served("order:42", s.Status(env.Ctx(), 42))
				})
			}
			requireRecordedAsSnapshots(t, h)
		})
	}
	t.Run("pipeline and transaction", func(t *testing.T) {
		h := New(t, Setup{})
		h.Actor("piper", func(env *Env) {
			_, _ = env.Redis().Pipelined(env.Ctx(), func(p redis.Pipeliner) error {
				p.Set(env.Ctx(), "a", "1", 2*time.Millisecond)
				p.Set(env.Ctx(), "b", "1", 0)
				return nil
			})
		})
		h.Actor("tx", func(env *Env) {
			_ = env.Redis().Watch(env.Ctx(), func(tx *redis.Tx) error {
				v, _ := tx.Get(env.Ctx(), "a").Result()
				_, err := tx.TxPipelined(env.Ctx(), func(p redis.Pipeliner) error {
					p.Set(env.Ctx(), "c", "saw "+v, 0)
					p.Del(env.Ctx(), "b")
					return nil
				})
				return err
			}, "a")
		})
		h.Actor("renamer", func(env *Env) {
			_ = env.Redis().Rename(env.Ctx(), "a", "e") // a command the analysis does not know: two keys change
		})
		requireRecordedAsSnapshots(t, h)
	})
}

// requireRecordedAsSnapshots runs random schedules of h and compares the
// recorded log with the whole states.
func requireRecordedAsSnapshots(t *testing.T, h *Harness) {
	t.Helper()
	runs := 0
	err := h.inBubble(func(w *world) error {
		for seed := uint64(1); runs < 12 && seed < 100; seed++ {
			tl, initial, states, err := runSnapshotting(w, rand.New(rand.NewPCG(seed, 7)))
			if errors.Is(err, engine.ErrPrune) {
				continue
			}
			if err != nil {
				return err
			}
			runs++
			require.Equal(t, initial, tl.Initial)
			require.Equal(t, initial, tl.StateAt(-1))
			require.Equal(t, len(states), tl.States.Len())
			for i, want := range states {
				require.Equal(t, want, tl.StateAt(i), "seed %d: state after step %d (%s %s)", seed, i, tl.Events[i].Actor, tl.Events[i].Command)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 12, runs)
}
