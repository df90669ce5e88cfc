package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

// The tests in this file pin down the staleness contract at its edges
// (DESIGN.md, "Staleness oracle"): each was written for a behaviour that
// contradicted it.

func write(key, value string, took time.Duration) Step {
	return Step{Op: OpDBWrite, Key: key, Value: value, HasValue: true, Took: took}
}

// TestCommitsAtOneInstantAllCount: an actor writes D, reads D and writes B,
// all at t=0. D was committed at the read's only instant: the read is fresh.
func TestCommitsAtOneInstantAllCount(t *testing.T) {
	sc := &Scenario{Name: "t", DB: []Seed{{Key: "k", Value: "S"}}, Actors: []Actor{{Name: "a", Steps: []Step{
		write("k", "D", 0), {Op: OpDBRead, Key: "k"}, write("k", "B", 0),
	}}}}
	tl := mustRun(t, sc, Options{})
	require.Len(t, tl.Reads, 1)
	require.Equal(t, "D", tl.Reads[0].Served)
	require.Empty(t, tl.StaleReads())

	// The same at a read's end instant, and on the exploration machine.
	res := mustExplore(t, sc, ExploreOptions{NoReduction: true})
	require.Zero(t, res.StaleSchedules)
}

func TestCurrentAtAnInstantWithSeveralCommits(t *testing.T) {
	seed := timeline.Commit{Value: "S", Event: -1, Seed: true}
	h := []timeline.Commit{seed,
		{Value: "A", At: ms, Version: 2},
		{Value: "D", At: 3 * ms, Version: 3}, {Value: "B", At: 3 * ms, Version: 4},
		{Value: "E", At: 5 * ms, Version: 5}, {Value: "F", At: 5 * ms, Version: 6}}
	cases := []struct {
		name       string
		start, end time.Duration
		want       []string
	}{
		{"before the first commit", 0, 0, []string{"S"}},
		{"zero-length read at an instant with two commits", 3 * ms, 3 * ms, []string{"D", "B"}},
		{"read starting at an instant with two commits", 3 * ms, 4 * ms, []string{"D", "B"}},
		{"read ending at an instant with two commits", 4 * ms, 5 * ms, []string{"B", "E", "F"}},
		{"read from one such instant to the next", 3 * ms, 5 * ms, []string{"D", "B", "E", "F"}},
		{"value current before the read", 2 * ms, 2 * ms, []string{"A"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Current(h, c.start, c.end))
			for _, v := range []string{"S", "A", "D", "B", "E", "F"} {
				want := !slices.Contains(c.want, v)
				require.Equal(t, want, IsStale(h, v, c.start, c.end), "served %s", v)
			}
		})
	}
}

// TestSeedIsNotACommitAtZero: a seed row is there before the run starts;
// an actor's commit at 0 replaces it at 0.
func TestSeedIsNotACommitAtZero(t *testing.T) {
	h := []timeline.Commit{{Value: "S", Event: -1, Seed: true}, {Value: "D", Event: 0}}
	require.Equal(t, []string{"D"}, Current(h, 0, 0))
	require.Equal(t, []string{"S"}, Current(h[:1], 0, 0))
}

// TestReplicaShowsOnlySeedsBeforeItsLag: with a 10ms lag, a value
// committed at t=0 is not visible at t=2ms.
func TestReplicaShowsOnlySeedsBeforeItsLag(t *testing.T) {
	sc := &Scenario{Name: "t", DB: []Seed{{Key: "k", Value: "OLD"}}, Replica: &Replica{Lag: 10 * ms},
		Actors: []Actor{
			{Name: "w", Steps: []Step{write("k", "NEW", 0)}},
			{Name: "r", At: 2 * ms, Steps: []Step{{Op: OpDBRead, Key: "k", Replica: true}}},
			{Name: "late", At: 20 * ms, Steps: []Step{{Op: OpDBRead, Key: "k", Replica: true}}},
		}}
	tl := mustRun(t, sc, Options{})
	require.Len(t, tl.Reads, 2)
	require.Equal(t, "OLD", tl.Reads[0].Served, "the replica shows the seed row only until t=lag")
	require.Equal(t, "NEW", tl.Reads[1].Served)
	stale := tl.StaleReads()
	require.Len(t, stale, 1)
	require.Equal(t, timeline.ReplicaLag, stale[0].Anomaly)
	require.Equal(t, []timeline.Row{{Key: "k", Value: "OLD", Version: 1, Actor: "seed"}}, tl.StateAt(1).Replica)

	res := mustExplore(t, sc, ExploreOptions{NoReduction: true})
	require.Equal(t, res.SchedulesRun, res.StaleSchedules, "in every schedule the early replica read is stale")
}

