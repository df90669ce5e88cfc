package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

// getAt is a scenario whose only actor gets key at each of the instants.
func getAt(ttl time.Duration, instants ...time.Duration) *Scenario {
	sc := &Scenario{Name: "clock", Cache: []Seed{{Key: "k", Value: "V", TTL: ttl}}}
	for i, at := range instants {
		sc.Actors = append(sc.Actors, Actor{Name: string(rune('a' + i)), At: at, Steps: []Step{{Op: OpCacheGet, Key: "k"}}})
	}
	return sc
}

// TestClockLockstep: miniredis follows the virtual clock, so a 300s TTL is
// still there at 299.999s and gone at exactly 300s (miniredis's rule).
func TestClockLockstep(t *testing.T) {
	tl := mustRun(t, getAt(300*time.Second, 299999*ms, 300*time.Second, 301*time.Second), Options{})
	require.Equal(t, []string{"hit", "miss", "miss"}, results(tl))
	require.Equal(t, []timeline.Expiry{{Key: "k", Value: "V", At: 300 * time.Second}}, tl.Expiries)
	require.Equal(t, time.Millisecond, tl.StateAt(0).Cache[0].TTL, "TTL left at 299.999s")
	require.True(t, tl.Clock)
	require.Equal(t, "miniredis", tl.Backend)
}

func TestClockNeverReadsWallTime(t *testing.T) {
	// A TTL of one virtual millisecond survives any wall-clock delay between
	// steps: only the virtual clock moves it.
	tl := mustRun(t, getAt(time.Millisecond, 999*time.Microsecond), Options{})
	require.Equal(t, []string{"hit"}, results(tl))
}

func TestEpochFollowsScenario(t *testing.T) {
	sc := &Scenario{Name: "epoch", Epoch: time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC), Actors: []Actor{{Name: "s", Steps: []Step{
		{Op: OpCacheSet, Key: "k", Value: "V", HasValue: true},
		{Op: OpCacheExpire, Key: "k", ExpireAt: 5 * ms, HasExpireAt: true, Took: ms},
		{Op: OpSleep, Took: 3 * ms},
		{Op: OpCacheGet, Key: "k"},           // ends at 4ms: still there
		{Op: OpCacheGet, Key: "k", Took: ms}, // ends at exactly 5ms: gone
	}}}}
	tl := mustRun(t, sc, Options{})
	require.Equal(t, []string{"ok", "ok", "ok", "hit", "miss"}, results(tl))
	require.Contains(t, tl.Events[1].Command, "PEXPIREAT k 1906502400005")
	require.Equal(t, sc.Epoch, tl.Epoch)
}

func results(tl *timeline.Timeline) []string {
	var out []string
	for _, e := range tl.Events {
		out = append(out, e.Result)
	}
	return out
}
