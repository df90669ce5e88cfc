package tui

import (
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

func cacheAsideModel(t *testing.T) Model {
	t.Helper()
	return newTestModel(t, []Source{sourceOf(cacheAsideTimeline()), sourceOf(staleSetTimeline())}, 0, 100, 30)
}

func TestStepForwardToTheEndAndBack(t *testing.T) {
	m := cacheAsideModel(t)
	require.Equal(t, stateTape, m.state)
	require.Equal(t, 0, m.pos)
	require.Contains(t, m.View(), "step 0/3")
	require.Contains(t, m.View(), "t=+0s")

	wantTimes := []string{"t=+3.000ms", "t=+4.500ms", "t=+5.000ms"}
	for i, key := range []string{"right", "l", " "} {
		m = press(t, m, key)
		require.Equal(t, i+1, m.pos, "after %q", key)
		require.Contains(t, m.View(), wantTimes[i])
	}
	require.Contains(t, m.View(), "step 3/3")
	require.Contains(t, m.View(), "12:00:00.005000")
	m = press(t, m, "right", "right")
	require.Equal(t, 3, m.pos, "stepping past the end")

	for i, key := range []string{"left", "h", "left"} {
		m = press(t, m, key)
		require.Equal(t, 2-i, m.pos, "after %q", key)
	}
	m = press(t, m, "left")
	require.Equal(t, 0, m.pos, "stepping before the start")
	require.Contains(t, m.View(), "Start: no step taken yet")
}

func TestStepBackIsExact(t *testing.T) {
	// Every position shows the same frame whether reached forward or back.
	tl := syntheticTimeline(300, 4, 3, 3)
	m := newTestModel(t, []Source{sourceOf(tl)}, 0, 100, 30)
	frames := map[int]string{}
	for m.pos < m.tape.n {
		frames[m.pos] = m.View()
		m = press(t, m, "right")
	}
	m = press(t, m, "g") // the same scroll state as the way forward
	for m.pos < m.tape.n {
		require.Equal(t, frames[m.pos], m.View(), "position %d", m.pos)
		m = press(t, m, "right")
	}
}

func TestMarks(t *testing.T) {
	m := cacheAsideModel(t)
	// n stops at the cause (the WRITE, step 1: the cache is not told),
	// then at the stale read (the GET, step 2).
	m = press(t, m, "n")
	require.Equal(t, 1, m.pos, "n lands on the cause first")
	require.Contains(t, m.View(), "the cause")
	m = press(t, m, "n")
	require.Equal(t, 2, m.pos, "then on the stale read")
	view := m.View()
	require.Contains(t, view, "✗ STALE GET order:42 → CANCELLED, current PAID")
	text, stale := narrate(m.tape, m.pos, false)
	require.True(t, stale)
	require.Equal(t, "reader gets order:42 from the cache: CANCELLED. The database committed PAID at +3ms: this read is stale (stale-hit).", text)
	require.Contains(t, view, "reader gets order:42 from the cache: CANCELLED.")
	m = press(t, m, "n")
	require.Equal(t, 2, m.pos, "no mark after the last")
	require.Contains(t, m.View(), "no further anomaly after step 2", "and it says so")

	m = press(t, m, "left")
	text, stale = narrate(m.tape, m.pos, false)
	require.False(t, stale)
	require.Equal(t, "writer commits order:42 = PAID to the database (v2). Now the cache diverges from the database on order:42: cache CANCELLED, db PAID.", text)
	m = press(t, m, "N", "N")
	require.Equal(t, 1, m.pos, "no mark before the first")
	require.Contains(t, m.View(), "no anomaly before step 1")

	m = press(t, m, "G", "N")
	require.Equal(t, 2, m.pos, "N from the end lands on the stale read")
}

func TestMarksOnALongRun(t *testing.T) {
	tl := syntheticTimeline(2000, 6, 4, 5)
	m := newTestModel(t, []Source{sourceOf(tl)}, 0, 120, 40)
	marks := m.tape.marks
	require.NotEmpty(t, marks)
	for _, want := range marks {
		m = press(t, m, "n")
		require.Equal(t, want+1, m.pos)
	}
	for i := len(marks) - 2; i >= 0; i-- {
		m = press(t, m, "N")
		require.Equal(t, marks[i]+1, m.pos)
	}
}

func TestFirstLast(t *testing.T) {
	m := cacheAsideModel(t)
	m = press(t, m, "G")
	require.Equal(t, 3, m.pos)
	m = press(t, m, "g")
	require.Equal(t, 0, m.pos)
	m = press(t, m, "end")
	require.Equal(t, 3, m.pos)
	m = press(t, m, "home")
	require.Equal(t, 0, m.pos)
}

func TestZoom(t *testing.T) {
	m := cacheAsideModel(t)
	require.True(t, m.auto)
	fit := m.scale
	require.Equal(t, fitScale(m.tape.end, m.window().cols()), fit, "the run opens zoomed to fit")

	m = press(t, m, "n", "n", "z")
	require.False(t, m.auto, "z ends zoom to fit")
	require.Less(t, m.scale, fit)
	m = press(t, m, "z", "z", "z", "z")
	w := m.window()
	cc := w.cursorCol(m.tape)
	require.True(t, cc >= 0 && cc < w.cols(), "the cursor stays in view when zoomed in: column %d", cc)
	require.Contains(t, m.View(), "┫", "the current step is drawn")

	for range len(scales) + 3 {
		m = press(t, m, "Z")
	}
	require.True(t, m.auto, "zoom out stops at the whole run")
	require.Equal(t, fit, m.scale, "never past it")
	require.Contains(t, m.View(), "the whole run fits")
	for range len(scales) + 3 {
		m = press(t, m, "z")
	}
	require.Equal(t, scales[0], m.scale, "zoom in stops at the first level")
	requireFits(t, m.View(), 100, 30)
	m = press(t, m, "f")
	require.True(t, m.auto)
	require.Equal(t, fit, m.scale, "f fits the run again")
}

func TestScrollKeepsTheCursorInView(t *testing.T) {
	tl := syntheticTimeline(3000, 10, 5, 9)
	m := newTestModel(t, []Source{sourceOf(tl)}, 0, 80, 24)
	lay := m.layout()
	require.Less(t, len(lay.tracks), 10, "not every track fits at 80×24")
	m = press(t, m, "z", "z", "z") // zoomed in: the view follows the cursor
	for step := 0; step < 600; step++ {
		m = press(t, m, "right")
		w := m.window()
		cc := w.cursorCol(m.tape)
		require.True(t, cc >= 0 && cc < w.cols(), "step %d: cursor column %d out of view", m.pos, cc)
		l := m.tape.laneOf[m.pos-1]
		found := false
		for _, s := range w.Tracks {
			found = found || s.kind == trackActor && s.lane == l
		}
		require.True(t, found, "step %d: lane %d not in view", m.pos, l)
	}
	m = press(t, m, "G")
	w := m.window()
	cc := w.cursorCol(m.tape)
	require.True(t, cc >= 0 && cc < w.cols(), "G: cursor column %d", cc)
}

func TestMouseWheel(t *testing.T) {
	tl := syntheticTimeline(500, 10, 5, 9)
	m := newTestModel(t, []Source{sourceOf(tl)}, 0, 80, 24)
	require.Equal(t, 0, m.top)
	wheel := func(b tea.MouseButton, shift bool) tea.MouseMsg {
		return tea.MouseMsg{Button: b, Action: tea.MouseActionPress, Shift: shift}
	}
	m = update(t, m, wheel(tea.MouseButtonWheelDown, false))
	require.Equal(t, 1, m.top, "the wheel scrolls the lanes down")
	m = update(t, m, wheel(tea.MouseButtonWheelUp, false))
	m = update(t, m, wheel(tea.MouseButtonWheelUp, false))
	require.Equal(t, 0, m.top)
	m = press(t, m, "z", "z")
	left := m.left
	m = update(t, m, wheel(tea.MouseButtonWheelDown, true))
	require.Greater(t, m.left, left, "shift+wheel scrolls through time")
	m = update(t, m, wheel(tea.MouseButtonWheelLeft, false))
	require.Equal(t, left, m.left)

	// With every lane in view, the wheel scrolls time.
	m = cacheAsideModel(t)
	m = press(t, m, "z", "z", "z")
	left = m.left
	m = update(t, m, wheel(tea.MouseButtonWheelDown, false))
	require.Greater(t, m.left, left)
}

func TestPlay(t *testing.T) {
	m := cacheAsideModel(t)
	nm, cmd := m.Update(keyMsg("p"))
	m = nm.(Model)
	require.True(t, m.playing)
	require.NotNil(t, cmd, "play schedules a tick")
	require.Contains(t, m.View(), "▶ 500ms/step")

	m = update(t, m, tickMsg{id: m.tickID - 1})
	require.Equal(t, 0, m.pos, "a tick of an older play is dropped")
	// Play pauses at each anomaly, the cause (step 1) and the stale read
	// (step 2), saying why; p plays on.
	for want := 1; want <= 3; want++ {
		var cmd tea.Cmd
		nm, cmd = m.Update(tickMsg{id: m.tickID})
		m = nm.(Model)
		require.Equal(t, want, m.pos)
		require.Nil(t, cmd, "step %d: play pauses or stops", want)
		require.False(t, m.playing)
		if want < 3 {
			require.Contains(t, m.View(), "⏸", "step %d: paused at an anomaly", want)
			nm, cmd = m.Update(keyMsg("p"))
			m = nm.(Model)
			require.True(t, m.playing)
			require.NotNil(t, cmd)
		}
	}

	m = press(t, m, "p") // at the end, play starts over
	require.True(t, m.playing)
	require.Equal(t, 0, m.pos)
	m = press(t, m, "+", "+")
	require.Equal(t, 4, m.speed)
	require.Contains(t, m.View(), "▶ 100ms/step")
	m = press(t, m, "-", "-", "-", "-", "-", "-")
	require.Equal(t, 0, m.speed)
	m = press(t, m, "p")
	require.False(t, m.playing)
	m = update(t, m, tickMsg{id: m.tickID})
	require.Equal(t, 0, m.pos, "no step while paused")
}

func TestPickerLoadsAnotherSource(t *testing.T) {
	m := cacheAsideModel(t)
	m = press(t, m, "n", "n")
	m = press(t, m, "o")
	require.Equal(t, statePicker, m.state)
	view := m.View()
	require.Contains(t, view, "Update the database, then delete the key")
	require.Contains(t, view, "A slow reader sets the old row back")

	m = press(t, m, "esc")
	require.Equal(t, stateTape, m.state, "esc closes the picker")
	require.Equal(t, 2, m.pos, "closing the picker keeps the cursor")

	m = press(t, m, "o", "down")
	nm, cmd := m.Update(keyMsg("enter"))
	m = nm.(Model)
	require.Equal(t, stateLoading, m.state)
	require.NotNil(t, cmd)
	require.Contains(t, m.View(), "loading stale-set")
	m = update(t, m, cmd())
	require.Equal(t, stateTape, m.state)
	require.Equal(t, 1, m.cur)
	require.Equal(t, "stale-set", m.tape.tl.Scenario)
	require.Equal(t, 0, m.pos, "a new run starts at its start")
	require.Contains(t, m.View(), "A slow reader sets the old row back")

	// Choosing the source already shown just closes the picker.
	m = press(t, m, "G", "o")
	nm, cmd = m.Update(keyMsg("enter"))
	m = nm.(Model)
	require.Nil(t, cmd)
	require.Equal(t, stateTape, m.state)
	require.Equal(t, m.tape.n, m.pos)
}

// A stale load result (from a load the user moved on from) is dropped.
func TestOlderLoadIsDropped(t *testing.T) {
	m := cacheAsideModel(t)
	m = press(t, m, "o", "down")
	nm, cmd := m.Update(keyMsg("enter"))
	m = nm.(Model)
	late := cmd()
	m = press(t, m, "o", "up")
	nm, cmd = m.Update(keyMsg("enter"))
	m = nm.(Model)
	m = update(t, m, cmd())
	require.Equal(t, "cache-aside", m.tape.tl.Scenario)
	m = update(t, m, late)
	require.Equal(t, "cache-aside", m.tape.tl.Scenario, "the older load's result is dropped")
}

func TestLoadErrorIsShown(t *testing.T) {
	const msg = "bad.yaml:3:7: unknown field \"tooks\"\n   3 |       - db.write: {key: order:42, tooks: 3ms}\n     |       ^"
	bad := Source{Name: "bad.yaml", Load: func() (*timeline.Timeline, error) { return nil, errors.New(msg) }}
	panics := Source{Name: "panics.yaml", Load: func() (*timeline.Timeline, error) { panic("boom") }}
	sources := []Source{bad, sourceOf(cacheAsideTimeline()), panics}
	m := newTestModel(t, sources, 0, 80, 24)
	require.Equal(t, stateTape, m.state)
	require.Nil(t, m.tape)
	view := m.View()
	requireFits(t, view, 80, 24)
	require.Contains(t, view, "cannot load bad.yaml:")
	require.Contains(t, view, `bad.yaml:3:7: unknown field "tooks"`)
	require.Contains(t, view, "      ^")
	require.Contains(t, view, "press o to pick another scenario")

	m = press(t, m, "right", "n", "G", "z") // nothing to step through: no panic
	require.Contains(t, m.View(), "bad.yaml:3:7")

	m = press(t, m, "o", "down")
	nm, cmd := m.Update(keyMsg("enter"))
	m = nm.(Model)
	m = update(t, m, cmd())
	require.NotNil(t, m.tape, "the picker still loads another source")
	require.Equal(t, "cache-aside", m.tape.tl.Scenario)

	m = press(t, m, "o", "down")
	nm, cmd = m.Update(keyMsg("enter"))
	m = nm.(Model)
	m = update(t, m, cmd())
	require.Nil(t, m.tape)
	require.Contains(t, m.View(), "load panics.yaml: panic: boom")
}

func TestNoSources(t *testing.T) {
	m := newModel(nil, 0, Options{NoColor: true}, plainStyles())
	require.Nil(t, m.Init())
	m = update(t, m, windowSize(80, 24))
	require.Contains(t, m.View(), "no scenario to show")
	m = press(t, m, "o", "enter", "esc", "right")
	requireFits(t, m.View(), 80, 24)
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m := cacheAsideModel(t)
		_, cmd := m.Update(keyMsg(k))
		require.NotNil(t, cmd, k)
		require.Equal(t, tea.QuitMsg{}, cmd(), k)
	}
	// ctrl+c quits from the picker; q there closes the picker.
	m := press(t, cacheAsideModel(t), "o")
	_, cmd := m.Update(keyMsg("ctrl+c"))
	require.Equal(t, tea.QuitMsg{}, cmd())
	m = press(t, m, "q")
	require.Equal(t, stateTape, m.state)
}

