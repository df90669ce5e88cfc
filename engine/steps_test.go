package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

func one(steps ...Step) *Scenario {
	return &Scenario{Name: "steps", DB: []Seed{{Key: "k", Value: "ROW"}}, Actors: []Actor{{Name: "a", Steps: steps}}}
}

func TestSteps(t *testing.T) {
	cases := []struct {
		name    string
		steps   []Step
		results []string
		values  []string
		cmds    []string
	}{
		{"get miss then set the read row",
			[]Step{{Op: OpCacheGet, Key: "k"}, {Op: OpDBRead, Key: "k"}, {Op: OpCacheSet, Key: "k", TTL: time.Second}, {Op: OpCacheGet, Key: "k"}},
			[]string{"miss", "hit", "ok", "hit"}, []string{"", "ROW", "ROW", "ROW"},
			[]string{"GET k", "SELECT k", "SET k ROW PX 1000", "GET k"}},
		{"set nx refused",
			[]Step{{Op: OpCacheSet, Key: "k", Value: "A", HasValue: true}, {Op: OpCacheSet, Key: "k", Value: "B", HasValue: true, NX: true}, {Op: OpCacheGet, Key: "k"}},
			[]string{"ok", "fail", "hit"}, []string{"A", "B", "A"},
			[]string{"SET k A", "SET k B NX", "GET k"}},
		{"del and expire",
			[]Step{{Op: OpCacheSet, Key: "k", Value: "A", HasValue: true}, {Op: OpCacheDel, Key: "k"}, {Op: OpCacheExpire, Key: "k", TTL: time.Second}, {Op: OpCacheGet, Key: "k"}},
			[]string{"ok", "ok", "fail", "miss"}, []string{"A", "", "", ""},
			[]string{"SET k A", "DEL k", "PEXPIRE k 1000", "GET k"}},
		{"db write then read",
			[]Step{{Op: OpDBWrite, Key: "k", Value: "NEW", HasValue: true}, {Op: OpDBRead, Key: "k"}, {Op: OpDBRead, Key: "nope"}},
			[]string{"ok", "hit", "miss"}, []string{"NEW", "NEW", ""},
			[]string{"COMMIT k = NEW", "SELECT k", "SELECT nope"}},
		{"write-through sets what it wrote",
			[]Step{{Op: OpDBWrite, Key: "k", Value: "NEW", HasValue: true}, {Op: OpCacheSet, Key: "k"}},
			[]string{"ok", "ok"}, []string{"NEW", "NEW"},
			[]string{"COMMIT k = NEW", "SET k NEW"}},
		{"values with spaces are quoted",
			[]Step{{Op: OpCacheSet, Key: "k", Value: "two words", HasValue: true}},
			[]string{"ok"}, []string{"two words"}, []string{`SET k "two words"`}},
		{"lease: granted, held, set",
			[]Step{{Op: OpLeaseGet, Key: "k"}, {Op: OpDBRead, Key: "k"}, {Op: OpLeaseSet, Key: "k"}, {Op: OpLeaseGet, Key: "k"}},
			[]string{"miss", "hit", "ok", "hit"}, []string{"", "ROW", "ROW", "ROW"}, nil},
		{"lease set without a lease is refused",
			[]Step{{Op: OpLeaseSet, Key: "k", Value: "X", HasValue: true}, {Op: OpCacheGet, Key: "k"}},
			[]string{"fail", "miss"}, []string{"X", ""}, nil},
		{"cas: older version refused",
			[]Step{{Op: OpDBWrite, Key: "k", Value: "NEW", HasValue: true}, {Op: OpCASSet, Key: "k"}, {Op: OpCASSet, Key: "k", Value: "OLD", HasValue: true}, {Op: OpCASGet, Key: "k"}},
			[]string{"ok", "ok", "fail", "hit"}, []string{"NEW", "NEW", "OLD", "NEW"}, nil},
		{"wrong type is a failed step, not a crash",
			[]Step{{Op: OpCASSet, Key: "k", Value: "V", HasValue: true}, {Op: OpCacheGet, Key: "k"}},
			[]string{"ok", "fail"}, []string{"V", ""}, nil},
		{"if then else",
			[]Step{{Op: OpCacheGet, Key: "k"}, {Op: OpIf, Cond: "hit", Then: []Step{{Op: OpSleep}}, Else: []Step{{Op: OpDBRead, Key: "k"}}}},
			[]string{"miss", "hit"}, []string{"", "ROW"}, nil},
		{"empty then is skipped",
			[]Step{{Op: OpCacheGet, Key: "k"}, {Op: OpIf, Cond: "miss"}, {Op: OpSleep}},
			[]string{"miss", "ok"}, []string{"", ""}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl := mustRun(t, one(c.steps...), Options{})
			require.Equal(t, c.results, results(tl))
			var vals, cmds []string
			for _, e := range tl.Events {
				vals = append(vals, e.Value)
				cmds = append(cmds, e.Command)
			}
			require.Equal(t, c.values, vals)
			if c.cmds != nil {
				require.Equal(t, c.cmds, cmds)
			}
		})
	}
}

