package engine

import (
	"context"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// allocatedBy returns the bytes f allocates on the heap.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestClockOverflowIsAnError(t *testing.T) {
	// Each instant alone fits in a time.Duration; their sum wraps, and a
	// read would end before it starts.
	huge := 2562047 * time.Hour
	sc := &Scenario{Name: "wrap", Actors: []Actor{
		{Name: "w", At: huge, Steps: []Step{{Op: OpDBWrite, Key: "k", Value: "v", HasValue: true, Took: huge}}},
		{Name: "r", Steps: []Step{{Op: OpCacheGet, Key: "k", Took: huge}}},
	}}
	_, err := Run(sc, Options{})
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "past its range")
	_, err = NewExplorer(sc, ExploreOptions{})
	require.ErrorIs(t, err, ErrLimit)
}

func TestTimeBound(t *testing.T) {
	sc := &Scenario{
		Cache: []Seed{{Key: "k", TTL: 50 * ms}},
		Actors: []Actor{
			{Name: "a", At: 7 * ms, Steps: []Step{
				{Op: OpCacheSet, Key: "k", TTL: 100 * ms, Took: ms},
				{Op: OpIf, Cond: "ok", Then: []Step{{Op: OpSleep, Took: 2 * ms}}, Else: []Step{{Op: OpSleep, Took: 3 * ms}}},
			}},
			{Name: "b", Steps: []Step{{Op: OpLeaseGet, Key: "k", Took: ms}, {Op: OpCacheExpire, Key: "k", HasExpireAt: true, ExpireAt: 60 * ms}}},
		},
	}
	// the latest of start 7ms, seed expiry 50ms and absolute expiry 60ms,
	// plus 1+100, 2, 3, 1+10s (the default lease) and 0.
	require.Equal(t, 60*ms+101*ms+5*ms+ms+DefaultLease, TimeBound(sc))

	sc.Actors[0].At = math.MaxInt64
	require.Equal(t, time.Duration(math.MaxInt64), TimeBound(sc), "saturates")
}

func TestLimitsCheck(t *testing.T) {
	steps := func(n int) []Step {
		out := make([]Step, n)
		for i := range out {
			out[i] = Step{Op: OpCacheGet, Key: "k", Took: ms}
		}
		return out
	}
	ok := &Scenario{Name: "ok", DB: []Seed{{Key: "k"}}, Actors: []Actor{{Name: "a", Steps: steps(3)}}}
	require.NoError(t, Limits{}.Check(ok))
	require.NoError(t, Limits{Steps: 3, Actors: 1, Keys: 1, Time: 3 * ms}.Check(ok))

	for name, c := range map[string]struct {
		lim  Limits
		sc   *Scenario
		want string
	}{
		"steps":  {Limits{Steps: 2}, ok, `actor "a" step 3 is one more than the limit of 2 steps`},
		"actors": {Limits{Actors: 1}, &Scenario{Actors: []Actor{{Name: "a"}, {Name: "b"}}}, "2 actors, more than the limit of 1"},
		"keys": {Limits{Keys: 1}, &Scenario{DB: []Seed{{Key: "k"}}, Actors: []Actor{{Name: "a", Steps: []Step{{Op: OpCacheGet, Key: "other"}}}}},
			`key "other" is one more than the limit of 1`},
		"time":  {Limits{Time: 2 * ms}, ok, "virtual clock to 3ms, past the limit of 2ms"},
		"epoch": {Limits{}, &Scenario{Epoch: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), Actors: ok.Actors}, "epoch 0001-01-01T00:00:00Z is outside"},
		"if steps count": {Limits{Steps: 2}, &Scenario{Actors: []Actor{{Name: "a", Steps: []Step{
			{Op: OpCacheGet, Key: "k"}, {Op: OpIf, Cond: "hit", Then: steps(1)}}}}}, "step 3 is one more than the limit of 2 steps"},
	} {
		t.Run(name, func(t *testing.T) {
			err := c.lim.Check(c.sc)
			require.ErrorIs(t, err, ErrLimit)
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	require.Equal(t, DefaultLimits, Limits{}.WithDefaults())
	l := Limits{Steps: 5, Time: math.MaxInt64}.WithDefaults()
	require.Equal(t, 5, l.Steps)
	require.Equal(t, MaxTime, l.Time, "the clock's range is the most")
	require.Equal(t, DefaultLimits.Actors, l.Actors)
}

func TestParseScheduleLimit(t *testing.T) {
	// 9,000 × 100,000 names: refused before any is made.
	bomb := strings.Repeat("writer*100000 ", 9000)
	var err error
	alloc := allocatedBy(func() { _, err = ParseSchedule(bomb) })
	require.ErrorIs(t, err, ErrSchedule)
	require.ErrorContains(t, err, "longer than 100000 entries")
	require.Less(t, alloc, uint64(4<<20), "decided before expanding")

	names, err := ParseScheduleMax("a*3 b*2", 5)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "a", "a", "b", "b"}, names)
	_, err = ParseScheduleMax("a*3 b*2 c", 5)
	require.ErrorContains(t, err, `entry 3 ("c") makes the schedule longer than 5 entries`)
	_, err = ParseScheduleMax("a*6", 5)
	require.ErrorContains(t, err, "from 1 to 5")
}