// TestCacheValueWithoutARowDiverges: the cache holds a value for a key the
// database has no row for.
func TestCacheValueWithoutARowDiverges(t *testing.T) {
	sc := &Scenario{Name: "t", Cache: []Seed{{Key: "k", Value: "GHOST"}},
		Actors: []Actor{{Name: "r", At: ms, Steps: []Step{{Op: OpCacheGet, Key: "k", Took: ms}}}}}
	tl := mustRun(t, sc, Options{})
	stale := tl.StaleReads()
	require.Len(t, stale, 1)
	require.Equal(t, []string{""}, stale[0].Current)
	require.NotContains(t, stale[0].Why, " committed  at", stale[0].Why)
	require.Contains(t, stale[0].Why, "no row", stale[0].Why)
	require.Len(t, tl.Divergences, 1)
	d := tl.Divergences[0]
	require.Equal(t, "k", d.Key)
	require.Equal(t, "GHOST", d.CacheValue)
	require.Equal(t, time.Duration(0), d.From)
	require.Equal(t, "end-of-run", d.End)
	require.Contains(t, d.Cause, "no row", d.Cause)
}

// TestLeaseKeysAreNotDataKeys: a lease's own key in the cache is not a
// divergence.
func TestLeaseKeysAreNotDataKeys(t *testing.T) {
	sc := &Scenario{Name: "t", DB: []Seed{{Key: "k", Value: "V"}},
		Actors: []Actor{{Name: "r", Steps: []Step{{Op: OpLeaseGet, Key: "k", Took: ms}}}}}
	tl := mustRun(t, sc, Options{})
	require.Empty(t, tl.Divergences)
}

// TestSubMillisecondTTLIsAnError: Redis TTLs are whole milliseconds.
func TestSubMillisecondTTLIsAnError(t *testing.T) {
	for _, st := range []Step{
		{Op: OpCacheSet, Key: "k", Value: "v", HasValue: true, TTL: 500 * time.Microsecond},
		{Op: OpCASSet, Key: "k", Value: "v", HasValue: true, TTL: 1500 * time.Microsecond},
		{Op: OpLeaseSet, Key: "k", Value: "v", HasValue: true, TTL: 500 * time.Microsecond},
		{Op: OpCacheExpire, Key: "k", TTL: 500 * time.Microsecond},
		{Op: OpCacheExpire, Key: "k", ExpireAt: 500 * time.Microsecond, HasExpireAt: true},
		{Op: OpLeaseGet, Key: "k", Lease: 500 * time.Microsecond},
	} {
		t.Run(string(st.Op), func(t *testing.T) {
			_, err := Run(one(st), Options{})
			require.ErrorIs(t, err, ErrScenario)
			require.Contains(t, err.Error(), "whole number of milliseconds")
		})
	}
	sc := one(Step{Op: OpCacheGet, Key: "k"})
	sc.Cache = []Seed{{Key: "k", Value: "v", TTL: 2500 * time.Microsecond}}
	_, err := Run(sc, Options{})
	require.ErrorIs(t, err, ErrScenario)
	_, err = Explore(t.Context(), sc, ExploreOptions{})
	require.ErrorIs(t, err, ErrScenario)
}

// TestLeasesArePerKey: an actor that takes leases on a and then b can
// still fill a.
func TestLeasesArePerKey(t *testing.T) {
	sc := &Scenario{Name: "t", DB: []Seed{{Key: "a", Value: "A"}, {Key: "b", Value: "B"}}, Actors: []Actor{
		{Name: "r", Steps: []Step{
			{Op: OpLeaseGet, Key: "a", Took: ms}, {Op: OpLeaseGet, Key: "b", Took: ms},
			{Op: OpDBRead, Key: "a", Took: ms}, {Op: OpLeaseSet, Key: "a", Took: ms},
			{Op: OpDBRead, Key: "b", Took: ms}, {Op: OpLeaseSet, Key: "b", Took: ms},
		}},
		{Name: "s", At: 10 * ms, Steps: []Step{{Op: OpLeaseGet, Key: "a", Took: ms}, {Op: OpLeaseGet, Key: "b", Took: ms}}},
	}}
	tl := mustRun(t, sc, Options{})
	require.Equal(t, []string{"miss", "miss", "hit", "ok", "hit", "ok", "hit", "hit"}, results(tl))
	for _, e := range tl.Events {
		require.NotContains(t, e.Note, "held by", "event %d", e.Seq)
	}
	res := mustExplore(t, sc, ExploreOptions{NoReduction: true})
	require.Zero(t, res.StaleSchedules)
}

