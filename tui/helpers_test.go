package tui

import (
	"time"

	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

// plainStyles are the styles with color off, as the golden files are drawn.
func plainStyles() *styles { return newStyles(newRenderer(nil, true), ThemeDark, true) }

// sourceOf wraps a timeline as a Source.
func sourceOf(tl *timeline.Timeline) Source {
	return Source{Name: tl.Scenario, Title: tl.Title, Description: tl.Description,
		Load: func() (*timeline.Timeline, error) { return tl, nil }}
}

// newTestModel returns a model of sources, sized w×h, with sources[initial]
// loaded (its load command run synchronously), color off.
func newTestModel(t testing.TB, sources []Source, initial, w, h int) Model {
	t.Helper()
	m := newModel(sources, initial, Options{NoColor: true}, plainStyles())
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	cmd := m.Init()
	require.NotNil(t, cmd, "Init returns no load command")
	return update(t, m, cmd())
}

// update feeds msg to m and returns the new model.
func update(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	nm, _ := m.Update(msg)
	mm, ok := nm.(Model)
	require.True(t, ok, "Update returned %T", nm)
	return mm
}

// keyMsg is the message of a key as the terminal would send it.
func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "home":
		return tea.KeyMsg{Type: tea.KeyHome}
	case "end":
		return tea.KeyMsg{Type: tea.KeyEnd}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press feeds keys to m, one by one.
func press(t testing.TB, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		m = update(t, m, keyMsg(k))
	}
	return m
}

// requireFits checks that view has exactly h lines, none wider than w.
func requireFits(t testing.TB, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	require.Len(t, lines, h, "view has %d lines, want %d:\n%s", len(lines), h, view)
	for i, l := range lines {
		require.LessOrEqual(t, lipgloss.Width(l), w, "line %d is %d columns wide, want ≤ %d:\n%q", i, lipgloss.Width(l), w, l)
	}
}

func windowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// pressRun is press for keys whose command does the work off the UI
// goroutine (s, enter on a counterexample): the command is run here and
// its message fed back. It must not be a batch or a tick.
func pressRun(t testing.TB, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		nm, cmd := m.Update(keyMsg(k))
		mm, ok := nm.(Model)
		require.True(t, ok, "Update returned %T", nm)
		m = mm
		if cmd != nil {
			msg := cmd()
			_, batch := msg.(tea.BatchMsg)
			require.False(t, batch, "key %q: pressRun cannot run a batch", k)
			m = update(t, m, msg)
		}
	}
	return m
}

// headerOf is the first line of a view.
func headerOf(view string) string { return strings.SplitN(view, "\n", 2)[0] }

// testWindow is a window of width columns over tp from left at scale, the
// cursor at pos, with tracks [top, top+n) (every track when n < 0), one
// label line each.
func testWindow(tp *tape, width int, left, scale time.Duration, pos, top, n int) window {
	all := tp.tracks()
	if n < 0 {
		n = len(all)
	}
	top = max(0, min(top, len(all)-n))
	ts := make([]shownTrack, n)
	for i := range ts {
		ts[i] = shownTrack{track: all[top+i], labels: 1}
	}
	return window{Width: width, Gutter: tp.naturalGutter(24), Left: left, Scale: scale, Pos: pos,
		Tracks: ts, Above: top, Below: len(all) - top - n}
}

const time1s = time.Second

// durUS is n microseconds.
func durUS(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
