package tui_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
	"github.com/racetape/racetape/tui"
)

// This fuzz target drives the TUI only through what any program has: New,
// Init, Update with tea messages, and View. It does not depend on how the
// model is built inside.

// fuzzKeys are the keys a byte of the input stands for.
var fuzzKeys = func() []tea.KeyMsg {
	keys := []tea.KeyMsg{
		{Type: tea.KeyUp}, {Type: tea.KeyDown}, {Type: tea.KeyLeft}, {Type: tea.KeyRight},
		{Type: tea.KeyEnter}, {Type: tea.KeyEsc}, {Type: tea.KeyTab}, {Type: tea.KeyShiftTab},
		{Type: tea.KeySpace, Runes: []rune{' '}}, {Type: tea.KeyBackspace}, {Type: tea.KeyHome}, {Type: tea.KeyEnd},
		{Type: tea.KeyPgUp}, {Type: tea.KeyPgDown}, {Type: tea.KeyCtrlLeft}, {Type: tea.KeyCtrlRight},
	}
	for r := '!'; r <= '~'; r++ {
		if r == 'q' {
			continue // quits: nothing left to look at
		}
		keys = append(keys, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return keys
}()

// fuzzSources are the scenarios the TUI is given: runs recorded once, up
// front, and a file that does not load.
func fuzzSources(tb testing.TB) []tui.Source {
	var out []tui.Source
	for _, name := range []string{"cache-aside", "stale-set", "seed-matrix", "ttl-boundary"} {
		sc, err := presets.Get(name)
		require.NoError(tb, err)
		tl, err := engine.Run(sc, engine.Options{})
		require.NoError(tb, err)
		out = append(out, tui.Source{
			Name: name, Title: sc.Title, Description: sc.Description,
			Load:     func() (*timeline.Timeline, error) { return tl, nil },
			Scenario: func() (*engine.Scenario, error) { return presets.Get(name) },
		})
	}
	bad := errors.New("bad.yaml:3:7: unknown field \"stpes\"")
	return append(out, tui.Source{Name: "bad.yaml", Title: "bad.yaml",
		Load:     func() (*timeline.Timeline, error) { return nil, bad },
		Scenario: func() (*engine.Scenario, error) { return nil, bad }})
}

// FuzzUpdate feeds the TUI random keys and window sizes. Each byte is a
// key, except 0xff, whose next two bytes are a window size. After every
// message nothing has panicked and the view fits the window. Commands
// (loads, ticks, explorations) are not run, but the first load's.
func FuzzUpdate(f *testing.F) {
	sources := fuzzSources(f)
	size := func(w, h byte) string { return string([]byte{0xff, w, h}) }
	for _, seed := range []string{
		"", size(80, 24) + "llllhhhh", size(100, 30) + "nnNN?", size(0, 0) + "l", size(19, 2) + "o",
		size(200, 50) + "zzzZZZ", size(40, 12) + "o\x04\x04\x05", size(255, 255) + "?l", size(120, 40) + "jjjjkkkk/",
		size(60, 20) + "sl12", size(80, 24) + "e", "ll" + size(30, 10) + "l" + size(1, 1) + "l" + size(150, 40),
	} {
		for i := range sources {
			f.Add(byte(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, src byte, input []byte) {
		m := tui.New(sources, int(src)%len(sources), tui.Options{NoColor: true})
		w, h := 80, 24
		var model tea.Model = m
		model, _ = model.Update(tea.WindowSizeMsg{Width: w, Height: h})
		if cmd := m.Init(); cmd != nil {
			model, _ = model.Update(cmd())
		}
		requireFits(t, model.View(), w, h, "after loading")
		for i := 0; i < len(input); i++ {
			var msg tea.Msg
			if b := input[i]; b == 0xff && i+2 < len(input) {
				w, h = int(input[i+1]), int(input[i+2])/2
				msg = tea.WindowSizeMsg{Width: w, Height: h}
				i += 2
			} else {
				msg = fuzzKeys[int(b)%len(fuzzKeys)]
			}
			model, _ = model.Update(msg)
			requireFits(t, model.View(), w, h, fmt.Sprintf("after message %d (%v)", i, msg))
		}
	})
}

// requireFits checks that view is no taller than h lines and no line is
// wider than w columns.
func requireFits(t *testing.T, view string, w, h int, when string) {
	t.Helper()
	if view == "" {
		return
	}
	lines := strings.Split(view, "\n")
	require.LessOrEqual(t, len(lines), h, "%s: %d lines in a %d×%d window", when, len(lines), w, h)
	for i, l := range lines {
		require.LessOrEqual(t, lipgloss.Width(l), w, "%s: line %d of a %d×%d window: %q", when, i, w, h, l)
	}
}
