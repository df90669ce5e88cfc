package timeline

import (
	"fmt"
	"io"
	"runtime"
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

func TestWrapLongWordIsLinear(t *testing.T) {
	word := strings.Repeat("K", 200000)
	var lines []string
	alloc := allocatedBy(func() { lines = wrap(word, 100, "", "  ") })
	require.Len(t, lines, 1+(200000-100+97)/98)
	require.Equal(t, word, strings.ReplaceAll(strings.Join(lines, ""), " ", ""), "every character is kept")
	for _, l := range lines {
		require.LessOrEqual(t, runeLen(l), 100)
	}
	require.Less(t, alloc, uint64(40*len(word)), "linear in the word (%d bytes)", alloc)
}

// crowd is a run of n actors that each read one key once, one after the
// other.
func crowd(n int) *Timeline {
	tl := &Timeline{Scenario: "crowd", Epoch: epoch, Mode: "timed", ExpiryRule: expiryRule,
		Initial: State{DB: []Row{seedRow("k", "v")}}}
	var states []State
	for i := range n {
		name := fmt.Sprintf("a%d", i)
		tl.Actors = append(tl.Actors, name)
		tl.Schedule = append(tl.Schedule, name)
		tl.Events = append(tl.Events, Event{Seq: i, Actor: name, Lane: i, Step: 1, Op: "db.read", Key: "k", Command: "SELECT k",
			Result: "hit", Value: "v", Version: 1, Start: ms * time_(i), End: ms*time_(i) + ms/2})
		states = append(states, State{At: ms*time_(i) + ms/2, DB: []Row{seedRow("k", "v")}})
	}
	tl.States = NewStateLog(tl.Initial, states)
	return tl
}

func time_(i int) time.Duration { return time.Duration(i) }

func TestTextOfManyActorsIsLinear(t *testing.T) {
	// With more lanes than the width can show side by side, the lanes are
	// written one row per line; their layout must not hold a cell per lane
	// per row.
	small, large := crowd(500), crowd(4000)
	var err error
	a := allocatedBy(func() { err = small.WriteText(io.Discard, TextOptions{}) })
	require.NoError(t, err)
	b := allocatedBy(func() { err = large.WriteText(io.Discard, TextOptions{}) })
	require.NoError(t, err)
	require.Less(t, b, 16*a, "8 times the actors: at most about 8 times the memory (%d, then %d bytes)", a, b)
	var out strings.Builder
	require.NoError(t, large.WriteText(&out, TextOptions{}))
	require.Contains(t, out.String(), "a3999")
	require.Less(t, out.Len(), 400*4000, "output linear in the run")
}