func TestCASStoresVersion(t *testing.T) {
	tl := mustRun(t, one(Step{Op: OpDBWrite, Key: "k", Value: "NEW", HasValue: true}, Step{Op: OpCASSet, Key: "k", TTL: time.Minute}), Options{})
	require.Equal(t, []timeline.CacheEntry{{Key: "k", Value: "NEW", Version: 2, TTL: time.Minute}}, tl.StateAt(1).Cache)
}

func TestTimedOrder(t *testing.T) {
	// Effects land at each step's end; equal ends go by actor order.
	sc := &Scenario{Name: "order", Actors: []Actor{
		{Name: "slow", Steps: []Step{{Op: OpSleep, Took: 5 * ms}}},
		{Name: "b", At: 2 * ms, Steps: []Step{{Op: OpSleep, Took: 3 * ms}}},
		{Name: "fast", At: ms, Steps: []Step{{Op: OpSleep, Took: ms}}},
	}}
	tl := mustRun(t, sc, Options{})
	require.Equal(t, []string{"fast", "slow", "b"}, tl.Schedule)
	require.Equal(t, 5*ms, tl.Events[1].End)
}

func TestScheduleMode(t *testing.T) {
	sched, err := ParseSchedule("writer reader writer")
	require.NoError(t, err)
	sc := cacheAside()
	sc.Actors[1].Steps = []Step{{Op: OpCacheGet, Key: "order:42", Took: ms}}
	tl := mustRun(t, sc, Options{Schedule: sched})
	require.Equal(t, "schedule", tl.Mode)
	require.Equal(t, []string{"writer", "reader", "writer"}, tl.Schedule)
	// each step starts when the previous one ends; `at` is ignored
	require.Equal(t, []time.Duration{0, 3 * ms, 4 * ms}, []time.Duration{tl.Events[0].Start, tl.Events[1].Start, tl.Events[2].Start})
	require.Len(t, tl.StaleReads(), 1)

	// the reader before the writer: no stale read
	tl = mustRun(t, sc, Options{Schedule: []string{"reader", "writer", "writer"}})
	require.Empty(t, tl.StaleReads())
}

func TestScheduleErrors(t *testing.T) {
	sc := cacheAside()
	for _, c := range []struct {
		sched []string
		msg   string
	}{
		{[]string{"nobody"}, `unknown actor "nobody"`},
		{[]string{"writer", "writer", "writer"}, `actor "writer" has no step left`},
		{[]string{"writer"}, "steps left for writer, reader"},
	} {
		_, err := Run(sc, Options{Schedule: c.sched})
		require.ErrorIs(t, err, ErrScheduleActor, c.sched)
		require.ErrorContains(t, err, c.msg)
	}
}

func TestScheduleClockWithoutExpiry(t *testing.T) {
	_, err := Run(one(Step{Op: OpSleep}), Options{Schedule: []string{"clock", "a"}})
	require.ErrorIs(t, err, ErrScheduleActor)
	require.ErrorContains(t, err, "no pending expiry")
}

