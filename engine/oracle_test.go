package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

func hist(pairs ...any) []timeline.Commit {
	var out []timeline.Commit
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, timeline.Commit{Value: pairs[i].(string), At: pairs[i+1].(time.Duration), Version: i/2 + 1})
	}
	return out
}

func TestOracleEdges(t *testing.T) {
	h := hist("OLD", time.Duration(0), "NEW", 3*ms)
	cases := []struct {
		name       string
		served     string
		start, end time.Duration
		stale      bool
		current    []string
	}{
		{"old before the commit", "OLD", ms, 2 * ms, false, []string{"OLD"}},
		{"old after the commit", "OLD", 4 * ms, 5 * ms, true, []string{"NEW"}},
		{"overlapping read may return old", "OLD", 2 * ms, 4 * ms, false, []string{"OLD", "NEW"}},
		{"overlapping read may return new", "NEW", 2 * ms, 4 * ms, false, []string{"OLD", "NEW"}},
		{"commit at exactly the end: new is current", "NEW", ms, 3 * ms, false, []string{"OLD", "NEW"}},
		{"commit at exactly the end: old still current at start", "OLD", ms, 3 * ms, false, []string{"OLD", "NEW"}},
		{"commit at exactly the start: old is not current", "OLD", 3 * ms, 4 * ms, true, []string{"NEW"}},
		{"zero-length read at the commit instant", "OLD", 3 * ms, 3 * ms, true, []string{"NEW"}},
		{"new before it was committed", "NEW", ms, 2 * ms, true, []string{"OLD"}},
		{"value never committed", "GHOST", 0, time.Hour, true, []string{"OLD", "NEW"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.stale, IsStale(h, c.served, c.start, c.end))
			require.Equal(t, c.current, Current(h, c.start, c.end))
		})
	}
}

func TestOracleABA(t *testing.T) {
	// A → B → A: a read served A after the second A is current by value.
	h := hist("A", time.Duration(0), "B", 2*ms, "A", 4*ms)
	require.False(t, IsStale(h, "A", 5*ms, 6*ms))
	require.True(t, IsStale(h, "B", 5*ms, 6*ms))
	require.False(t, IsStale(h, "B", 3*ms, 3*ms))
	require.True(t, IsStale(h, "A", 2*ms, 3*ms))
}

func TestOracleMissingRow(t *testing.T) {
	h := hist("A", 5*ms)
	require.False(t, IsStale(h, "", ms, 2*ms), "no row yet: empty is current")
	require.True(t, IsStale(h, "", 6*ms, 7*ms))
}

func TestCacheAsideVerdict(t *testing.T) {
	tl := mustRun(t, cacheAside(), Options{})
	stale := tl.StaleReads()
	require.Len(t, stale, 1)
	r := stale[0]
	require.Equal(t, "reader", r.Actor)
	require.Equal(t, timeline.SourceCache, r.Source)
	require.Equal(t, "CANCELLED", r.Served)
	require.Equal(t, []string{"PAID"}, r.Current)
	require.Equal(t, 4*ms, r.Start)
	require.Equal(t, 4500*time.Microsecond, r.End)
	require.Equal(t, timeline.StaleHit, r.Anomaly)
	require.Equal(t, -1, r.Cause, "the value came from the initial cache")

	require.Len(t, tl.Divergences, 1)
	d := tl.Divergences[0]
	require.Equal(t, 3*ms, d.From)
	require.NotNil(t, d.Until)
	require.Equal(t, 5*ms, *d.Until)
	require.Equal(t, "del", d.End)
	require.Equal(t, 0, d.CauseEvent)
	require.Equal(t, 2, d.EndEvent)
}

func TestReaderAfterDeleteIsFresh(t *testing.T) {
	sc := cacheAside()
	sc.Actors[1].At = 6 * ms // after the DEL
	tl := mustRun(t, sc, Options{})
	require.Empty(t, tl.StaleReads())
	require.Len(t, tl.Reads, 1)
	require.Equal(t, timeline.SourceDB, tl.Reads[0].Source)
	require.Equal(t, "PAID", tl.Reads[0].Served)
	require.Equal(t, []int{2, 3, 4}, tl.Reads[0].Events, "get, db.read and set form one read")
	last := tl.StateAt(len(tl.Events) - 1)
	require.Equal(t, "PAID", last.Cache[0].Value)
}