// TestIfAfterSleepTestsTheStepBeforeIt: a sleep is latency inside a
// request; an `if` after it tests the step before the sleep.
func TestIfAfterSleepTestsTheStepBeforeIt(t *testing.T) {
	sc := one(
		Step{Op: OpCacheGet, Key: "k", Took: ms},
		Step{Op: OpSleep, Took: ms},
		Step{Op: OpIf, Cond: "miss", Then: []Step{{Op: OpDBRead, Key: "k", Took: ms}}, Else: []Step{{Op: OpCacheDel, Key: "k", Took: ms}}},
	)
	tl := mustRun(t, sc, Options{})
	require.Equal(t, []string{"cache.get", "sleep", "db.read"}, ops(tl))
	res := mustExplore(t, sc, ExploreOptions{NoReduction: true})
	require.EqualValues(t, 1, res.SchedulesRun)
}

func ops(tl *timeline.Timeline) []string {
	var out []string
	for _, e := range tl.Events {
		out = append(out, e.Op)
	}
	return out
}

// TestDivergenceCauseNamesTheStep: a commit landing at the same instant
// as another actor's sleep ends is caused by the commit, not the sleep.
func TestDivergenceCauseNamesTheStep(t *testing.T) {
	sc := &Scenario{Name: "t", DB: []Seed{{Key: "k", Value: "OLD"}}, Cache: []Seed{{Key: "k", Value: "OLD"}},
		Actors: []Actor{
			{Name: "sleeper", Steps: []Step{{Op: OpSleep, Took: 2 * ms}}},
			{Name: "w", Steps: []Step{write("k", "NEW", 2*ms)}},
		}}
	tl := mustRun(t, sc, Options{})
	require.Len(t, tl.Divergences, 1)
	d := tl.Divergences[0]
	require.Equal(t, "db.write", tl.Events[d.CauseEvent].Op, d.Cause)
	require.True(t, strings.HasPrefix(d.Cause, "w committed"), d.Cause)
	require.NotContains(t, d.Cause, "sleeper")
}

// TestSeedsAreMarkedInJSON: an external checker reading the JSON must not
// take a seed row for a commit at 0.
func TestSeedsAreMarkedInJSON(t *testing.T) {
	tl := mustRun(t, cacheAside(), Options{})
	run := tl.JSONRun()
	require.Equal(t, []timeline.JSONSeed{{Key: "order:42", Value: "CANCELLED"}}, run.Seeds)
	for _, c := range run.Commits {
		require.NotEqual(t, "seed", c.Actor)
	}
}

// TestPastExpireAtIsAnInvalidation: a PEXPIREAT in the past deletes the key
// at once, like a DEL: a hit before it is a stale hit, not ttl-staleness.
func TestPastExpireAtIsAnInvalidation(t *testing.T) {
	sc := &Scenario{Name: "t", DB: []Seed{{Key: "k", Value: "OLD"}}, Cache: []Seed{{Key: "k", Value: "OLD"}},
		Actors: []Actor{
			{Name: "w", Steps: []Step{write("k", "NEW", ms), {Op: OpSleep, Took: 5 * ms},
				{Op: OpCacheExpire, Key: "k", ExpireAt: 0, HasExpireAt: true, Took: ms}}},
			{Name: "r", At: 2 * ms, Steps: []Step{{Op: OpCacheGet, Key: "k", Took: ms}}},
		}}
	tl := mustRun(t, sc, Options{})
	stale := tl.StaleReads()
	require.Len(t, stale, 1)
	require.Equal(t, timeline.StaleHit, stale[0].Anomaly, stale[0].Why)
	require.Len(t, tl.Divergences, 1)
	require.Equal(t, "del", tl.Divergences[0].End)
}

func mustExplore(t *testing.T, sc *Scenario, opts ExploreOptions) *ExploreResult {
	t.Helper()
	res, err := Explore(t.Context(), sc, opts)
	require.NoError(t, err)
	return res
}

// TestZeroLengthDBReadBeforeASimultaneousCommit: a db.read at instant 0
// taken before (in actor order) another actor's commit at 0 read the row
// the commit replaced at that instant. Stale by the contract, and not a
// stale hit: nothing came from the cache.
func TestZeroLengthDBReadBeforeASimultaneousCommit(t *testing.T) {
	sc := &Scenario{Name: "t", DB: []Seed{{Key: "k", Value: "S"}}, Actors: []Actor{
		{Name: "r", Steps: []Step{{Op: OpDBRead, Key: "k"}}},
		{Name: "w", Steps: []Step{write("k", "D", 0)}},
	}}
	tl := mustRun(t, sc, Options{})
	stale := tl.StaleReads()
	require.Len(t, stale, 1)
	require.Equal(t, timeline.SimultaneousCommit, stale[0].Anomaly)
	require.Equal(t, []string{"D"}, stale[0].Current)
	require.Contains(t, stale[0].Why, "same instant")
}