func TestExploreOptionLimits(t *testing.T) {
	sc := cacheAside()
	for name, c := range map[string]struct {
		opts ExploreOptions
		want string
	}{
		"workers": {ExploreOptions{Workers: 100_000_000}, "100000000 workers, more than the limit of 256"},
		"depth":   {ExploreOptions{Mode: PCT, Samples: 10, Depth: 1_000_000_000}, "PCT depth 1000000000, more than the limit of 1000"},
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			alloc := allocatedBy(func() { _, err = Explore(context.Background(), sc, c.opts) })
			require.ErrorIs(t, err, ErrLimit)
			require.ErrorContains(t, err, c.want)
			require.Less(t, alloc, uint64(1<<20), "decided before allocating")
		})
	}
	res, err := Explore(context.Background(), sc, ExploreOptions{Mode: PCT, Samples: 10, Depth: 2000, Limits: Limits{Depth: 2000}})
	require.NoError(t, err, "a raised limit")
	require.Equal(t, int64(10), res.SchedulesRun)
}

func TestExploreSearchLimit(t *testing.T) {
	// Many actors: the exhaustive search would keep a state per actor at
	// each step of the schedule, actors × steps in all.
	sc := &Scenario{Name: "crowd"}
	for i := range 3000 {
		sc.Actors = append(sc.Actors, Actor{Name: "a" + strconv.Itoa(i), Steps: []Step{{Op: OpCacheGet, Key: "k", Took: ms}}})
	}
	_, err := NewExplorer(sc, ExploreOptions{})
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "use random or PCT mode")
	_, err = NewExplorer(sc, ExploreOptions{Mode: Random, Samples: 1})
	require.NoError(t, err, "sampling keeps no search path")
	_, err = NewExplorer(sc, ExploreOptions{Limits: Limits{Search: 10 << 20}})
	require.NoError(t, err, "a raised limit")
}

func TestProgressCountsPruned(t *testing.T) {
	// Three readers of one key, each then writing a row of its own: the
	// sleep-set search abandoned prefixes here, optimal DPOR abandons none. The
	// progress ends at the result's counts.
	sc := &Scenario{Name: "readers", DB: []Seed{{Key: "k", Value: "v"}}}
	for _, n := range []string{"a", "b", "c"} {
		sc.Actors = append(sc.Actors, Actor{Name: n, Steps: []Step{{Op: OpCacheGet, Key: "k", Took: ms}, {Op: OpDBWrite, Key: "j", Value: n, HasValue: true, Took: ms}}})
	}
	e, err := NewExplorer(sc, ExploreOptions{})
	require.NoError(t, err)
	res, err := e.Run(context.Background())
	require.NoError(t, err)
	require.Zero(t, res.Pruned)
	require.Equal(t, int64(6), res.SchedulesRun, "one per order of the three db.writes")
	require.Equal(t, ExploreProgress{Schedules: res.SchedulesRun, Stale: res.StaleSchedules, Pruned: res.Pruned}, e.Progress())
}