func TestHelpToggles(t *testing.T) {
	m := cacheAsideModel(t)
	require.NotContains(t, m.View(), "prev anomaly")
	m = press(t, m, "?")
	view := m.View()
	require.Contains(t, view, "prev anomaly")
	require.Contains(t, view, "zoom out")
	requireFits(t, view, 100, 30)
	m = press(t, m, "?")
	require.NotContains(t, m.View(), "prev anomaly")
}

func TestStateString(t *testing.T) {
	for s, want := range map[state]string{stateLoading: "loading", stateTape: "tape", statePicker: "picker", state(9): "state(9)"} {
		require.Equal(t, want, s.String())
	}
}

func TestScheduleIsShown(t *testing.T) {
	tl := cacheAsideTimeline()
	m := newTestModel(t, []Source{sourceOf(tl)}, 0, 120, 40)
	require.NotContains(t, strings.SplitN(m.View(), "\n", 2)[0], "schedule", "the header")

	m = newModel([]Source{sourceOf(tl)}, 0, Options{NoColor: true, Schedule: "writer reader writer"}, plainStyles())
	m = update(t, m, windowSize(120, 40))
	m = update(t, m, m.Init()())
	require.Contains(t, m.View(), "  schedule  t=+0s")

	tl = cacheAsideTimeline()
	tl.Mode = "schedule"
	m = newTestModel(t, []Source{sourceOf(tl)}, 0, 120, 40)
	require.Contains(t, m.View(), "  schedule  t=+0s")
	text, _ := narrate(m.tape, 0, false)
	require.Contains(t, text, "Schedule: writer reader writer.")
}

// TestPickerVerdicts: the picker says each scenario's verdict, and its help
// names enter and esc.
func TestPickerVerdicts(t *testing.T) {
	m := presetModel(t, "cache-aside", 120, 40)
	nm, cmd := m.Update(keyMsg("o"))
	m = nm.(Model)
	require.NotNil(t, cmd, "the first o runs the verdicts")
	m = update(t, m, cmd())
	view := m.View()
	require.Contains(t, view, "cache-aside · ✗ 1 stale read (stale-hit)")
	require.Contains(t, view, "lease · ✓ no stale reads")
	require.Contains(t, view, "enter open")
	require.Contains(t, view, "esc/o back")
	m = press(t, m, "esc")
	_, cmd = m.Update(keyMsg("o"))
	require.Nil(t, cmd, "asked once")
}
