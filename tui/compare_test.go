package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// startComparing presses c on m and checks the comparison is running,
// with its command returned.
func startComparing(t *testing.T, m Model) Model {
	t.Helper()
	nm, cmd := m.Update(keyMsg("c"))
	m = nm.(Model)
	require.Equal(t, stateCompare, m.state)
	require.NotNil(t, cmd, "c starts the comparison and its progress ticks")
	require.False(t, m.cmp.finished)
	return m
}

// finishComparing runs the model's comparison here, synchronously, as its
// command would, and feeds the result.
func finishComparing(t *testing.T, m Model) Model {
	t.Helper()
	msg := compareCmd(m.cmp.ctx, m.sources[m.cur], m.cmp.id, m.cmp.job)()
	_, ok := msg.(compareDoneMsg)
	require.True(t, ok, "%T", msg)
	return update(t, m, msg)
}

// compared is preset name at w×h, its comparison done.
func compared(t *testing.T, name string, w, h int) Model {
	t.Helper()
	m := finishComparing(t, startComparing(t, presetAt(t, name, w, h, false)))
	require.True(t, m.cmp.ok(), "%v", m.cmp.err)
	return m
}

// tableRow is the line of the comparison page that shows protocol p's
// row.
func tableRow(t *testing.T, view, p string) string {
	t.Helper()
	for _, l := range strings.Split(view, "\n") {
		if f := strings.Fields(strings.Trim(l, "▸ ")); len(f) > 1 && (f[0] == p || f[1] == p) {
			return l
		}
	}
	t.Fatalf("no row for %s in\n%s", p, view)
	return ""
}

// TestCompareTable: c on stale-set shows, for every protocol, the cells
// racetape compare prints (the same engine.Compare, the same options):
// at 200 columns every column, at 120 the ones that fit and the others
// under the table for the highlighted row.
func TestCompareTable(t *testing.T) {
	sc := presetSources(t)[2]
	require.Equal(t, "stale-set", sc.Name)
	s, err := sc.Scenario()
	require.NoError(t, err)
	res, err := engine.Compare(context.Background(), s, engine.CompareOptions{})
	require.NoError(t, err)
	want := engine.CompareTable(res, engine.CompareOptions{})

	wide := compared(t, "stale-set", 200, 50)
	view := wide.View()
	requireFits(t, view, 200, 50)
	require.Contains(t, view, "compare the fixes on stale-set")
	require.Contains(t, view, "readers (get, on a miss read + set): slow-reader")
	for _, row := range want[1:] {
		line := tableRow(t, view, row[0])
		for _, cell := range row {
			require.Contains(t, line, cell, "%s: every cell at 200 columns", row[0])
		}
	}
	// lease and versioned CAS close the stale set: they pass
	// linearizable, and nothing passes strict
	lease := tableRow(t, view, "lease")
	require.Regexp(t, `✗ fail +✓ pass +✓ pass`, lease)
	require.Regexp(t, `✗ fail +✗ fail +✓ pass`, tableRow(t, view, "update-then-delete"))

	narrow := compared(t, "stale-set", 120, 40)
	view = narrow.View()
	requireFits(t, view, 120, 40)
	for _, row := range want[1:] {
		line := tableRow(t, view, row[0])
		for _, i := range []int{1, 2, 5, 6, 7} { // stale, explored, the models
			require.Contains(t, line, row[i], "%s: %s", row[0], want[0][i])
		}
	}
	// anomalies do not fit at 120: the highlighted row's are under the table
	require.Contains(t, view, "anomalies: "+want[1][3])
	narrow = press(t, narrow, "down", "down", "down", "down")
	require.Equal(t, "lease", narrow.cmp.res[narrow.cmp.sel].Protocol)
	view = narrow.View()
	require.Contains(t, view, "anomalies: "+want[5][3])
	require.Contains(t, view, "lease: write, then DEL the key and its lease")
	require.Contains(t, tableRow(t, view, "lease"), "▸")
	require.Contains(t, view, string(timeline.StaleSet)+": "+timeline.StaleSet.Explain())
}

