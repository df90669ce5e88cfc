package tui

import (
	"fmt"
	tea "github.com/charmbracelet/bubbletea"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/stretchr/testify/require"
)

// TestEverySmallSize feeds every size from 0×0 to 40×15, then 80×24 and
// 200×50, to a model in each of its states: nothing panics, nothing is
// wider or taller than the terminal, and below the minimum the TUI says so.
func TestEverySmallSize(t *testing.T) {
	type size struct{ w, h int }
	var sizes []size
	for w := 0; w <= 40; w++ {
		for h := 0; h <= 15; h++ {
			sizes = append(sizes, size{w, h})
		}
	}
	sizes = append(sizes, size{80, 24}, size{200, 50})

	sched := pressRun(t, presetModel(t, "cache-aside", 100, 30), "s")
	explore := startExploring(t, presetModel(t, "cache-aside", 100, 30))
	explored := finishExploring(t, explore)
	cmp := finishComparing(t, startComparing(t, presetModel(t, "stale-set", 100, 30)))
	stacked := pressRun(t, press(t, cmp, " ", "down", "down", "down", "down", " "), "enter")
	models := map[string]Model{
		"lesson":          press(t, cacheAsideModel(t), "i"),
		"picker-verdicts": pressRun(t, cacheAsideModel(t), "o"),
		"comparing":       startComparing(t, presetModel(t, "stale-set", 100, 30)),
		"compare":         cmp,
		"compare-help":    press(t, cmp, "?"),
		"compare-refused": finishComparing(t, startComparing(t, presetModel(t, "replica-lag", 100, 30))),
		"stack":           press(t, stacked, "n"),
		"stack-help":      press(t, stacked, "?"),
		"tape":            cacheAsideModel(t),
		"stale":           press(t, cacheAsideModel(t), "n", "n"),
		"picker":          press(t, cacheAsideModel(t), "o"),
		"help":            press(t, cacheAsideModel(t), "?"),
		"schedule":        sched,
		"schedule-so-far": press(t, sched, "1", "2"),
		"schedule-done":   press(t, sched, "1", "2", "1"),
		"schedule-help":   press(t, sched, "1", "?"),
		"schedule-many":   press(t, pressRun(t, presetModel(t, "seed-matrix", 100, 30), "s"), "right", "1", "7"),
		"schedule-note":   press(t, sched, "c"),
		"explore":         explore,
		"explore-result":  explored,
		"explore-help":    press(t, explored, "?"),
		"counterexample":  pressRun(t, explored, "enter"),
	}
	for name, m := range models {
		for _, s := range sizes {
			m := update(t, m, windowSize(s.w, s.h))
			view := m.View()
			label := fmt.Sprintf("%s at %d×%d", name, s.w, s.h)
			lines := strings.Split(view, "\n")
			if view == "" {
				lines = nil
			}
			require.LessOrEqual(t, len(lines), s.h, "%s: %d lines", label, len(lines))
			for i, l := range lines {
				require.LessOrEqual(t, lipgloss.Width(l), s.w, "%s: line %d is %q", label, i, l)
			}
			small := s.w < minWidth || s.h < minHeight
			switch {
			case small && s.w >= 19 && s.h >= 2:
				require.True(t, strings.HasPrefix(lines[0], "terminal too small:"), label)
				require.Contains(t, view, "need 60×14", label)
			case small && s.w > 0 && s.h > 0:
				require.NotEmpty(t, view, label)
			case !small:
				require.NotContains(t, view, "too small", label)
				require.Len(t, lines, s.h, label)
			}
		}
	}
}

// TestResizeRestoresTheView checks that shrinking below the minimum and
// growing back gives the same frame.
func TestResizeRestoresTheView(t *testing.T) {
	m := press(t, cacheAsideModel(t), "n", "n")
	m = update(t, m, windowSize(80, 24))
	before := m.View()
	m = update(t, m, windowSize(20, 6))
	require.Equal(t, "terminal too small:\nneed 60×14\n(have 20×6)", m.View())
	m = update(t, m, windowSize(1, 1))
	require.Equal(t, "…", m.View())
	m = update(t, m, windowSize(0, 0))
	require.Equal(t, "", m.View())
	m = update(t, m, windowSize(80, 24))
	require.Equal(t, before, m.View())
}

