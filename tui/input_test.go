package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/require"
)

// TestMultiRuneKeys: letters and digits that arrive in one read (fast
// typing, SSH) come as one KeyMsg with several runes; each is a key.
func TestMultiRuneKeys(t *testing.T) {
	m := cacheAsideModel(t)
	m = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ll")})
	require.Equal(t, 2, m.pos, "ll steps twice")
	m = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("hl l")})
	require.Equal(t, 3, m.pos, "h, l, space, l")
	m = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("gnn")})
	require.Equal(t, 2, m.pos, "g, then n twice: the cause, then the stale read")
}

// TestMultiRuneKeysInScheduler: "12" picks actor 1 then actor 2.
func TestMultiRuneKeysInScheduler(t *testing.T) {
	m := presetModel(t, "cache-aside", 100, 30)
	m = pressRun(t, m, "s")
	require.Equal(t, stateSchedule, m.state)
	m = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("121")})
	require.Equal(t, "writer reader writer", schedOf(m))
}