// TestCompareGolden: the comparison page and two protocols stacked, at
// the three sizes.
func TestCompareGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		m := compared(t, "stale-set", size[0], size[1])
		t.Run(fmt.Sprintf("table-%dx%d", size[0], size[1]), func(t *testing.T) {
			view := press(t, m, " ", "down", "down", "down", "down").View()
			requireFits(t, view, size[0], size[1])
			golden.RequireEqual(t, []byte(view))
		})
		t.Run(fmt.Sprintf("stack-%dx%d", size[0], size[1]), func(t *testing.T) {
			m := pressRun(t, press(t, m, " ", "down", "down", "down", "down", " "), "enter")
			require.Equal(t, stateStack, m.state)
			view := press(t, m, "n", "n", "n").View()
			requireFits(t, view, size[0], size[1])
			golden.RequireEqual(t, []byte(view))
		})
	}
}

// axisLines are the time axes of a view: the lines whose gutter says the
// scale ("120µs/col"), without the arrow that says a run goes on past the
// right edge (the earlier run may end in view).
func axisLines(view string) []string {
	var out []string
	for _, l := range strings.Split(view, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasSuffix(f[0], "/col") {
			out = append(out, strings.TrimRight(l, " ▸"))
		}
	}
	return out
}

// TestCompareStack: two protocols marked open one above the other on the
// same time axis; stepping moves both to the next instant a step of
// either ends; zooming and scrolling move both; esc goes back to the
// table, then to the lanes as they were.
func TestCompareStack(t *testing.T) {
	m := compared(t, "stale-set", 120, 40)
	lanes := presetAt(t, "stale-set", 120, 40, false).View()

	// enter without two marks says what to do
	m = press(t, m, "enter")
	require.Equal(t, stateCompare, m.state)
	require.Contains(t, m.View(), "mark two protocols with space")

	// marks: two at most, a third replaces the oldest; space unmarks
	m = press(t, m, " ", "down", " ", "down", " ")
	require.Equal(t, []int{1, 2}, m.cmp.marked)
	m = press(t, m, " ")
	require.Equal(t, []int{1}, m.cmp.marked)
	m = press(t, m, "up", "up", " ", "down", "down", "down", "down", " ")
	require.Equal(t, []int{0, 4}, m.cmp.marked)
	require.Contains(t, m.View(), "enter opens update-then-delete and lease one above the other")

	m = pressRun(t, m, "enter")
	require.Equal(t, stateStack, m.state)
	view := m.View()
	requireFits(t, view, 120, 40)
	require.Contains(t, headerOf(view), "stale-set: update-then-delete ▲ vs lease ▼")
	require.Contains(t, view, "▲ update-then-delete")
	require.Contains(t, view, "▼ lease")
	require.Contains(t, view, "LEASE SET order:42=CANCELLED PX 300s → refused", "lease's run is the lower one")
	axes := axisLines(view)
	require.Len(t, axes, 2)
	require.Equal(t, axes[0], axes[1], "one time axis for both")

	s := &m.cmp.stack
	for i := 1; i < len(s.times); i++ {
		m = press(t, m, "right")
		s = &m.cmp.stack
		require.Equal(t, i, s.at)
		for b := range 2 {
			tp, pos := s.tapes[b], s.posAt(b)
			require.LessOrEqual(t, tp.timeAt(pos), s.now())
			if pos < tp.n {
				require.Greater(t, tp.tl.Events[pos].End, s.now(), "run %d: every step ended by now is shown", b)
			}
		}
		axes := axisLines(m.View())
		require.Equal(t, axes[0], axes[1], "after %d steps", i)
	}
	require.Equal(t, s.end(), s.now(), "the last instant ends the later run")
	m = press(t, m, "right")
	require.Equal(t, len(s.times)-1, m.cmp.stack.at)

	// n stops at the stale read of update-then-delete
	m = press(t, m, "g", "n", "n")
	require.Contains(t, m.View(), "✗ STALE GET order:42 → CANCELLED, current PAID")

	// zoom: both axes together, still one
	before := m.cmp.stack.scale
	m = press(t, m, "z", "z")
	require.Less(t, m.cmp.stack.scale, before)
	axes = axisLines(m.View())
	require.Equal(t, axes[0], axes[1])
	m = press(t, m, "f")
	require.Equal(t, before, m.cmp.stack.scale)

	// reveal mode hides what lies ahead in both
	m = press(t, m, "g", "R")
	view = m.View()
	require.NotContains(t, view, "STALE")
	require.NotContains(t, view, "LEASE SET")
	m = press(t, m, "R")

	m = press(t, m, "esc")
	require.Equal(t, stateCompare, m.state)
	require.Equal(t, []int{0, 4}, m.cmp.marked, "the table as it was")
	m = press(t, m, "esc")
	require.Equal(t, stateTape, m.state)
	require.Equal(t, lanes, m.View(), "the lanes as they were")

	// c again shows the table kept for this load, at once
	nm, cmd := m.Update(keyMsg("c"))
	require.Nil(t, cmd)
	require.Equal(t, stateCompare, nm.(Model).state)
}

