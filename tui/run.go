package tui

import (
	"os"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Run shows the TUI on sources[initial] until the user quits, in the
// terminal's alternate screen with mouse-wheel scrolling (unless
// opts.NoMouse). The terminal is restored on return, also after a panic.
func Run(sources []Source, initial int, opts Options) error {
	// Decide the background without asking the terminal: lipgloss would
	// otherwise query it (OSC 11) the first time an adaptive color of
	// bubbles' help or list is drawn, and a terminal that does not answer
	// (tmux with no client attached, some CI terminals) stalls the first
	// frame for termenv's 5 s timeout.
	lipgloss.SetHasDarkBackground(darkBackground(os.Getenv("COLORFGBG")))
	m := New(sources, initial, opts)
	po := []tea.ProgramOption{tea.WithAltScreen()}
	if !opts.NoMouse {
		po = append(po, tea.WithMouseCellMotion())
	}
	if opts.Input != nil {
		po = append(po, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		po = append(po, tea.WithOutput(opts.Output))
	}
	_, err := tea.NewProgram(m, po...).Run()
	return err
}

// darkBackground reads the COLORFGBG convention ("fg;bg", e.g. "15;0"):
// background colors 0–6 and 8 are dark, 7 and 9–15 light. Without it the
// background is taken as dark, the common case.
func darkBackground(colorfgbg string) bool {
	i := strings.LastIndexByte(colorfgbg, ';')
	if i < 0 {
		return true
	}
	bg, err := strconv.Atoi(colorfgbg[i+1:])
	if err != nil {
		return true
	}
	return bg <= 6 || bg == 8
}