func TestParseSchedule(t *testing.T) {
	for in, want := range map[string][]string{
		"w r w":        {"w", "r", "w"},
		"w,r, w":       {"w", "r", "w"},
		"  w\tr  ":     {"w", "r"},
		"w*3 r":        {"w", "w", "w", "r"},
		"reader-2*2":   {"reader-2", "reader-2"},
		"a*b*2":        {"a*b", "a*b"},
		"clock writer": {"clock", "writer"},
	} {
		got, err := ParseSchedule(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "   ", "w*0", "w*-1", "w*x", "*3", "w*03", "w*100001", "w*99999999999999999999"} {
		_, err := ParseSchedule(bad)
		require.True(t, errors.Is(err, ErrSchedule), "%q: %v", bad, err)
	}
}

func TestClockActorInSchedule(t *testing.T) {
	// The clock advances to the next expiry between the writer's commit and
	// the reader's get: the stale value is gone, the reader reads the row.
	sc := &Scenario{Name: "clk",
		DB:    []Seed{{Key: "k", Value: "OLD"}},
		Cache: []Seed{{Key: "k", Value: "OLD", TTL: 10 * ms}},
		Actors: []Actor{
			{Name: "w", Steps: []Step{{Op: OpDBWrite, Key: "k", Value: "NEW", HasValue: true, Took: ms}}},
			{Name: "r", Steps: []Step{{Op: OpSleep, Took: 20 * ms}, {Op: OpCacheGet, Key: "k", Took: ms}}},
		}}
	tl := mustRun(t, sc, Options{Schedule: []string{"w", "clock", "r", "r"}})
	require.Equal(t, []string{"w", "clock", "r", "r"}, tl.Schedule)
	require.Equal(t, 10*ms, tl.Events[1].End)
	require.Contains(t, tl.Actors, timeline.ClockActor)
	require.Equal(t, "miss", tl.Events[3].Result)

	r, err := NewRunner(sc, Options{Schedule: []string{}, NoStates: true})
	require.NoError(t, err)
	defer r.Close()
	require.Equal(t, []int{0, 1, ClockIndex}, r.Enabled(), "expiry at 10ms can land within the 21ms the steps take")
}

// FuzzParseSchedule feeds the schedule parser schedules the explorer
// prints and what the fuzzer makes of them, under a small limit: it never
// panics, a schedule it accepts is within the limit, and one it refuses
// says why.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"w r w", "w*3 r", "a,b", "", "*", "w*0", "clock w",
		"writer reader writer", "reader writer writer reader", "writer clock reader*2", "a*50 b*50", "w*100000", "w*1 w*1 w*1"} {
		f.Add(s)
	}
	const most = 100
	f.Fuzz(func(t *testing.T, s string) {
		names, err := ParseScheduleMax(s, most)
		if err != nil {
			require.ErrorIs(t, err, ErrSchedule)
			return
		}
		require.NotEmpty(t, names)
		require.LessOrEqual(t, len(names), most)
		for _, n := range names {
			require.NotEmpty(t, n)
			require.NotContains(t, n, " ")
		}
		if strings.Contains(s, "**") || slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "*") }) {
			return // no actor name has a '*' (the loader allows none)
		}
		back, err := ParseScheduleMax(FormatSchedule(names), most)
		require.NoError(t, err, "FormatSchedule writes what ParseSchedule reads")
		require.Equal(t, names, back)
	})
}

func TestRunPrefix(t *testing.T) {
	sc := cacheAside()
	tl, next, err := RunPrefix(sc, nil, Options{})
	require.NoError(t, err)
	require.Empty(t, tl.Events)
	require.Equal(t, []string{"writer", "reader"}, next)
	require.Len(t, tl.Initial.Cache, 1)

	tl, next, err = RunPrefix(sc, []string{"writer", "reader"}, Options{})
	require.NoError(t, err)
	require.Len(t, tl.Events, 2)
	require.Equal(t, []string{"writer"}, next, "the reader hit: its program is over")
	require.Len(t, tl.StaleReads(), 1, "the hit after the commit is judged at once")

	tl, next, err = RunPrefix(sc, []string{"writer", "writer", "reader"}, Options{})
	require.NoError(t, err)
	require.Equal(t, "miss", tl.Events[2].Result)
	require.Equal(t, []string{"reader"}, next, "after a miss the reader reads the row")
	require.Empty(t, tl.StaleReads())

	_, _, err = RunPrefix(sc, []string{"writer", "writer", "writer"}, Options{})
	require.ErrorIs(t, err, ErrScheduleActor)
}
