package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/require"
)

// TestLessonKey: i opens the preset's whole lesson in the panes' place,
// the lanes still drawn above, and i or esc closes it; a scenario without
// a lesson says so.
func TestLessonKey(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m := presetAt(t, "stale-set", size[0], size[1], true)
			before := m.View()
			m = press(t, m, "right", "i")
			require.True(t, m.lesson)
			view := m.View()
			requireFits(t, view, size[0], size[1])
			require.Contains(t, view, "Lesson · stale-set")
			for _, part := range []string{"Watch:", "Why:", "Fix:", "Cost:"} {
				require.Contains(t, view, part)
			}
			require.Contains(t, view, "leases (the DEL invalidates the lease")
			require.Contains(t, view, "slow-reader", "the lanes stay in view")
			require.NotContains(t, view, "What happens")
			golden.RequireEqual(t, []byte(view))

			// stepping keeps it open; esc closes it, then i again and i
			m = press(t, m, "right")
			require.Contains(t, m.View(), "Lesson · stale-set")
			m = press(t, m, "esc")
			require.False(t, m.lesson)
			require.Equal(t, stateTape, m.state)
			m = press(t, m, "left", "left", "i", "i")
			require.Equal(t, before, m.View())
		})
	}
	m := newTestModel(t, []Source{sourceOf(cacheAsideTimeline())}, 0, 100, 30)
	m = press(t, m, "i")
	require.False(t, m.lesson)
	require.Contains(t, m.View(), "no lesson for")
}

// pickerAt is the picker over the presets at w×h, reveal mode on or off,
// with the verdicts in.
func pickerAt(t *testing.T, w, h int, reveal bool) Model {
	t.Helper()
	m := presetAt(t, "cache-aside", w, h, reveal)
	m = pressRun(t, m, "o")
	require.Equal(t, statePicker, m.state)
	require.NotEmpty(t, m.pickVerdicts, "the verdicts arrived")
	return m
}

// TestPickerLesson: the picker shows the highlighted preset's lesson; in
// reveal mode only what to watch for, the rest being the answer.
func TestPickerLesson(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		for _, reveal := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%d/reveal=%v", size[0], size[1], reveal), func(t *testing.T) {
				m := pickerAt(t, size[0], size[1], reveal)
				view := m.View()
				requireFits(t, view, size[0], size[1])
				require.Contains(t, view, "· cache-aside")
				require.Contains(t, view, "Watch: the reader's GET lands")
				if reveal {
					require.Contains(t, view, "What to watch for · cache-aside")
					require.NotContains(t, view, "Why:")
					require.NotContains(t, view, "Fix:")
				} else {
					require.Contains(t, view, "Lesson · cache-aside")
					require.Contains(t, view, "Why:")
				}
				golden.RequireEqual(t, []byte(view))
				m = press(t, m, "down")
				require.Contains(t, m.View(), "· delete-then-update")
				require.Contains(t, m.View(), "Watch: a reader misses after the early DEL")
			})
		}
	}
	// a short terminal keeps the list whole
	m := pickerAt(t, 80, 15, false)
	requireFits(t, m.View(), 80, 15)
	require.NotContains(t, m.View(), "Lesson")
}

// TestPickerHidesVerdictsInReveal: in reveal mode the picker does not
// tell which scenarios serve stale data; with the whole run shown it
// does; R in the lanes changes what the picker says next time.
func TestPickerHidesVerdictsInReveal(t *testing.T) {
	m := pickerAt(t, 120, 40, true)
	view := m.View()
	require.Contains(t, view, "reveal mode: verdicts hidden")
	require.Contains(t, view, "cache-aside · ? verdict")
	for _, v := range []string{"stale read", "no stale reads", "✗", "✓"} {
		require.NotContains(t, view, v)
	}

	m = press(t, m, "esc", "R", "o")
	view = m.View()
	require.NotContains(t, view, "verdicts hidden")
	require.Contains(t, view, "cache-aside · ✗ 1 stale read (stale-hit)")
	require.Contains(t, view, "lease · ✓ no stale reads")

	m = press(t, m, "esc", "R", "o")
	require.Contains(t, m.View(), "cache-aside · ? verdict")
	require.True(t, strings.Contains(m.View(), "lease · ? verdict"))
}