// TestCompareCannotMap: a scenario whose actors do not map onto readers
// and writers says so, with the step to blame.
func TestCompareCannotMap(t *testing.T) {
	m := finishComparing(t, startComparing(t, presetAt(t, "replica-lag", 120, 40, false)))
	require.ErrorIs(t, m.cmp.err, engine.ErrCannotCompare)
	view := m.View()
	requireFits(t, view, 120, 40)
	require.Contains(t, view, "replica-lag cannot be compared across protocols:")
	require.Contains(t, view, `actor "reader", cache.get order:42`)
	require.Contains(t, view, "replica-lag.yaml:")
	require.Contains(t, view, "Try cache-aside, stale-set or double-delete")
	m = press(t, m, "enter", " ")
	require.Equal(t, stateCompare, m.state)
	m = press(t, m, "esc")
	require.Equal(t, stateTape, m.state)
}

// TestCompareProgressAndCancel: while it runs the page says which
// protocol it is on; esc cancels the comparison through its context and
// goes back; what the cancelled run still sends is dropped; c starts
// again.
func TestCompareProgressAndCancel(t *testing.T) {
	m := startComparing(t, presetAt(t, "cache-aside", 100, 30, false))
	m.cmp.job.progress(2, 7, "double-delete")
	m = update(t, m, compareTickMsg{id: m.cmp.id})
	view := m.View()
	requireFits(t, view, 100, 30)
	require.Contains(t, view, "comparing 7 protocols on cache-aside: double-delete")
	require.Contains(t, view, "29%")
	require.Contains(t, view, "esc cancel")

	ctx, id, job, src := m.cmp.ctx, m.cmp.id, m.cmp.job, m.sources[m.cur]
	m = press(t, m, "esc")
	require.Equal(t, stateTape, m.state)
	require.ErrorIs(t, ctx.Err(), context.Canceled)
	msg := compareCmd(ctx, src, id, job)()
	require.ErrorIs(t, msg.(compareDoneMsg).err, context.Canceled)
	m = update(t, m, msg)
	require.Equal(t, stateTape, m.state)

	m = startComparing(t, m)
	require.Greater(t, m.cmp.id, id)
	m = finishComparing(t, m)
	require.True(t, m.cmp.ok())
}

// TestCompareNotAvailable: a source without a scenario (a recorded tape)
// cannot be compared, and says so.
func TestCompareNotAvailable(t *testing.T) {
	m := newTestModel(t, []Source{sourceOf(cacheAsideTimeline())}, 0, 100, 30)
	m = press(t, m, "c")
	require.Equal(t, stateTape, m.state)
	require.Contains(t, m.View(), "compare is not available for this source")
}
