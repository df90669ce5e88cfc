package racetest_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine/racetest"
	"github.com/racetape/racetape/engine/racetest/examples/orders"
	"github.com/racetape/racetape/timeline"
)

// naive is the cache-aside example with 1 writer + 2 readers.
func naive(t *testing.T) *racetest.Harness {
	return ordersHarness(t, racetest.Setup{}, func(env *racetest.Env) *orders.Service {
		return orders.CacheAside(env.Redis(), env.DB())
	})
}

// TestReplayIsExact: a failing schedule replays to the same tape, 100
// times, in one bubble after another.
func TestReplayIsExact(t *testing.T) {
	h := naive(t)
	rep, err := h.Check()
	require.NoError(t, err)
	require.True(t, rep.Stale())
	f := rep.Findings[0]
	want := string(f.Timeline.TapeJSON())
	for range 100 {
		tl, err := h.Replay(f.Schedule)
		require.NoError(t, err)
		require.Equal(t, want, string(tl.TapeJSON()))
	}
}

// TestSameTapeAnyGOMAXPROCS: the same schedule gives the same tape
// whatever GOMAXPROCS (and under -race, when the tests run with it).
func TestSameTapeAnyGOMAXPROCS(t *testing.T) {
	h := naive(t)
	const sched = "reader-1*2 writer reader-2 reader-1 reader-2*2 writer"
	var tapes []string
	for _, procs := range []int{1, 2, 4} {
		prev := runtime.GOMAXPROCS(procs)
		tl, err := h.Replay(sched)
		runtime.GOMAXPROCS(prev)
		require.NoError(t, err)
		tapes = append(tapes, string(tl.TapeJSON()))
	}
	require.Equal(t, tapes[0], tapes[1])
	require.Equal(t, tapes[0], tapes[2])
}

func TestPanicIsReportedWithItsSchedule(t *testing.T) {
	h := racetest.New(t, racetest.Setup{DB: map[string]string{"k": "v"}})
	h.Actor("writer", func(env *racetest.Env) { env.DB().Put("k", "w") })
	h.Actor("reader", func(env *racetest.Env) {
		if v, _ := env.DB().Get("k"); v == "w" {
			panic("saw the write")
		}
	})
	_, err := h.Check()
	var se *racetest.ScheduleError
	require.ErrorAs(t, err, &se)
	var pe *racetest.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "reader", pe.Actor)
	require.Equal(t, "saw the write", pe.Value)
	require.Equal(t, "writer reader", se.Schedule)
	require.Contains(t, err.Error(), "schedule: writer reader")
}

func TestDeadlockIsReported(t *testing.T) {
	h := racetest.New(t, racetest.Setup{})
	h.Actor("a", func(env *racetest.Env) {
		env.Redis().Get(env.Ctx(), "k")
		select {} // waits for nobody
	})
	h.Actor("b", func(env *racetest.Env) { env.Redis().Set(env.Ctx(), "k", "v", 0) })
	_, err := h.Check()
	require.ErrorContains(t, err, "deadlock: a blocked")
}

func TestStepBudget(t *testing.T) {
	h := racetest.New(t, racetest.Setup{MaxSteps: 50})
	h.Actor("spinner", func(env *racetest.Env) {
		for {
			env.Redis().Incr(env.Ctx(), "n")
		}
	})
	_, err := h.Check()
	require.ErrorContains(t, err, "step budget of 50 steps")
}

func TestForeignClientIsReported(t *testing.T) {
	h := racetest.New(t, racetest.Setup{})
	h.Actor("a", func(env *racetest.Env) {
		// A client that dials the run's server but skips the process
		// hooks: its commands reach miniredis behind the scheduler's back.
		hook := env.Hook()
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", Protocol: 2, DisableIdentity: true, MaxRetries: -1,
			Dialer: func(ctx context.Context, n, a string) (net.Conn, error) { return hook.DialHook(nil)(ctx, n, a) }})
		defer rdb.Close()
		rdb.Set(env.Ctx(), "k", "v", 0)
	})
	_, err := h.Check()
	require.ErrorContains(t, err, "reached miniredis outside the scheduler")
}

// TestOwnClientWithHook: a client the code builds itself runs under the
// scheduler once it has env.Hook().
func TestOwnClientWithHook(t *testing.T) {
	h := racetest.New(t, racetest.Setup{DB: map[string]string{"order:42": orders.Cancelled}})
	own := func(env *racetest.Env) *redis.Client {
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		rdb.AddHook(env.Hook())
		return rdb
	}
	h.Actor("writer", func(env *racetest.Env) {
		rdb := own(env)
		defer rdb.Close()
		orders.CacheAside(rdb, env.DB()).MarkPaid(env.Ctx(), 42)
	})
	for _, name := range []string{"reader-1", "reader-2"} {
		h.Actor(name, func(env *racetest.Env) {
			rdb := own(env)
			defer rdb.Close()
			env.Served("order:42", orders.CacheAside(rdb, env.DB()).Status(env.Ctx(), 42))
		})
	}
	rep, err := h.Check()
	require.NoError(t, err)
	require.Equal(t, naiveAnomalies(t), rep.Anomalies())
}

func naiveAnomalies(t *testing.T) []timeline.Anomaly {
	rep, err := naive(t).Check()
	require.NoError(t, err)
	return rep.Anomalies()
}

// TestMutexAcrossYieldPoint: an actor that holds a sync.Mutex across a
// Redis call blocks the other where the scheduler cannot see it; the
// watchdog stops the run with a message naming the actors, in bounded
// time. It ends the process (nothing outside a bubble may wake what is
// inside), so the run is a child process of the test.
func TestMutexAcrossYieldPoint(t *testing.T) {
	if os.Getenv("RACETEST_MUTEX_CHILD") == "1" {
		var mu sync.Mutex
		h := racetest.New(t, racetest.Setup{Watchdog: 300 * time.Millisecond})
		for _, name := range []string{"a", "b"} {
			h.Actor(name, func(env *racetest.Env) {
				mu.Lock()
				defer mu.Unlock()
				env.Redis().Get(env.Ctx(), "k")
			})
		}
		_, _ = h.Check()
		return
	}
	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMutexAcrossYieldPoint$")
	cmd.Env = append(os.Environ(), "RACETEST_MUTEX_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child should have been stopped")
	msg := string(out)
	require.Contains(t, msg, "racetest: TestMutexAcrossYieldPoint: the actors made no progress", "names the test")
	require.Contains(t, msg, "b never reached a yield point while a (parked at GET k)")
	require.Contains(t, msg, "sync.Mutex")
	require.Less(t, time.Since(start), 30*time.Second)
	require.True(t, strings.Contains(msg, "racetest"))
}
