package tui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// presetSources are the built-in presets as the command line offers them:
// each Load runs the engine on the preset, and Scenario returns it.
func presetSources(t testing.TB) []Source {
	t.Helper()
	var out []Source
	for _, p := range presets.All() {
		sc := p.Scenario
		out = append(out, Source{Name: p.Name, Title: p.Title, Description: p.Description, Lesson: presets.LessonOf(p.Name).Paragraphs(),
			Load:     func() (*timeline.Timeline, error) { return engine.Run(sc, engine.Options{}) },
			Scenario: func() (*engine.Scenario, error) { return sc, nil }})
	}
	require.NotEmpty(t, out)
	return out
}

// TestPresetsGolden opens every built-in preset, as the engine runs it, at
// 80×24, 120×40 and 200×50 (color off), in reveal mode and with the whole
// run shown: at its first stale read if it has one, else at its end; n
// lands on the stale read and the frame says why.
func TestPresetsGolden(t *testing.T) {
	sources := presetSources(t)
	for i, src := range sources {
		for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
			for _, mode := range []string{"full", "reveal"} {
				t.Run(fmt.Sprintf("%s/%s-%dx%d", src.Name, mode, size[0], size[1]), func(t *testing.T) {
					m := newTestModel(t, sources, i, size[0], size[1])
					if mode == "reveal" {
						m = press(t, m, "R")
					}
					require.NotNil(t, m.tape, "load %s: %v", src.Name, m.loadErr)
					if len(m.tape.tl.StaleReads()) > 0 {
						m = toStale(t, m)
						view := m.View()
						require.Contains(t, view, "✗ STALE")
						text, stale := narrate(m.tape, m.pos, false)
						require.True(t, stale)
						require.Contains(t, text, "this read is stale")
					} else {
						m = press(t, m, "G")
						require.Contains(t, m.View(), "no stale reads")
					}
					view := m.View()
					requireFits(t, view, size[0], size[1])
					golden.RequireEqual(t, []byte(view))
				})
			}
		}
	}
}

// TestPresetFirstFrame is what `racetape` shows first: cache-aside at its
// start, with its story and how to step.
func TestPresetFirstFrame(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m := newTestModel(t, presetSources(t), 0, size[0], size[1])
			view := m.View()
			requireFits(t, view, size[0], size[1])
			require.Contains(t, view, "Start: no step taken yet")
			golden.RequireEqual(t, []byte(view))
		})
	}
}

// TestPresetCacheAside is the walk-through on the real seed story:
// n lands on the stale read, N goes back, and the picker opens another
// preset.
func TestPresetCacheAside(t *testing.T) {
	sources := presetSources(t)
	require.Equal(t, "cache-aside", sources[0].Name)
	m := newTestModel(t, sources, 0, 100, 30)
	require.NotNil(t, m.tape, "%v", m.loadErr)
	stale := m.tape.tl.StaleReads()
	require.NotEmpty(t, stale)
	last := stale[0].Events[len(stale[0].Events)-1]

	for m.pos != last+1 {
		before := m.pos
		m = press(t, m, "n")
		require.Greater(t, m.pos, before, "n stops before the stale read")
	}
	view := m.View()
	require.Contains(t, view, "✗ STALE GET order:42 → CANCELLED, current PAID")
	text, _ := narrate(m.tape, m.pos, false)
	require.Contains(t, text, "gets order:42 from the cache: CANCELLED. The database committed PAID at +")
	require.Contains(t, text, "this read is stale (stale-hit).")

	m = press(t, m, "g")
	m = press(t, m, "n")
	require.Less(t, m.pos, last+1, "the first n from the start lands on the cause")
	m = press(t, m, "n")
	require.Equal(t, last+1, m.pos, "the second on the stale read")
	m = press(t, m, "g")
	require.Equal(t, 0, m.pos)

	m = press(t, m, "o", "down")
	nm, cmd := m.Update(keyMsg("enter"))
	m = nm.(Model)
	m = update(t, m, cmd())
	require.Equal(t, sources[1].Name, m.tape.tl.Scenario)
	requireFits(t, m.View(), 100, 30)
}