func TestStaleSetAndLostInvalidation(t *testing.T) {
	slow := []Step{
		{Op: OpCacheGet, Key: "k", Took: ms},
		{Op: OpIf, Cond: "miss", Then: []Step{
			{Op: OpDBRead, Key: "k", Took: ms},
			{Op: OpSleep, Took: 5 * ms},
			{Op: OpCacheSet, Key: "k", TTL: time.Minute, Took: ms},
		}},
	}
	writer := func(dels ...time.Duration) []Step {
		st := []Step{{Op: OpDBWrite, Key: "k", Value: "NEW", HasValue: true, Took: ms}}
		for _, d := range dels {
			st = append(st, Step{Op: OpSleep, Took: d}, Step{Op: OpCacheDel, Key: "k", Took: ms})
		}
		return st
	}
	for _, c := range []struct {
		name string
		dels []time.Duration
		want timeline.Anomaly
		n    int
	}{
		{"one delete", []time.Duration{0}, timeline.StaleSet, 1},
		{"delayed second delete too early", []time.Duration{0, ms}, timeline.LostInvalidation, 1},
		{"delayed second delete late enough", []time.Duration{0, 20 * ms}, "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := &Scenario{Name: "t", DB: []Seed{{Key: "k", Value: "OLD"}}, Actors: []Actor{
				{Name: "slow", Steps: slow},
				{Name: "writer", At: 3 * ms, Steps: writer(c.dels...)},
				{Name: "late", At: 30 * ms, Steps: readThrough("k", ms, ms, ms, time.Minute)},
			}}
			tl := mustRun(t, sc, Options{})
			stale := tl.StaleReads()
			require.Len(t, stale, c.n)
			if c.n > 0 {
				require.Equal(t, c.want, stale[0].Anomaly)
				require.Equal(t, "late", stale[0].Actor)
				require.Equal(t, "OLD", stale[0].Served)
				cause := tl.Events[stale[0].Cause]
				require.Equal(t, "slow", cause.Actor)
				require.Equal(t, "cache.set", cause.Op)
			}
		})
	}
}

func TestTTLStalenessAndExpiry(t *testing.T) {
	sc := &Scenario{Name: "t",
		DB:    []Seed{{Key: "k", Value: "OLD"}},
		Cache: []Seed{{Key: "k", Value: "OLD", TTL: time.Second}},
		Actors: []Actor{
			{Name: "w", Steps: []Step{{Op: OpDBWrite, Key: "k", Value: "NEW", HasValue: true, Took: ms}}},
			{Name: "r", At: 10 * ms, Steps: append(append(readThrough("k", 0, 0, 0, time.Second),
				Step{Op: OpSleep, Took: time.Second}), readThrough("k", 0, 0, 0, time.Second)...)},
		}}
	tl := mustRun(t, sc, Options{})
	stale := tl.StaleReads()
	require.Len(t, stale, 1)
	require.Equal(t, timeline.TTLStaleness, stale[0].Anomaly)
	require.Equal(t, []timeline.Expiry{{Key: "k", Value: "OLD", At: time.Second}}, tl.Expiries)
	require.Len(t, tl.Divergences, 1)
	require.Equal(t, "expiry", tl.Divergences[0].End)
	require.Equal(t, time.Second, *tl.Divergences[0].Until)
	require.Equal(t, "NEW", tl.Reads[1].Served)
}

// TestStaleHitAtTheCommitsInstant: a hit at the very instant of a commit
// that takes no time is stale (the commit counts as current there), and
// its explanation names that commit and says it was at that instant. It
// once began "and writer invalidated k…": a commit at 0 was not counted
// as after the initial cache.
func TestStaleHitAtTheCommitsInstant(t *testing.T) {
	sc := &Scenario{Name: "tie", DB: []Seed{{Key: "k", Value: "OLD"}},
		Cache: []Seed{{Key: "k", Value: "OLD", TTL: 300 * time.Second}},
		Actors: []Actor{
			{Name: "reader", Steps: []Step{{Op: OpCacheGet, Key: "k"}}},
			{Name: "writer", Steps: []Step{{Op: OpDBWrite, Key: "k", Value: "NEW", HasValue: true}, {Op: OpCacheDel, Key: "k", Took: ms}}},
		}}
	tl := mustRun(t, sc, Options{Schedule: []string{"reader", "writer", "writer"}})
	stale := tl.StaleReads()
	require.Len(t, stale, 1)
	require.Equal(t, timeline.StaleHit, stale[0].Anomaly)
	require.Equal(t, "writer committed NEW at +0s and writer invalidated k only at +1.000ms; reader was served OLD from the cache at +0s, the instant of that commit", stale[0].Why)
}