// TestClientNamesRealRedisAccepts: an actor name that CLIENT SETNAME
// refuses on a real server (a space, a non-ASCII letter) is encoded, so a
// run never fails on it.
func TestClientNamesRealRedisAccepts(t *testing.T) {
	require.Equal(t, "reader-1", clientName("reader-1"))
	require.Equal(t, "lecteur-%C3%A9", clientName("lecteur-é"))
	require.Equal(t, "a%20b%25c", clientName("a b%c"))
	for _, n := range []string{"lecteur-é", "a b", "tab\there", "x\ny"} {
		for _, c := range []byte(clientName(n)) {
			require.True(t, c >= '!' && c <= '~', "%q → %q", n, clientName(n))
		}
	}
	sc := &Scenario{Name: "t", Actors: []Actor{{Name: "lecteur é", Steps: []Step{{Op: OpCacheGet, Key: "k"}}}}}
	tl := mustRun(t, sc, Options{})
	require.Equal(t, "lecteur é", tl.Events[0].Actor)
}

// TestWriteOperations: under linearizable a write operation is the
// db.write with the invalidations its actor takes after it, up to a read;
// an op: block makes the whole block one operation.
func TestWriteOperations(t *testing.T) {
	lin := Consistency{Model: Linearizable}
	writer := []Step{
		write("k", "NEW", ms),
		{Op: OpCacheGet, Key: "other", Took: ms}, // a read: the default operation ends before it
		{Op: OpCacheDel, Key: "k", Took: ms},
	}
	sc := &Scenario{Name: "t", Consistency: lin, DB: []Seed{{Key: "k", Value: "OLD"}}, Cache: []Seed{{Key: "k", Value: "OLD"}},
		Actors: []Actor{
			{Name: "w", Steps: writer},
			{Name: "r", At: 1500 * time.Microsecond, Steps: []Step{{Op: OpCacheGet, Key: "k", Took: 100 * time.Microsecond}}},
		}}
	tl := mustRun(t, sc, Options{})
	require.Equal(t, []timeline.Operation{{Actor: "w", Key: "k", Value: "NEW", Version: 2, Start: 0, End: ms, Events: []int{0}}}, tl.Operations)
	require.Len(t, tl.StaleReads(), 1, "the read starts after the operation ended")

	block := slices.Clone(writer)
	for i := range block {
		block[i].Group = 1
	}
	sc.Actors[0].Steps = block
	tl = mustRun(t, sc, Options{})
	require.Equal(t, time.Duration(0), tl.Operations[0].Start)
	require.Equal(t, 3*ms, tl.Operations[0].End)
	require.Empty(t, tl.StaleReads(), "inside the op: block's operation, either value may be read")

	// The default operation stretches over sleeps to the last invalidation.
	sc.Actors[0].Steps = []Step{write("k", "NEW", ms), {Op: OpSleep, Took: 5 * ms}, {Op: OpCacheDel, Key: "k", Took: ms}, {Op: OpSleep, Took: ms}}
	tl = mustRun(t, sc, Options{})
	require.Equal(t, 7*ms, tl.Operations[0].End)
}

// TestLinearizableKeepsTheCommitOrder: two writers' operations overlap;
// the database committed B, then C. A read after both that is served B
// from the cache is blamed, not the later read that gets C from the
// database.
func TestLinearizableKeepsTheCommitOrder(t *testing.T) {
	sc := &Scenario{Name: "t", Consistency: Consistency{Model: Linearizable},
		DB: []Seed{{Key: "k", Value: "A"}},
		Actors: []Actor{
			{Name: "w1", Steps: []Step{write("k", "B", 2*ms), {Op: OpSleep, Took: 2 * ms}, {Op: OpCacheSet, Key: "k", Took: ms}}},
			{Name: "w2", At: ms, Steps: []Step{write("k", "C", 2*ms), {Op: OpCacheSet, Key: "k", Took: ms}}},
			{Name: "r", At: 6 * ms, Steps: []Step{{Op: OpCacheGet, Key: "k", Took: ms}}},
			{Name: "r2", At: 8 * ms, Steps: []Step{{Op: OpDBRead, Key: "k", Took: ms}}},
		}}
	tl := mustRun(t, sc, Options{})
	require.Equal(t, "B", tl.Reads[0].Served)
	require.Equal(t, "C", tl.Reads[1].Served)
	stale := tl.StaleReads()
	require.Len(t, stale, 1)
	require.Equal(t, "r", stale[0].Actor)
	require.NotEqual(t, timeline.NewOldInversion, stale[0].Anomaly)
}