// TestFramesFit sweeps sizes from the minimum up, over every fixture and
// several cursor positions and zooms: each frame is exactly the terminal's
// height and no line is wider than it.
func TestFramesFit(t *testing.T) {
	for _, f := range fixtures {
		tl := f.tl()
		for w := minWidth; w <= 150; w += 9 {
			for h := minHeight; h <= 52; h += 5 {
				m := newTestModel(t, []Source{sourceOf(tl)}, 0, w, h)
				for _, keys := range [][]string{{}, {"n"}, {"n", "n"}, {"G"}, {"?"}, {"z", "z", "z"}, {"Z", "Z", "Z", "Z"}} {
					m := press(t, m, keys...)
					requireFits(t, m.View(), w, h)
				}
			}
		}
	}
	// A long run with more lanes than fit.
	m := newTestModel(t, []Source{sourceOf(syntheticTimeline(5000, 12, 6, 2))}, 0, minWidth, minHeight)
	for _, keys := range [][]string{{}, {"n", "n", "n"}, {"G"}, {"Z", "Z", "Z", "Z", "Z"}} {
		m := press(t, m, keys...)
		requireFits(t, m.View(), minWidth, minHeight)
	}
}

// TestModeFramesFit sweeps sizes from the minimum up in scheduler mode
// (few and many actors, with and without the banner), in the
// exploration view, the comparison, two runs stacked, the lesson and the
// picker: each frame is exactly the terminal's height and no
// line is wider than it.
func TestModeFramesFit(t *testing.T) {
	few := pressRun(t, presetModel(t, "cache-aside", 100, 30), "s")
	many := pressRun(t, presetModel(t, "seed-matrix", 100, 30), "s")
	explored := finishExploring(t, startExploring(t, presetModel(t, "stale-set", 100, 30)))
	cmp := finishComparing(t, startComparing(t, presetModel(t, "cache-aside", 100, 30)))
	stacked := pressRun(t, press(t, cmp, " ", "down", "down", " "), "enter")
	models := []Model{
		cmp, press(t, cmp, "?"), stacked, press(t, stacked, "n", "n", "z", "z"), press(t, stacked, "?"),
		press(t, presetModel(t, "double-delete", 100, 30), "i"), pressRun(t, presetModel(t, "double-delete", 100, 30), "o"),
		few, press(t, few, "1", "2"), press(t, few, "1", "2", "1"), press(t, few, "?"),
		many, press(t, many, "left", "left", "6", "1", "6"),
		explored, startExploring(t, presetModel(t, "stale-set", 100, 30)),
	}
	for i, m := range models {
		for w := minWidth; w <= 150; w += 9 {
			for h := minHeight; h <= 52; h += 5 {
				m := update(t, m, windowSize(w, h))
				view := m.View()
				require.NotContains(t, view, "too small", "model %d at %d×%d", i, w, h)
				requireFits(t, view, w, h)
			}
		}
	}
}

// TestEveryKeyWhenTooSmall: a model opened on a terminal below the minimum
// (never fitted, so its zoom is unset) takes every key without a panic,
// and grows back to a usable picture.
func TestEveryKeyWhenTooSmall(t *testing.T) {
	keys := []string{"z", "Z", "f", "right", "left", "n", "N", "g", "G", "x", "X", "p", "+", "-", "R", "/", "esc", "s", "esc", "e", "esc", "c", "esc", "o", "esc", "i", "y", "r", "up", "down", "?", "?"}
	for _, sz := range [][2]int{{40, 10}, {59, 36}, {120, 13}, {0, 0}} {
		m := presetModel(t, "cache-aside", sz[0], sz[1])
		for _, k := range keys {
			m = press(t, m, k)
			m.View()
		}
		m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
		requireFits(t, m.View(), 120, 36)
	}
}
