package timeline

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// drawn is a lane row as the tests read it: the time, then every cell as
// drawn, with "░" appended to a shaded cache cell and a leading "✗" for a
// row where a stale read ends.
func drawn(lt laneTable) [][]string {
	var out [][]string
	for i, r := range lt.rows {
		mark := ""
		if r.stale {
			mark = "✗"
		}
		row := []string{mark + FormatOffset(r.at)}
		for i, c := range dense(lt)[i] {
			s := cellText(c)
			if c.shade && i == lt.cacheLane {
				s += "░"
			}
			row = append(row, s)
		}
		out = append(out, row)
	}
	return out
}

// dense returns the cells of every row in every lane.
func dense(lt laneTable) [][]laneCell {
	var out [][]laneCell
	lt.eachDense(func(_ laneRow, cells []laneCell) { out = append(out, append([]laneCell(nil), cells...)) })
	return out
}

func TestLanesCacheAside(t *testing.T) {
	lt := cacheAside().lanes(lanesForm{noKey: true})
	require.Equal(t, []string{"writer", "reader", "cache", "db"}, lt.names)
	require.Equal(t, [][]string{
		{"+0s", "", "", "CANCELLED ttl 300s", "CANCELLED v1"},
		{"+0s", "┌ WRITE PAID", "", "", ""},
		{"+3.000ms", "└ WRITE PAID (v2)", "", "CANCELLED ≠ db░", "COMMIT PAID v2"},
		{"+3.000ms", "┌ DEL", "", "░", ""},
		{"+4.000ms", "│", "┌ GET", "░", ""},
		{"✗+4.500ms", "│", "└ GET → CANCELLED", "CANCELLED ≠ db░", ""},
		{"+5.000ms", "└ DEL", "", "(none)", ""},
	}, drawn(lt))
	require.Equal(t, []string{"✗ STALE served CANCELLED, current PAID (stale-hit)"}, lt.rows[5].notes)
	require.Equal(t, 1, lt.rows[5].lane, "the stale row belongs to the reader's lane")
}

func TestLanesWithKeys(t *testing.T) {
	lt := staleSetOpen().lanes(lanesForm{})
	rows := drawn(lt)
	require.Equal(t, []string{"+0s", "", "", "", "(empty)", "order:42=CANCELLED v1"}, rows[0])
	require.Equal(t, []string{"+5.000ms", "", "└ SET order:42=CANCELLED PX 300s", "", "order:42=CANCELLED ≠ db░", ""}, rows[10])
	require.Equal(t, []string{"↳ nothing to delete"}, lt.rows[9].notes, "an event's note goes under its row")
}

func TestLanesOrderAtOneInstant(t *testing.T) {
	// At +2ms: the entry expires, a and b end (in run order), c starts.
	tl := &Timeline{
		Actors: []string{"a", "b", "c"},
		Events: []Event{
			{Seq: 0, Actor: "b", Op: "cache.get", Key: "k", Result: "miss", Start: 1 * ms, End: 2 * ms},
			{Seq: 1, Actor: "a", Op: "cache.get", Key: "k", Result: "miss", Start: 0, End: 2 * ms},
			{Seq: 2, Actor: "c", Op: "cache.del", Key: "k", Result: "ok", Start: 2 * ms, End: 3 * ms},
			{Seq: 3, Actor: "a", Op: "cache.del", Key: "k", Result: "ok", Start: 3 * ms, End: 3 * ms},
		},
		Expiries: []Expiry{{Key: "k", Value: "v", At: 2 * ms}},
	}
	lt := tl.lanes(lanesForm{noKey: true})
	var kinds []rowKind
	var lanes []int
	for _, r := range lt.rows {
		kinds = append(kinds, r.kind)
		lanes = append(lanes, r.lane)
	}
	require.Equal(t, []rowKind{rowStart, rowStart, rowExpiry, rowEnd, rowEnd, rowStart, rowEnd, rowEnd}, kinds)
	require.Equal(t, []int{0, 1, 3, 1, 0, 2, 2, 0}, lanes)
	require.Equal(t, "• DEL", cellText(dense(lt)[7][0]), "a step that took no time has one row")
	require.Equal(t, "expired", dense(lt)[2][lt.cacheLane].text)
}

func TestLanesActorNotListed(t *testing.T) {
	tl := cacheAside()
	tl.Actors = []string{"writer"}
	lt := tl.lanes(lanesForm{})
	require.Equal(t, []string{"writer", "reader", "cache", "db"}, lt.names, "an actor missing from Actors gets a lane before the cache")
}

func TestLanesWithoutStates(t *testing.T) {
	// A timeline recorded without per-step states (engine.Options.NoStates)
	// still shades the cache lane, from the divergences.
	tl := cacheAside()
	tl.States, tl.Initial = nil, State{}
	var shaded []string
	lt := tl.lanes(lanesForm{noKey: true})
	for i, r := range lt.rows {
		if dense(lt)[i][2].shade {
			shaded = append(shaded, FormatOffset(r.at))
		}
		require.Empty(t, dense(lt)[i][2].text, "no states: nothing to say about the cache's contents")
	}
	require.Equal(t, []string{"+3.000ms", "+3.000ms", "+4.000ms", "+4.500ms"}, shaded)
}

func TestSingleKey(t *testing.T) {
	key, ok := cacheAside().singleKey()
	require.True(t, ok)
	require.Equal(t, "order:42", key)

	tl := cacheAside()
	tl.Events[2].Key = "order:43"
	_, ok = tl.singleKey()
	require.False(t, ok)

	tl = cacheAside()
	tl.Initial.DB = append(tl.Initial.DB, seedRow("order:43", "NEW"))
	_, ok = tl.singleKey()
	require.False(t, ok)

	tl = cacheAside()
	tl.Events = append(tl.Events, Event{Seq: 3, Actor: ClockActor, Op: "clock.tick", Key: "order:42 order:43"})
	_, ok = tl.singleKey()
	require.False(t, ok, "a clock tick over two keys")

	_, ok = (&Timeline{}).singleKey()
	require.False(t, ok)
}

func TestNoteLineKeepsSpansToItsLeft(t *testing.T) {
	lt := cacheAside().lanes(lanesForm{noKey: true})
	l, fits, _ := lt.layout(100)
	require.True(t, fits)
	line := lt.noteLine(lt.rows[5], dense(lt)[5], l, lt.rows[5].notes[0], 100)
	require.True(t, strings.HasPrefix(strings.TrimSpace(line), "│"), "the writer's DEL is still under way: %q", line)

	line = lt.noteLine(lt.rows[5], dense(lt)[5], l, lt.rows[5].notes[0], 60)
	require.True(t, strings.HasPrefix(strings.TrimSpace(line), "✗ STALE"), "no room in the reader's lane: from the first lane: %q", line)
}
