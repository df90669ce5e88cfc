package timeline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func staleActors(tl *Timeline) []string {
	var out []string
	for _, r := range tl.StaleReads() {
		out = append(out, r.Actor)
	}
	return out
}

func TestStaleReads(t *testing.T) {
	require.Equal(t, []string{"reader"}, staleActors(cacheAside()))
	require.Equal(t, []string{"reader-2"}, staleActors(staleSetOpen()))
	require.Empty(t, noStale().StaleReads())

	tl := staleSetOpen()
	tl.Reads[0].Stale = true // order is the order of Reads
	require.Equal(t, []string{"reader", "reader-2"}, staleActors(tl))
}

func TestMarks(t *testing.T) {
	require.Equal(t, []int{1}, cacheAside().Marks(), "the stale read marks the divergence it was served in")
	tl0 := cacheAside()
	tl0.Reads[0].Stale = false
	require.Equal(t, []int{0}, tl0.Marks(), "a divergence that served nothing stale is marked at its start")
	require.Empty(t, noStale().Marks())

	tl := cacheAside()
	tl.Divergences = append(tl.Divergences,
		Divergence{Key: "other", CauseEvent: -1}, // present from the start: event 0
		Divergence{Key: "other", CauseEvent: 2},
		Divergence{Key: "other", CauseEvent: 99}, // no such event: dropped
	)
	require.Equal(t, []int{0, 1, 2}, tl.Marks())

	read := tl.Reads[0]
	read.Events = nil // a stale read without events marks nothing
	tl = &Timeline{Events: tl.Events, Reads: []Read{read}}
	require.Empty(t, tl.Marks())
}

func TestReadAt(t *testing.T) {
	tests := []struct {
		name string
		tl   *Timeline
		want map[int]int // event seq → index in Reads
	}{
		{"cache-aside", cacheAside(), map[int]int{0: -1, 1: 0, 2: -1, 3: -1, -1: -1}},
		{"stale-set", staleSetOpen(), map[int]int{0: 0, 1: 0, 2: -1, 3: -1, 4: 0, 5: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for seq, want := range tc.want {
				require.Equal(t, want, tc.tl.ReadAt(seq), "ReadAt(%d)", seq)
			}
		})
	}
}

func TestStateAt(t *testing.T) {
	tl := cacheAside()
	require.Equal(t, tl.Initial, tl.StateAt(-1))
	require.Equal(t, tl.Initial, tl.StateAt(-100))
	paid := Row{Key: "order:42", Value: "PAID", Version: 2, CommittedAt: 3 * ms, Actor: "writer"}
	require.Equal(t, State{At: 3 * ms, Cache: []CacheEntry{{Key: "order:42", Value: "CANCELLED", TTL: 300*s - 3*ms}}, DB: []Row{paid}}, tl.StateAt(0))
	last := State{At: 5 * ms, Cache: []CacheEntry{}, DB: []Row{paid}}
	require.Equal(t, last, tl.StateAt(2))
	require.Equal(t, last, tl.StateAt(3), "past the end: the last state")
	require.Equal(t, last, tl.StateAt(1000))

	tl.States = nil
	require.Equal(t, tl.Initial, tl.StateAt(0), "no states recorded: the initial one")
	require.Equal(t, tl.Initial, tl.StateAt(5))
}

func TestEnd(t *testing.T) {
	require.Equal(t, 5*time.Millisecond, cacheAside().End())
	require.Equal(t, 5*time.Second+5*time.Millisecond, staleSetOpen().End())
	require.Equal(t, time.Duration(0), (&Timeline{}).End())
}
